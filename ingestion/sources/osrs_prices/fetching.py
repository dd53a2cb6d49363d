"""OSRS prices, API → landing: each response body is written before anything parses it.

A bucket file (``5m``, ``1h``) is named by the bucket's own ``timestamp``, so fetching a
bucket twice lands on the same name and loads as the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingestion.http import FetchReport, SourceClient, source_config
from ingestion.landing import LandingFile, iter_landing_files, now_utc, write_atomic
from ingestion.sources.osrs_prices.tables import BUCKET_SECONDS, SOURCE

DEFAULT_BASE_URL = "https://prices.runescape.wiki/api/v1/osrs"


def base_url() -> str:
    """The API's base URL: ``sources.osrs_prices.base_url``, else
    https://prices.runescape.wiki/api/v1/osrs."""
    return str(source_config(SOURCE, "base_url", DEFAULT_BASE_URL))


def make_client() -> SourceClient:
    """The run's client: 5 requests/s unless configured, the default retries; the wiki asks
    for a descriptive User-Agent, which every client sends
    (https://oldschool.runescape.wiki/w/RuneScape:Real-time_Prices)."""
    return SourceClient.configured(SOURCE, base_url(), per_second=5.0)


def _landed_buckets(endpoint: str, root: Path | None) -> set[datetime]:
    return {
        f.captured_at
        for f in iter_landing_files(SOURCE, [endpoint], root)
        if isinstance(f, LandingFile)
    }


def _fresh_mapping(root: Path | None, now: datetime, max_age: timedelta) -> list[LandingFile]:
    """Landed item mappings younger than ``max_age`` (the catalogue changes rarely)."""
    return [
        f
        for f in iter_landing_files(SOURCE, ["mapping"], root)
        if isinstance(f, LandingFile) and now - f.captured_at < max_age
    ]


def catch_up_window() -> timedelta:
    """How far back a live tick looks for buckets it missed (a few failed ticks heal by
    themselves; a longer outage needs ``snapmart backfill``)."""
    return timedelta(minutes=float(source_config(SOURCE, "catch_up_minutes", 60)))


def fetch(
    endpoints: tuple[str, ...] = ("mapping", "latest", "5m", "1h"),
    *,
    backfill: timedelta | None = None,
    mapping_max_age: timedelta = timedelta(hours=24),
    root: Path | None = None,
    client: SourceClient | None = None,
    now: datetime | None = None,
) -> FetchReport:
    """API → landing. Each response body is written before anything parses it.

    The 5m/1h endpoints fetch the newest bucket, then every bucket of the
    ``backfill`` window before it that is not in the landing zone yet, so a
    missed tick heals on the next one.
    """
    client = client or make_client()
    now = now or now_utc()
    backfill = catch_up_window() if backfill is None else backfill
    report = FetchReport(SOURCE)

    def land(endpoint: str, captured_at: datetime, body: bytes) -> None:
        written = write_atomic(SOURCE, endpoint, captured_at, body, root=root)
        report.files.append(written.relative)

    try:
        if "mapping" in endpoints:
            fresh = _fresh_mapping(root, now, mapping_max_age)
            if fresh:
                report.skipped.append(f"mapping (fresh copy from {fresh[-1].captured_at:%F %T}Z)")
            else:
                land("mapping", now, client.get("mapping").content)
        if "latest" in endpoints:
            land("latest", now, client.get("latest").content)
        for endpoint in ("5m", "1h"):
            if endpoint not in endpoints:
                continue
            step = BUCKET_SECONDS[endpoint]
            response = client.get(endpoint)
            body = response.content
            try:
                newest = int(json.loads(body)["timestamp"])
            except (ValueError, KeyError, TypeError):
                # Archive it under the fetch time so the loader rejects it visibly.
                land(endpoint, now, body)
                continue
            land(endpoint, datetime.fromtimestamp(newest, UTC), body)
            have = _landed_buckets(endpoint, root)
            first = newest - int(backfill.total_seconds()) // step * step
            for ts in range(first, newest, step):
                at = datetime.fromtimestamp(ts, UTC)
                if at in have:
                    continue
                land(endpoint, at, client.get(endpoint, {"timestamp": ts}).content)
    finally:
        report.count(client)
    return report


def fetch_window(
    start: datetime,
    end: datetime,
    *,
    root: Path | None = None,
    client: SourceClient | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FetchReport:
    """Every 5m and 1h bucket that starts in ``[start, end)`` and is not in the landing zone
    yet (a backfill: re-running it asks for nothing twice), plus the item mapping when no
    fresh copy is landed. The window stops at the newest bucket the API has published, so
    a range reaching into today never asks for buckets that do not exist yet.
    ``progress(done, total)`` follows the bucket requests."""
    client = client or make_client()
    now = now or now_utc()
    report = FetchReport(SOURCE)
    try:
        if not _fresh_mapping(root, now, timedelta(hours=24)):
            body = client.get("mapping").content
            report.files.append(write_atomic(SOURCE, "mapping", now, body, root=root).relative)
        wanted: list[tuple[str, int]] = []
        for endpoint, step in BUCKET_SECONDS.items():
            newest = int(json.loads(client.get(endpoint).content)["timestamp"])
            have = _landed_buckets(endpoint, root)
            first = -(-int(start.timestamp()) // step) * step  # the first bucket at or after start
            last = min(int(end.timestamp()) - 1, newest)
            wanted += [
                (endpoint, ts)
                for ts in range(first, last + 1, step)
                if datetime.fromtimestamp(ts, UTC) not in have
            ]
        for done, (endpoint, ts) in enumerate(wanted, 1):
            body = client.get(endpoint, {"timestamp": ts}).content
            at = datetime.fromtimestamp(ts, UTC)
            report.files.append(write_atomic(SOURCE, endpoint, at, body, root=root).relative)
            if progress:
                progress(done, len(wanted))
    finally:
        report.count(client)
    return report
