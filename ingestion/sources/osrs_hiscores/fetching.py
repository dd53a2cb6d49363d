"""OSRS hiscores, API → landing: one tick asks the hiscores about every tracked player,
archives each answer that says something new and writes the tick's fetch log.

A 404 marks a player ``not_found`` and a timeout or 5xx ``failed`` (asked again next
tick); the other players are asked all the same, and a player the hiscores did not serve
(no answer, 429, 5xx) makes the fetch a failed one (``FetchReport.failures``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ingestion.gaps import FetchLogGaps
from ingestion.http import FetchError, FetchReport, SourceClient, source_config
from ingestion.landing import LandingFile, archive_if_changed, newest_per_key, now_utc, write_atomic
from ingestion.sources.osrs_hiscores.parse import metric_count, same_content
from ingestion.sources.osrs_hiscores.players import BOARDS, config_file, read_players
from ingestion.sources.osrs_hiscores.tables import SOURCE

DEFAULT_BASE_URL = "https://secure.runescape.com"
FETCH_EVERY = timedelta(minutes=30)
"""How often a tick asks the hiscores about every player (the schedule, tick.py)."""
GAP_ENDPOINTS = ("index_lite",)
"""The endpoint whose missed answers are gaps (:func:`gaps`): the hiscores serve only a
player's current stats."""
ANSWERED = ("changed", "unchanged", "not_found")
"""Fetch-log outcomes that are an answer (a 404 says the player is not on the hiscores:
nothing was missed); ``failed`` is not."""


def base_url() -> str:
    """The hiscores' base URL: ``sources.osrs_hiscores.base_url``, else
    https://secure.runescape.com."""
    return str(source_config(SOURCE, "base_url", DEFAULT_BASE_URL))


def make_client() -> SourceClient:
    """The run's client: 2 requests/s unless configured, 3 attempts, 20 s timeout."""
    return SourceClient.configured(SOURCE, base_url(), per_second=2.0, max_attempts=3, timeout=20.0)


def newest_answers(root: Path | None = None) -> dict[str, LandingFile]:
    """Each player's newest archived answer: one directory listing per tick, not one per
    player, so a tick costs the same however many players are tracked."""
    return newest_per_key(SOURCE, "index_lite", root)


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
        now, before = metric_count(body), metric_count(previous)
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
                    if exc.outage:  # the hiscores did not serve: the fetch failed
                        report.fail(exc)
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


GAP_RULE = FetchLogGaps(
    SOURCE,
    endpoint="index_lite",
    key="username",
    answered=ANSWERED,
    every=FETCH_EVERY,
    missed_minutes=75,  # one missed tick makes 60 minutes, plus a late start
    served="the hiscores serve only a player's current stats"
    " (sources.osrs_hiscores.snapshot_gap_minutes)",
)
"""Each tracked player's stats at ticks that got no answer, never to be had again (the
hiscores keep no history): answered at 10:00 and 10:30, failed at 11:00 and 11:30,
answered at 12:00 → the gap [11:00, 12:00) (ingestion/gaps.py ``FetchLogGaps``)."""
gaps = GAP_RULE.gaps
gaps_seen_from = GAP_RULE.seen_from
