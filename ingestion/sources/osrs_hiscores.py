"""OSRS hiscores: tracked players' skills and activities (docs/landing.md).

Endpoints (landing dirs):

* ``tracked_players`` — the versioned players config (``config/tracked_players.csv``:
  username, account_type, groups ``;``-separated), archived whenever it changes, so the
  warehouse knows who was tracked when. Adding a line there is all it takes.
* ``index_lite`` — one hiscores answer per player and fetch, ``<capture>__<player>``,
  JSON (``index_lite.json``) or the legacy CSV (``index_lite.ws``). An answer that
  says what the player's previous one said, in either format, is not archived again.
* ``fetch_log`` — one file per tick: every player's outcome (``changed``,
  ``unchanged``, ``not_found`` on a 404, ``failed`` after retries), so a player's
  ``last_fetched_at`` moves even when nothing else does.

A 404 marks a player ``not_found`` and a timeout or 5xx ``failed`` (asked again next
tick); neither fails the run. ``sources.osrs_hiscores.legacy_csv = true`` asks the
legacy CSV (``index_lite.ws``) instead; both formats load the same rows.

Metrics are taken by name (JSON) or by the published order (CSV), so a skill or boss
the game adds becomes a new metric; unranked (-1) stays -1 in raw. The CSV has no names:
its lines are named by the version of the table's published order with as many lines
(:data:`PUBLISHED_ORDERS`, one per game update), or by the player's newest JSON answer
before it when that has as many metrics; a CSV of any other length is rejected whole.
"Unchanged" means the same content, whatever the format (:func:`same_content`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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


# --------------------------------------------------------------------------- published order


@dataclass(frozen=True)
class PublishedOrder:
    """One version of the hiscores table as the game publishes it: skills, then
    activities (minigames, clues, bosses), in the order of ``index_lite.json``'s two
    arrays, which is also the order of the legacy CSV's lines (they carry no names).

    A game update that adds a skill or activity makes a new version; the CSV's line
    count says which version an answer is in (:data:`ORDER_BY_LINES`)."""

    version: str  # the game update that produced this order
    source: str  # where the order was read
    skills: tuple[str, ...]
    activities: tuple[str, ...]

    @property
    def lines(self) -> int:
        """Lines of a legacy CSV answer in this order (one per metric)."""
        return len(self.skills) + len(self.activities)

    @property
    def metrics(self) -> tuple[tuple[str, str], ...]:
        """(metric_kind, name) of each CSV line, in order."""
        return (
            *(("skill", name) for name in self.skills),
            *(("activity", name) for name in self.activities),
        )


def _added(names: tuple[str, ...], *updates: tuple[str | None, ...]) -> tuple[str, ...]:
    """``names`` with each update's new lines inserted right after its first element
    (``(after, *new)``; ``after`` None: at the start). An update adds lines where the
    game sorts them and never reorders the others."""
    for after, *new in updates:
        at = 0 if after is None else names.index(str(after)) + 1
        names = (*names[:at], *(str(n) for n in new), *names[at:])
    return names


_SKILLS = (
    "Overall", "Attack", "Defence", "Strength", "Hitpoints", "Ranged", "Prayer", "Magic",
    "Cooking", "Woodcutting", "Fletching", "Fishing", "Firemaking", "Crafting", "Smithing",
    "Mining", "Herblore", "Agility", "Thieving", "Slayer", "Farming", "Runecraft", "Hunter",
    "Construction",
)  # fmt: skip
# Bosses are listed alphabetically, except the game's own quirks kept here as published
# (Phosani's Nightmare before Obor, The Corrupted Gauntlet after The Gauntlet).
_COLOSSEUM = PublishedOrder(
    "colosseum",
    "maxswa/osrs-json-hiscores src/utils/constants.ts, a positional CSV parser "
    "(ACTIVITIES = the minigames then BOSSES), as of Colosseum Glory and Sol Heredit",
    _SKILLS,
    (
        "League Points", "Deadman Points", "Bounty Hunter - Hunter", "Bounty Hunter - Rogue",
        "Bounty Hunter (Legacy) - Hunter", "Bounty Hunter (Legacy) - Rogue",
        "Clue Scrolls (all)", "Clue Scrolls (beginner)", "Clue Scrolls (easy)",
        "Clue Scrolls (medium)", "Clue Scrolls (hard)", "Clue Scrolls (elite)",
        "Clue Scrolls (master)", "LMS - Rank", "PvP Arena - Rank", "Soul Wars Zeal",
        "Rifts closed", "Colosseum Glory",
        "Abyssal Sire", "Alchemical Hydra", "Artio", "Barrows Chests", "Bryophyta",
        "Callisto", "Calvar'ion", "Cerberus", "Chambers of Xeric",
        "Chambers of Xeric: Challenge Mode", "Chaos Elemental", "Chaos Fanatic",
        "Commander Zilyana", "Corporeal Beast", "Crazy Archaeologist", "Dagannoth Prime",
        "Dagannoth Rex", "Dagannoth Supreme", "Deranged Archaeologist", "Duke Sucellus",
        "General Graardor", "Giant Mole", "Grotesque Guardians", "Hespori", "Kalphite Queen",
        "King Black Dragon", "Kraken", "Kree'Arra", "K'ril Tsutsaroth", "Lunar Chests",
        "Mimic", "Nex", "Nightmare", "Phosani's Nightmare", "Obor", "Phantom Muspah",
        "Sarachnis", "Scorpia", "Scurrius", "Skotizo", "Sol Heredit", "Spindel", "Tempoross",
        "The Gauntlet", "The Corrupted Gauntlet", "The Leviathan", "The Whisperer",
        "Theatre of Blood", "Theatre of Blood: Hard Mode", "Thermonuclear Smoke Devil",
        "Tombs of Amascut", "Tombs of Amascut: Expert Mode", "TzKal-Zuk", "TzTok-Jad",
        "Vardorvis", "Venenatis", "Vet'ion", "Vorkath", "Wintertodt", "Zalcano", "Zulrah",
    ),
)  # fmt: skip
_DOOM = PublishedOrder(
    "doom-of-mokhaiotl",
    "a real index_lite.json answer (maxswa/osrs-json-hiscores __tests__/b0atyStats.json)",
    _SKILLS,
    _added(
        _COLOSSEUM.activities,
        ("Colosseum Glory", "Collections Logged"),
        ("Alchemical Hydra", "Amoxliatl", "Araxxor"),
        ("Deranged Archaeologist", "Doom of Mokhaiotl"),
        ("The Corrupted Gauntlet", "The Hueycoatl"),
        ("The Leviathan", "The Royal Titans"),
        ("Wintertodt", "Yama"),
    ),
)
_GRID = PublishedOrder(
    "grid-points",
    "wise-old-man/wise-old-man: the hiscores parser skipped 'Grid Points' (the first "
    "activity) while Sailing was not yet on the hiscores",
    _SKILLS,
    _added(_DOOM.activities, (None, "Grid Points")),
)
_SAILING = PublishedOrder(
    "sailing",
    "wise-old-man/wise-old-man server/__tests__/data/hiscores/lynx_titan_hiscores.json",
    (*_SKILLS, "Sailing"),
    _added(_GRID.activities, ("Scurrius", "Shellbane Gryphon")),
)
_BRUTUS = PublishedOrder(
    "brutus",
    "a full index_lite.json answer in a public hiscores client's tests: Brutus between "
    "Barrows Chests and Bryophyta, as RuneLite plugins' boss lists also place it",
    _SAILING.skills,
    _added(_SAILING.activities, ("Barrows Chests", "Brutus")),
)
# Oldest first. Updates between two of these are not known here: a CSV in one of them
# has a line count of its own and is rejected with the counts below, not misread.
PUBLISHED_ORDERS: tuple[PublishedOrder, ...] = (_COLOSSEUM, _DOOM, _GRID, _SAILING, _BRUTUS)
ORDER_BY_LINES: dict[int, PublishedOrder] = {o.lines: o for o in PUBLISHED_ORDERS}
if len(ORDER_BY_LINES) != len(PUBLISHED_ORDERS):  # a count must name one version
    raise RuntimeError("two published orders of the hiscores have the same line count")
CURRENT_ORDER = PUBLISHED_ORDERS[-1]
# Every metric name the hiscores have published (updates only add lines): the catalogue
# profiles' rules are checked against.
PUBLISHED_SKILLS = list(CURRENT_ORDER.skills)
PUBLISHED_ACTIVITIES = list(CURRENT_ORDER.activities)

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


def _entries(body: bytes) -> int | None:
    """How many metrics an answer holds, JSON or CSV (None when it cannot be read: the
    loader says why)."""
    try:
        if not _is_json(body):
            return len(_csv_lines(body.decode("utf-8-sig")))
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
    """Archive an answer unless it says what ``previous`` (the player's newest archived
    one) said, in either format (:func:`same_content`); the fetch-log entry for it.

    An answer with fewer metrics than the previous one is archived like any other (raw
    is never dropped) and its log entry says so; the marts read a metric missing from a
    snapshot as unranked there, so it yields no gain rather than a negative one.
    """
    entry: dict[str, Any] = {"username": player["username"], "account_type": player["account_type"]}
    if status_if_failed is not None:
        status, http_status, detail = status_if_failed
        return {**entry, "status": status, "http_status": http_status, "detail": detail}
    assert body is not None
    if previous is not None and same_content(previous, body):
        return {**entry, "status": "unchanged", "http_status": 200}
    written = write_atomic(
        SOURCE, "index_lite", at, body, key=player["username"], ext=ext, root=root
    )
    entry.update(status="changed", http_status=200, snapshot_file=written.relative)
    if previous is not None:
        now, before = _entries(body), _entries(previous)
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
