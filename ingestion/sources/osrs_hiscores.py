"""OSRS hiscores: tracked players' skills and activities (DESIGN §3).

Endpoints (landing dirs):

* ``tracked_players`` — the versioned players config (``config/tracked_players.csv``:
  username, account_type, groups ``;``-separated), archived whenever it changes, so the
  warehouse knows who was tracked when. Adding a line there is all it takes.
* ``index_lite`` — one hiscores answer per player and fetch, ``<capture>__<player>``,
  JSON (``index_lite.json``) or the legacy CSV (``index_lite.ws``). An answer
  byte-identical to the player's previous one is not archived again.
* ``fetch_log`` — one file per tick: every player's outcome (``changed``,
  ``unchanged``, ``not_found`` on a 404, ``failed`` after retries), so a player's
  ``last_fetched_at`` moves even when nothing else does.

A 404 marks a player ``not_found`` and a timeout or 5xx ``failed`` (asked again next
tick); neither fails the run. ``sources.osrs_hiscores.legacy_csv = true`` asks the
legacy CSV (``index_lite.ws``) instead; both formats load the same rows.

Metrics are taken by name (JSON) or by the published order (CSV), so a skill or boss
the game adds becomes a new metric; unranked (-1) stays -1 in raw.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ingestion.column_checks import RECORD_ERRORS
from ingestion.http import FetchError, FetchReport, SourceClient, config_path, source_config
from ingestion.landing import (
    LandingFile,
    archive_if_changed,
    newest_per_key,
    now_utc,
    write_atomic,
)
from ingestion.loader import EndpointSpec, Reject, TableSpec

SOURCE = "osrs_hiscores"
# Old School RuneScape (and its hiscores) launched on 2013-02-22
FIRST_DAY = date(2013, 2, 22)
DEFAULT_BASE_URL = "https://secure.runescape.com"
BOARDS = {
    "regular": "m=hiscore_oldschool",
    "ironman": "m=hiscore_oldschool_ironman",
    "hardcore": "m=hiscore_oldschool_hardcore_ironman",
    "ultimate": "m=hiscore_oldschool_ultimate",
}
# The order the legacy CSV publishes its lines in (it has no names). Update when the
# game adds a skill or activity; lines beyond it load as "skill_<n>" / "activity_<n>".
PUBLISHED_SKILLS = [
    "Overall", "Attack", "Defence", "Strength", "Hitpoints", "Ranged", "Prayer", "Magic",
    "Cooking", "Woodcutting", "Fletching", "Fishing", "Firemaking", "Crafting", "Smithing",
    "Mining", "Herblore", "Agility", "Thieving", "Slayer", "Farming", "Runecraft", "Hunter",
    "Construction", "Sailing",
]  # fmt: skip
PUBLISHED_ACTIVITIES = [
    "League Points", "Clue Scrolls (all)", "Clue Scrolls (hard)", "Clue Scrolls (elite)",
    "Chambers of Xeric", "Theatre of Blood", "Tombs of Amascut", "Vorkath", "Zulrah",
    "The Gauntlet", "Tempoross", "Wintertodt",
]  # fmt: skip
MAX_VALUE = 10**10  # 200m xp per skill, ~4.6bn overall: anything past this is corrupt


def config_file() -> Path:
    return config_path(SOURCE, "players_file", "tracked_players.csv")


def read_players(text: str) -> list[dict[str, Any]]:
    """The players config as rows; a bad line is a ValueError naming it."""
    rows = []
    for n, rec in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        name = (rec.get("username") or "").strip()
        kind = (rec.get("account_type") or "regular").strip() or "regular"
        if not name:
            raise ValueError(f"line {n}: username is empty")
        if kind not in BOARDS:
            raise ValueError(f"line {n}: unknown account_type {kind!r} ({', '.join(BOARDS)})")
        groups = [g.strip() for g in (rec.get("groups") or "").split(";") if g.strip()]
        rows.append({"username": name, "account_type": kind, "groups": ";".join(groups)})
    return rows


# --------------------------------------------------------------------------- parse


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


def parse_index_lite(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    username = file.key or ""
    if not username:
        raise ValueError("player name missing from the file name")
    if file.ext == "csv":
        yield from _parse_csv(username, file.read_text())
        return
    payload = file.read_json()
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


def _parse_csv(username: str, text: str) -> Iterator[dict[str, Any] | Reject]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("empty hiscores answer")
    skill_i = activity_i = 0
    for n, line in enumerate(lines, start=1):
        parts = line.split(",")
        try:
            if len(parts) == 3:
                name = (
                    PUBLISHED_SKILLS[skill_i]
                    if skill_i < len(PUBLISHED_SKILLS)
                    else f"skill_{skill_i}"
                )
                rec = {"name": name, "rank": parts[0], "level": parts[1], "xp": parts[2]}
                skill_i += 1
                yield _metric_row(username, "skill", skill_i - 1, rec)
            elif len(parts) == 2:
                name = (
                    PUBLISHED_ACTIVITIES[activity_i]
                    if activity_i < len(PUBLISHED_ACTIVITIES)
                    else f"activity_{activity_i}"
                )
                rec = {"name": name, "rank": parts[0], "score": parts[1]}
                activity_i += 1
                yield _metric_row(username, "activity", activity_i - 1, rec)
            else:
                raise ValueError(f"expected 3 (skill) or 2 (activity) fields, got {len(parts)}")
        except RECORD_ERRORS as exc:
            yield Reject(f"line {n}", str(exc), line)


def parse_fetch_log(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
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
    yield from read_players(file.read_text())


_COMMON = {"landing_file": "text", "captured_at": "timestamp"}

ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec(
        "tracked_players",
        TableSpec(
            "tracked_players",
            ("captured_at", "username"),
            {"username": "text", "account_type": "text", "groups": "text", **_COMMON},
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        parse_players,
    ),
    EndpointSpec(
        "index_lite",
        TableSpec(
            "hiscore_metrics",
            ("username", "captured_at", "metric_kind", "metric"),
            {
                "username": "text",
                "metric_kind": "text",
                "metric": "text",
                "position": "bigint",
                "rank": "bigint",
                "level": "bigint",
                "value": "bigint",
                **_COMMON,
            },
            nullable=frozenset({"level"}),
            indexes=(("username", "captured_at"),),
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        parse_index_lite,
    ),
    EndpointSpec(
        "fetch_log",
        TableSpec(
            "fetch_log",
            ("captured_at", "username"),
            {
                "username": "text",
                "account_type": "text",
                "status": "text",
                "http_status": "bigint",
                "detail": "text",
                "snapshot_file": "text",
                **_COMMON,
            },
            nullable=frozenset({"http_status", "detail", "snapshot_file"}),
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        parse_fetch_log,
    ),
)


# --------------------------------------------------------------------------- fetch


def base_url() -> str:
    return str(source_config(SOURCE, "base_url", DEFAULT_BASE_URL))


def make_client() -> SourceClient:
    return SourceClient.configured(SOURCE, base_url(), per_second=2.0, max_attempts=3, timeout=20.0)


def newest_answers(root: Path | None = None) -> dict[str, LandingFile]:
    """Each player's newest archived answer: one directory listing per tick, not one per
    player, so a tick costs the same however many players are tracked."""
    return newest_per_key(SOURCE, "index_lite", root)


def _entries(body: bytes, ext: str) -> int | None:
    """How many metrics an answer holds (None when it cannot be read: the loader says why)."""
    try:
        if ext == "csv":
            return sum(1 for line in body.decode().splitlines() if line.strip())
        payload = json.loads(body)
        return len(payload.get("skills") or []) + len(payload.get("activities") or [])
    except (ValueError, AttributeError, TypeError):
        return None


def archive_players(text: str, at: datetime, root: Path | None = None) -> str | None:
    """Archive the players config when it differs from the newest archived version."""
    read_players(text)  # a broken config stops the fetch before anything is written
    written = archive_if_changed(SOURCE, "tracked_players", at, text.encode(), ext="csv", root=root)
    return written.relative if written else None


def record_outcome(
    player: dict[str, Any],
    body: bytes | None,
    at: datetime,
    root: Path | None,
    previous: bytes | None = None,
    status_if_failed: tuple[str, int | None, str | None] | None = None,
    ext: str = "json",
) -> dict[str, Any]:
    """Archive an answer unless it repeats ``previous`` (the player's newest archived
    one); the fetch-log entry for it.

    An answer with fewer metrics than the previous one is archived like any other (raw
    is never dropped) and its log entry says so; the marts read a metric missing from a
    snapshot as unranked there, so it yields no gain rather than a negative one.
    """
    entry: dict[str, Any] = {"username": player["username"], "account_type": player["account_type"]}
    if status_if_failed is not None:
        status, http_status, detail = status_if_failed
        return {**entry, "status": status, "http_status": http_status, "detail": detail}
    assert body is not None
    if previous == body:
        return {**entry, "status": "unchanged", "http_status": 200}
    written = write_atomic(
        SOURCE, "index_lite", at, body, key=player["username"], ext=ext, root=root
    )
    entry.update(status="changed", http_status=200, snapshot_file=written.relative)
    if previous is not None:
        now, before = _entries(body, ext), _entries(previous, ext)
        if now is not None and before is not None and now < before:
            entry["detail"] = f"{before - now} fewer metrics than the previous answer"
    return entry


def legacy_format() -> bool:
    """``sources.osrs_hiscores.legacy_csv = true`` asks the old ``index_lite.ws`` CSV."""
    return str(source_config(SOURCE, "legacy_csv", "false")).lower() in ("1", "true", "yes")


def fetch(*, root: Path | None = None, client: SourceClient | None = None) -> FetchReport:
    """One tick: archive the config if it changed, ask the hiscores about every tracked
    player, and write the tick's fetch log (written even when some players failed)."""
    client = client or make_client()
    report = FetchReport(SOURCE)
    at = now_utc()
    text = config_file().read_text()
    archived = archive_players(text, at, root)
    if archived:
        report.files.append(archived)
    log = []
    legacy = legacy_format()
    endpoint, ext = ("index_lite.ws", "csv") if legacy else ("index_lite.json", "json")
    newest = newest_answers(root)
    try:
        for player in read_players(text):
            path = f"{BOARDS[player['account_type']]}/{endpoint}"
            try:
                response = client.get(path, params={"player": player["username"]})
            except FetchError as exc:
                if exc.status == 404:
                    outcome = ("not_found", 404, "not on the hiscores")
                else:
                    outcome = ("failed", exc.status, str(exc))
                log.append(record_outcome(player, None, at, root, status_if_failed=outcome))
                continue
            before = newest.get(player["username"])
            entry = record_outcome(
                player,
                response.content,
                at,
                root,
                previous=before.read_bytes() if before else None,
                ext=ext,
            )
            if entry.get("snapshot_file"):
                report.files.append(entry["snapshot_file"])
            else:
                report.skipped.append(f"{player['username']}: unchanged")
            log.append(entry)
    finally:
        report.count(client)
        if log:
            written = write_atomic(SOURCE, "fetch_log", at, json.dumps(log).encode(), root=root)
            report.files.append(written.relative)
    return report
