"""OSRS hiscores fetch and parse against the simulator on loopback: changed /
unchanged / not_found outcomes, JSON and legacy CSV by name, and bad answers."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from ingestion.http import SourceClient
from ingestion.landing import iter_landing_files, write_atomic
from ingestion.loader import Reject
from ingestion.simulator.hiscores import Hiscores, to_legacy_csv
from ingestion.simulator.server import SimulatorServer
from ingestion.sources import osrs_hiscores as src

AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
ANCHOR = datetime(2026, 11, 22, tzinfo=UTC)  # Sailing added 3 days before, as in the server
PLAYERS = (
    "username,account_type,groups\n"
    "Zezima,regular,legends\nSettled,ironman,irons\nBanned Bob,regular,friends\n"
)


@pytest.fixture
def configured(tmp_path, monkeypatch):
    players = tmp_path / "players.csv"
    players.write_text(PLAYERS)
    monkeypatch.setenv("SOURCES__OSRS_HISCORES__PLAYERS_FILE", str(players))

    def client(sim: SimulatorServer) -> SourceClient:
        return SourceClient(src.SOURCE, sim.url, per_second=0, max_attempts=2, backoff_factor=0.01)

    return client


def _log(root) -> list[dict]:
    logs = sorted(
        (f for f in iter_landing_files(src.SOURCE, ["fetch_log"], root)),
        key=lambda f: f.captured_at,
    )
    return json.loads(logs[-1].read_text())


def test_unchanged_player_is_archived_once_and_logged_twice(tmp_path, configured) -> None:
    with SimulatorServer(clock=lambda: AT.timestamp()) as sim:
        first = src.fetch(root=tmp_path / "a", client=configured(sim))
        root = tmp_path / "a"
        statuses = {e["username"]: e["status"] for e in _log(root)}
        assert statuses == {"Zezima": "changed", "Settled": "changed", "Banned Bob": "not_found"}
        # the same moment again: the answers repeat byte for byte
        time.sleep(1.1)  # a new capture second for the second tick's files
        second = src.fetch(root=root, client=configured(sim))
    statuses = {e["username"]: e["status"] for e in _log(root)}
    assert statuses == {"Zezima": "unchanged", "Settled": "unchanged", "Banned Bob": "not_found"}
    snapshots = [f for f in iter_landing_files(src.SOURCE, ["index_lite"], root)]
    assert len(snapshots) == 2  # one per found player, not one per fetch
    assert len(first.files) == 4 and second.skipped == ["Zezima: unchanged", "Settled: unchanged"]
    # the config was archived once, with the first tick
    assert len(list(iter_landing_files(src.SOURCE, ["tracked_players"], root))) == 1


def test_json_and_legacy_csv_parse_to_the_same_metrics(tmp_path) -> None:
    payload = Hiscores(anchor=ANCHOR).lookup("Settled", AT)
    as_json = write_atomic(
        src.SOURCE, "index_lite", AT, json.dumps(payload).encode(), key="Settled", root=tmp_path
    )
    as_csv = write_atomic(
        src.SOURCE,
        "index_lite",
        AT,
        to_legacy_csv(payload).encode(),
        key="Settled",
        ext="csv",
        root=tmp_path,
    )
    rows_json = [r for r in src.parse_index_lite(as_json) if not isinstance(r, Reject)]
    rows_csv = [r for r in src.parse_index_lite(as_csv) if not isinstance(r, Reject)]
    assert rows_json == rows_csv
    overall = next(r for r in rows_json if r["metric"] == "Overall")
    assert overall["value"] == payload["skills"][0]["xp"] and overall["level"] > 1000
    assert {r["metric"] for r in rows_json} >= {"Sailing", "Zulrah", "Wintertodt"}


def test_bad_answers_are_rejected_with_reasons(tmp_path) -> None:
    payload = Hiscores(anchor=ANCHOR).lookup("Zezima", AT)
    payload["skills"][3]["xp"] = "lots"
    payload["skills"].append(
        {"id": 99, "name": "Brand New Skill", "rank": -1, "level": 1, "xp": -1}
    )
    f = write_atomic(
        src.SOURCE, "index_lite", AT, json.dumps(payload).encode(), key="Zezima", root=tmp_path
    )
    out = list(src.parse_index_lite(f))
    rejects = [r for r in out if isinstance(r, Reject)]
    assert [(r.record_pointer, r.reason) for r in rejects] == [
        ("/skills/3", "Strength xp is not a whole number: 'lots'")
    ]
    rows = [r for r in out if not isinstance(r, Reject)]
    new = next(r for r in rows if r["metric"] == "Brand New Skill")
    assert (new["rank"], new["value"]) == (-1, -1)  # unranked kept as -1
    broken = write_atomic(
        src.SOURCE, "index_lite", AT, json.dumps({"name": "X"}).encode(), key="X", root=tmp_path
    )
    with pytest.raises(ValueError, match="no 'skills' array"):
        list(src.parse_index_lite(broken))


def test_a_broken_players_config_names_the_line() -> None:
    with pytest.raises(ValueError, match="line 3: unknown account_type 'pirate'"):
        src.read_players("username,account_type,groups\nA,regular,\nB,pirate,\n")
