"""The landing-zone contract: names, atomic writes, what counts as not yet loaded."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingestion.landing import (
    LandingFile,
    LoadedFile,
    file_name,
    iter_landing_files,
    pending_files,
    write_atomic,
)

AT = datetime(2026, 11, 22, 6, 10, 0, tzinfo=UTC)


def test_file_name_follows_contract() -> None:
    assert file_name(AT) == "20261122T061000Z.json"
    assert file_name(AT, "BTCUSDT@1d") == "20261122T061000Z__BTCUSDT@1d.json"
    # spaces, slashes and dots are %-escaped so the name stays one path segment
    assert file_name(AT, "Zezima Jr/2.0", "csv") == "20261122T061000Z__Zezima%20Jr%2F2%2E0.csv"


def test_parse_round_trips_key_and_parts(tmp_path: Path) -> None:
    written = write_atomic(
        "osrs_hiscores", "index_lite", AT, b"{}", key="Zezima Jr/2.0", root=tmp_path
    )
    parsed = LandingFile.parse(written.path)
    assert parsed.source == "osrs_hiscores"
    assert parsed.endpoint == "index_lite"
    assert parsed.captured_at == AT
    assert parsed.key == "Zezima Jr/2.0"
    assert parsed.relative == "osrs_hiscores/index_lite/" + written.path.name


def test_gzip_files_are_read_transparently(tmp_path: Path) -> None:
    folder = tmp_path / "binance" / "klines"
    folder.mkdir(parents=True)
    path = folder / "20261122T061000Z__BTCUSDT@1d.json.gz"
    path.write_bytes(gzip.compress(b'{"ok": 1}'))
    item = LandingFile.parse(path)
    assert item.compressed and item.read_text() == '{"ok": 1}'


@pytest.mark.parametrize(
    "name",
    ["latest.json", "20261122T0610Z.json", "20261122T061000Z.txt", "20261122T061000.json"],
)
def test_bad_names_are_reported_not_skipped(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "osrs_prices" / "latest"
    folder.mkdir(parents=True)
    (folder / name).write_text("{}")
    items = list(iter_landing_files("osrs_prices", root=tmp_path))
    assert len(items) == 1
    path, reason = items[0]
    assert path.name == name and "does not follow" in reason


def test_atomic_write_leaves_no_temp_files_and_replaces_only_changed_bytes(tmp_path: Path) -> None:
    first = write_atomic("osrs_prices", "5m", AT, b'{"a":1}', root=tmp_path)
    mtime = first.path.stat().st_mtime_ns
    again = write_atomic("osrs_prices", "5m", AT, b'{"a":1}', root=tmp_path)
    assert again.path.stat().st_mtime_ns == mtime  # identical bytes: untouched
    write_atomic("osrs_prices", "5m", AT, b'{"a":2}', root=tmp_path)
    assert first.path.read_bytes() == b'{"a":2}'
    assert [p.name for p in first.path.parent.iterdir()] == [first.path.name]


def test_pending_files_uses_content_hash(tmp_path: Path) -> None:
    a = write_atomic("osrs_prices", "5m", AT, b"A", root=tmp_path)
    b = write_atomic("osrs_prices", "5m", AT.replace(minute=15), b"B", root=tmp_path)
    loaded = {a.relative: LoadedFile(a.sha256())}  # no size/mtime: decided by hash
    assert [f.relative for f in pending_files("osrs_prices", loaded, root=tmp_path)] == [b.relative]
    write_atomic("osrs_prices", "5m", AT, b"A2", root=tmp_path)  # re-fetched with new bytes
    assert {f.relative for f in pending_files("osrs_prices", loaded, root=tmp_path)} == {
        a.relative,
        b.relative,
    }


def test_files_come_oldest_capture_first(tmp_path: Path) -> None:
    for minute in (30, 0, 15):
        write_atomic("osrs_prices", "latest", AT.replace(minute=minute), b"{}", root=tmp_path)
    caps = [f.captured_at.minute for f in iter_landing_files("osrs_prices", root=tmp_path)]
    assert caps == [0, 15, 30]


def test_unchanged_size_and_mtime_skip_the_hash(tmp_path: Path, monkeypatch) -> None:
    a = write_atomic("osrs_prices", "5m", AT, b"A", root=tmp_path)
    st = a.path.stat()
    loaded = {a.relative: LoadedFile("not-the-real-hash", st.st_size, st.st_mtime_ns)}

    def boom(self):  # reading the file would mean the archive is re-hashed every tick
        raise AssertionError("hashed an unchanged file")

    monkeypatch.setattr(LandingFile, "sha256", boom)
    assert pending_files("osrs_prices", loaded, root=tmp_path) == []


@pytest.mark.parametrize("capture", ["20261322T061000Z", "20261122T256000Z", "2026112xT061000Z"])
def test_impossible_capture_times_are_reported(tmp_path: Path, capture: str) -> None:
    folder = tmp_path / "osrs_prices" / "5m"
    folder.mkdir(parents=True)
    (folder / f"{capture}.json").write_text("{}")
    ((path, reason),) = list(iter_landing_files("osrs_prices", root=tmp_path))
    assert path.name == f"{capture}.json" and capture in reason
