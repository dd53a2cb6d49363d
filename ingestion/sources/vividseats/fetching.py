"""Vivid Seats, API → landing: one tick resolves the events config, archives it if it
changed, then asks for every tracked event not yet past (production record, then
listings) and writes the tick's fetch log.

A blocked or failed event does not stop the others; a request the site did not serve
(no answer, 429, 5xx) makes the fetch a failed one (``FetchReport.failures``).
Requests are spread out under ``SOURCES__VIVIDSEATS__REQUESTS_PER_MINUTE``.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from ingestion.gaps import FetchLogGaps
from ingestion.http import FetchError, FetchReport, SourceClient, source_config
from ingestion.landing import archive_if_changed, newest_file, now_utc, write_atomic
from ingestion.sources.vividseats.events import config_file, read_config
from ingestion.sources.vividseats.tables import SOURCE

DEFAULT_BASE_URL = "https://www.vividseats.com"
API = "hermes/api/v1"
FETCH_EVERY = timedelta(minutes=15)
"""How often a tick asks for every tracked event's listings (the schedule, tick.py)."""
GAP_ENDPOINTS = ("listings",)
"""The endpoint whose missed snapshots are gaps (:func:`gaps`): the site serves only an
event's current listings."""


def base_url() -> str:
    """The site's base URL: ``sources.vividseats.base_url``, else https://www.vividseats.com."""
    return str(source_config(SOURCE, "base_url", DEFAULT_BASE_URL))


def make_client() -> SourceClient:
    """The run's client: 3 requests/s unless configured, 3 attempts, 30 s timeout."""
    return SourceClient.configured(SOURCE, base_url(), per_second=3.0, max_attempts=3, timeout=30.0)


def known_past(root: Path | None = None) -> set[int]:
    """Events the newest fetch log marked ``past``: not asked again. One small file per
    tick is read, not the production archive (a million files after a season)."""
    newest = newest_file(SOURCE, "fetch_log", root)
    if newest is None:
        return set()
    try:
        entries = json.loads(newest.read_text())
        return {int(e["production_id"]) for e in entries if e.get("status") == "past"}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()  # an unreadable log: ask every event once more, the loader says why


def is_past(local_date: datetime | None, now: datetime) -> bool:
    """Past once its local date is before today (UTC): event day itself is still asked,
    and no time zone table is needed for a day's precision."""
    return local_date is not None and local_date.date() < now.astimezone(UTC).date()


def _resolve(
    config: list[dict[str, Any]],
    client: SourceClient,
    log: list[dict[str, Any]],
    failures: list[FetchError] | None = None,
) -> list[dict[str, Any]]:
    """Config lines → tracked productions (performer lines through the productions
    search). A performer whose search fails keeps nothing this tick and says why; a
    search the site did not serve (``FetchError.outage``) is added to ``failures``."""
    events: dict[int, dict[str, Any]] = {}
    for line in config:
        if line["production_id"] is not None:
            events.setdefault(line["production_id"], {**line, "resolved_from": "production_id"})
            continue
        try:
            response = client.get(f"{API}/productions", params={"performerName": line["performer"]})
            items = response.json().get("items") or []
        except (FetchError, ValueError, AttributeError) as exc:
            if isinstance(exc, FetchError) and exc.outage and failures is not None:
                failures.append(exc)
            log.append({"performer": line["performer"], "status": "failed", "detail": str(exc)})
            continue
        for item in items:
            venue = (item.get("venue") or {}).get("name")
            if line["venue"] and (venue or "").lower() != line["venue"].lower():
                continue
            pid = int(item["id"])
            events.setdefault(
                pid,
                {
                    "production_id": pid,
                    "performer": line["performer"],
                    "venue": line["venue"],
                    "note": item.get("name"),
                    "resolved_from": "performer",
                },
            )
    return sorted(events.values(), key=lambda e: e["production_id"])


def archive_tracked(events: list[dict[str, Any]], at: datetime, root: Path | None) -> str | None:
    """Archive the resolved events when they differ from the newest archived version."""
    written = archive_if_changed(
        SOURCE, "tracked_events", at, json.dumps(events, sort_keys=True).encode(), root=root
    )
    return written.relative if written else None


def compress(body: bytes) -> bytes:
    """Listings bodies are archived gzipped (about a fifth of the size: a hundred events
    every 15 minutes is 10 GB a month of JSON); mtime 0 keeps identical bodies
    byte-identical, so a re-fetch of an unchanged book is recognised."""
    return gzip.compress(body, compresslevel=6, mtime=0)


def fetch_event(
    production_id: int,
    client: SourceClient,
    root: Path | None,
    now: datetime,
    was_past: bool,
    stamp: Any = now_utc,
    failures: list[FetchError] | None = None,
) -> dict[str, Any]:
    """One event's production record and listings → landing; its fetch-log entry.
    Each file is stamped when its answer arrived (``stamp()``), its observation time.
    A request the site did not serve (``FetchError.outage``) is added to ``failures``."""
    entry: dict[str, Any] = {"production_id": production_id}
    if was_past:
        return {**entry, "status": "past", "detail": "event date has passed: not asked again"}
    key = str(production_id)
    try:
        response = client.get(f"{API}/productions/{production_id}")
        at = stamp()
        production = write_atomic(SOURCE, "production", at, response.content, key=key, root=root)
        try:
            local = datetime.fromisoformat(str(response.json()["localDate"]))
        except (ValueError, KeyError, TypeError):
            local = None  # the loader rejects the record and says why
        if is_past(local, now):
            return {**entry, "status": "past", "http_status": 200,
                    "detail": "event date has passed: not asked again"}  # fmt: skip
        response = client.get(f"{API}/listings", params={"productionId": production_id})
        at = stamp()
        listings = write_atomic(
            SOURCE, "listings", at, compress(response.content), key=key, ext="json.gz", root=root
        )
    except FetchError as exc:
        if exc.outage and failures is not None:
            failures.append(exc)
        status = {403: "blocked", 404: "not_found"}.get(exc.status or 0, "failed")
        return {**entry, "status": status, "http_status": exc.status, "detail": str(exc)}
    try:
        count = len(orjson.loads(response.content).get("tickets") or [])
    except (orjson.JSONDecodeError, AttributeError):
        count = None
    entry.update(status="ok", http_status=200, listings_file=listings.relative, listings=count)
    entry["production_file"] = production.relative
    return entry


def fetch(
    *,
    root: Path | None = None,
    client: SourceClient | None = None,
    now: datetime | None = None,
    config_text: str | None = None,
) -> FetchReport:
    """One tick: resolve the config, archive it if it changed, then every tracked event
    not yet past (production record, then listings). The tick's fetch log is written
    even when some events were blocked or failed."""
    client = client or make_client()
    report = FetchReport(SOURCE)
    # a simulated tick (``now`` given) stamps every file with it; a live one, each
    # answer with its arrival time
    stamp = (lambda: now) if now is not None else now_utc
    now = now or now_utc()
    config = read_config(config_text if config_text is not None else config_file().read_text())
    log: list[dict[str, Any]] = []
    try:
        events = _resolve(config, client, log, report.failures)
        archived = archive_tracked(events, now, root)
        if archived:
            report.files.append(archived)
        past = known_past(root)
        for event in events:
            pid = event["production_id"]
            entry = fetch_event(pid, client, root, now, pid in past, stamp, report.failures)
            for name in ("production_file", "listings_file"):
                if entry.get(name):
                    report.files.append(entry[name])
            entry.pop("production_file", None)
            if entry["status"] != "ok":
                report.skipped.append(f"{pid}: {entry['status']}")
            log.append(entry)
    finally:
        report.count(client)
        entries = [e for e in log if "production_id" in e]
        for e in log:
            if "performer" in e:
                report.skipped.append(f"performer {e['performer']!r}: {e['detail']}")
        if entries:
            written = write_atomic(
                SOURCE, "fetch_log", now, json.dumps(entries).encode(), root=root
            )
            report.files.append(written.relative)
    return report


GAP_RULE = FetchLogGaps(
    SOURCE,
    endpoint="listings",
    key="production_id",
    answered=("ok",),  # listings landed; blocked, not_found, failed did not
    every=FETCH_EVERY,
    missed_minutes=40,  # one missed tick makes 30 minutes, plus a late start
    served="the site serves only an event's current listings"
    " (sources.vividseats.snapshot_gap_minutes)",
)
"""Each tracked event's listings at ticks that got none, never to be had again (the site
serves only the current listings): ok at 10:00 and 10:15, blocked or failed at 10:30,
10:45 and 11:00, ok at 11:15 → the gap [10:30, 11:15). A past event (not asked again) has
no gap after it (ingestion/gaps.py ``FetchLogGaps``)."""
gaps = GAP_RULE.gaps
gaps_seen_from = GAP_RULE.seen_from
