"""OSRS hiscores, landing → records: an answer (JSON by name, the legacy CSV by the
published order) → a row per metric, the fetch log and the players config; and what
"unchanged" means (:func:`same_content`). ``ENDPOINTS`` says which parser fills which
raw table (:mod:`.tables`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ingestion.column_checks import RECORD_ERRORS
from ingestion.landing import LandingFile
from ingestion.loader import EndpointSpec, Reject
from ingestion.sources.osrs_hiscores.players import read_players
from ingestion.sources.osrs_hiscores.published_order import ORDER_BY_LINES, PUBLISHED_ORDERS
from ingestion.sources.osrs_hiscores.tables import FETCH_LOG, HISCORE_METRICS, TRACKED_PLAYERS

MAX_VALUE = 10**10  # 200m xp per skill, ~4.6bn overall: anything past this is corrupt


def _number(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        else:
            raise ValueError(f"{what} is not a whole number: {value!r}")
    if value < -1 or value > MAX_VALUE:
        raise ValueError(f"{what} is out of range: {value!r}")
    return int(value)


def _metric_row(username: str, kind: str, position: int, rec: Any) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise ValueError("not an object")
    name = rec.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("metric has no name")
    value_field = "xp" if kind == "skill" else "score"
    return {
        "username": username,
        "metric_kind": kind,
        "metric": name.strip(),
        "position": position,
        "rank": _number(rec.get("rank"), f"{name} rank"),
        "level": _number(rec.get("level"), f"{name} level") if kind == "skill" else None,
        "value": _number(rec.get(value_field), f"{name} {value_field}"),
    }


def _json_rows(username: str, payload: Any) -> Iterator[dict[str, Any] | Reject]:
    if not isinstance(payload, dict):
        raise ValueError("a hiscores answer is a JSON object")
    skills = payload.get("skills")
    if not isinstance(skills, list) or not skills:
        raise ValueError("no 'skills' array")
    activities = payload.get("activities") or []
    if not isinstance(activities, list):
        raise ValueError("'activities' is not an array")
    for kind, records in (("skill", skills), ("activity", activities)):
        for i, rec in enumerate(records):
            try:
                yield _metric_row(username, kind, i, rec)
            except RECORD_ERRORS as exc:
                yield Reject(f"/{'skills' if kind == 'skill' else 'activities'}/{i}", str(exc), rec)


def _json_metrics(payload: Any) -> tuple[tuple[str, str], ...] | None:
    """(metric_kind, name) of a JSON answer's entries in order; None when an entry has
    no name (such an answer cannot name a CSV's lines)."""
    if not isinstance(payload, dict):
        return None
    out: list[tuple[str, str]] = []
    for kind, key in (("skill", "skills"), ("activity", "activities")):
        records = payload.get(key) or []
        if not isinstance(records, list):
            return None
        for rec in records:
            name = rec.get("name") if isinstance(rec, dict) else None
            if not isinstance(name, str) or not name.strip():
                return None
            out.append((kind, name.strip()))
    return tuple(out) if out else None


def _csv_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of a legacy CSV answer's non-blank lines."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def csv_order(
    lines: int, reference: Sequence[tuple[str, str]] | None = None
) -> tuple[tuple[str, str], ...]:
    """The (metric_kind, name) of each line of a legacy CSV answer of ``lines`` lines.

    ``reference``: the names of the player's newest JSON answer landed before the CSV,
    in order. When it has as many metrics it names the lines (it is the table as the
    game published it then); otherwise the :data:`PUBLISHED_ORDERS` version with that
    many lines does. ValueError naming the count and the known counts when neither fits:
    naming lines by a list of another length would put one metric's number under
    another's name (a clue count read as a kill count).
    """
    if reference is not None and len(reference) == lines:
        return tuple(reference)
    order = ORDER_BY_LINES.get(lines)
    if order is None:
        known = ", ".join(f"{o.lines} ({o.version})" for o in PUBLISHED_ORDERS)
        raise ValueError(
            f"legacy CSV answer has {lines} lines, which matches no known published order "
            f"of the hiscores table (known line counts: {known}) and no JSON answer of the "
            "player landed before it"
        )
    return order.metrics


def _csv_rows(
    username: str, text: str, order: Sequence[tuple[str, str]]
) -> Iterator[dict[str, Any] | Reject]:
    positions = {"skill": 0, "activity": 0}
    for (n, line), (kind, name) in zip(_csv_lines(text), order, strict=True):
        parts = line.split(",")
        position = positions[kind]
        positions[kind] += 1
        try:
            if kind == "skill" and len(parts) == 3:
                rec = {"name": name, "rank": parts[0], "level": parts[1], "xp": parts[2]}
            elif kind == "activity" and len(parts) == 2:
                rec = {"name": name, "rank": parts[0], "score": parts[1]}
            else:
                expected = "3 (rank,level,xp)" if kind == "skill" else "2 (rank,score)"
                raise ValueError(
                    f"line {n} is {name} ({kind}) in the published order: expected "
                    f"{expected} fields, got {len(parts)}"
                )
            yield _metric_row(username, kind, position, rec)
        except RECORD_ERRORS as exc:
            yield Reject(f"line {n}", str(exc), line)


# A directory's JSON answers by player, cached on the directory's mtime (a file written
# or renamed into it changes that), so naming a replay's CSV answers lists it once.
_JSON_ANSWERS: dict[Path, tuple[int, dict[str, list[tuple[datetime, Path]]]]] = {}


def _json_answers(directory: Path) -> dict[str, list[tuple[datetime, Path]]]:
    mtime = directory.stat().st_mtime_ns
    cached = _JSON_ANSWERS.get(directory)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    by_key: dict[str, list[tuple[datetime, Path]]] = {}
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_file():
                continue
            try:
                found = LandingFile.parse(Path(entry.path))
            except ValueError:
                continue
            if found.ext == "json" and found.key:
                by_key.setdefault(found.key, []).append((found.captured_at, found.path))
    for answers in by_key.values():
        answers.sort()
    _JSON_ANSWERS[directory] = (mtime, by_key)
    return by_key


def reference_metrics(file: LandingFile) -> tuple[tuple[str, str], ...] | None:
    """The metric names, in order, of the newest JSON answer of ``file``'s player landed
    before it (None when there is none, or it cannot be read whole)."""
    before = [
        p
        for at, p in _json_answers(file.path.parent).get(file.key or "", [])
        if at < file.captured_at
    ]
    if not before:
        return None
    try:
        return _json_metrics(LandingFile.parse(before[-1]).read_json())
    except (ValueError, OSError, EOFError):
        return None


def parse_index_lite(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    """One hiscores answer → a row per metric (username, metric_kind, metric, position,
    rank, level, value; -1 = unranked). JSON is read by name; the legacy CSV by
    :func:`csv_order` (a CSV of an unknown length is a ValueError: the whole file is
    rejected). A bad entry is rejected alone."""
    username = file.key or ""
    if not username:
        raise ValueError("player name missing from the file name")
    if file.ext == "csv":
        text = file.read_text()
        lines = len(_csv_lines(text))
        if not lines:
            raise ValueError("empty hiscores answer")
        yield from _csv_rows(username, text, csv_order(lines, reference_metrics(file)))
        return
    yield from _json_rows(username, file.read_json())


def _is_json(body: bytes) -> bool:
    return body.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{")


def answer_metrics(
    body: bytes, reference: bytes | None = None
) -> dict[tuple[str, str], tuple[int, int | None, int]] | None:
    """An answer's metrics, JSON or legacy CSV (told apart by the first character), as
    (metric_kind, name) → (rank, level, value). A CSV is named by ``reference``'s names
    when that is a JSON answer with as many metrics, else by the published order. None
    when the answer cannot be read whole (a bad entry, an unknown length)."""
    try:
        if _is_json(body):
            rows = list(_json_rows("-", json.loads(body.decode("utf-8-sig"))))
        else:
            text = body.decode("utf-8-sig")
            ref = None
            if reference is not None and _is_json(reference):
                ref = _json_metrics(json.loads(reference.decode("utf-8-sig")))
            rows = list(_csv_rows("-", text, csv_order(len(_csv_lines(text)), ref)))
    except (*RECORD_ERRORS, json.JSONDecodeError):
        return None
    if any(isinstance(r, Reject) for r in rows):
        return None
    return {(r["metric_kind"], r["metric"]): (r["rank"], r["level"], r["value"]) for r in rows}


def same_content(previous: bytes, body: bytes) -> bool:
    """True when two answers say the same thing, whatever their format: the same ranked
    metrics (value >= 0) with the same rank, level and value. An unranked entry (-1)
    counts as absent, as the marts read a metric missing from an answer, so a skill or
    boss the game adds at -1 is no change until it shows progress (Wise Old Man's
    ``hasChanged`` likewise ignores -1 values). Bytes decide when either answer cannot be
    read whole."""
    if previous == body:
        return True
    before = answer_metrics(previous, reference=body)
    now = answer_metrics(body, reference=previous)
    if before is None or now is None:
        return False

    def ranked(metrics: dict) -> dict:
        return {k: v for k, v in metrics.items() if v[2] >= 0}

    return ranked(before) == ranked(now)


def parse_fetch_log(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    """Parser of a tick's fetch log: a ``fetch_log`` row per player asked about (username,
    account type, status: changed, unchanged, not_found or failed, the HTTP status, a
    detail, the snapshot file written), a Reject per bad entry. A body that is not a JSON
    array is a ValueError: the whole file is rejected (docs/landing.md#rejected-records)."""
    payload = file.read_json()
    if not isinstance(payload, list):
        raise ValueError("a fetch log is a JSON array")
    for i, rec in enumerate(payload):
        try:
            if not isinstance(rec, dict) or not rec.get("username"):
                raise ValueError("entry without a username")
            status = rec.get("status")
            if status not in ("changed", "unchanged", "not_found", "failed"):
                raise ValueError(f"unknown status {status!r}")
            yield {
                "username": str(rec["username"]),
                "account_type": str(rec.get("account_type") or "regular"),
                "status": status,
                "http_status": rec.get("http_status"),
                "detail": rec.get("detail"),
                "snapshot_file": rec.get("snapshot_file"),
            }
        except RECORD_ERRORS as exc:
            yield Reject(f"/{i}", str(exc), rec)


def parse_players(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    """Parser of an archived players config: its rows (``read_players``); a bad line is a
    ValueError naming it, which rejects the whole file."""
    yield from read_players(file.read_text())


def metric_count(body: bytes) -> int | None:
    """How many metrics an answer holds, JSON or CSV (None when it cannot be read: the
    loader says why)."""
    try:
        if not _is_json(body):
            return len(_csv_lines(body.decode("utf-8-sig")))
        payload = json.loads(body)
        return len(payload.get("skills") or []) + len(payload.get("activities") or [])
    except (ValueError, AttributeError, TypeError):
        return None


ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec("tracked_players", TRACKED_PLAYERS, parse_players),
    EndpointSpec("index_lite", HISCORE_METRICS, parse_index_lite),
    EndpointSpec("fetch_log", FETCH_LOG, parse_fetch_log),
)
