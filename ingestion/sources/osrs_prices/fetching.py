"""OSRS prices, API → landing: each response body is written before anything parses it.

A bucket file (``5m``, ``1h``) is named by the bucket's own ``timestamp``, so fetching a
bucket twice lands on the same name and loads as the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingestion.gaps import Gap, missing_runs
from ingestion.gaps import at as gap_at
from ingestion.http import FetchError, FetchReport, SourceClient, source_config
from ingestion.landing import LandingFile, iter_landing_files, now_utc, write_atomic
from ingestion.sources.osrs_prices.tables import BUCKET_SECONDS, SOURCE

DEFAULT_BASE_URL = "https://prices.runescape.wiki/api/v1/osrs"
GAP_ENDPOINTS = ("5m", "1h")  # the endpoints whose past the API serves, and so can lose


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


def landed_grid(endpoint: str, root: Path | None) -> list[int]:
    """The endpoint's landed buckets as epoch seconds on its grid, oldest first (a copy
    saved under an off-grid name, or an unreadable body archived under its fetch time,
    is not a bucket of its own)."""
    step = BUCKET_SECONDS[endpoint]
    stamps = {int(at.timestamp()) for at in _landed_buckets(endpoint, root)}
    return sorted(ts for ts in stamps if ts % step == 0)


def _fresh_mapping(root: Path | None, now: datetime, max_age: timedelta) -> list[LandingFile]:
    """Landed item mappings younger than ``max_age`` (the catalogue changes rarely)."""
    return [
        f
        for f in iter_landing_files(SOURCE, ["mapping"], root)
        if isinstance(f, LandingFile) and now - f.captured_at < max_age
    ]


def catch_up_window() -> timedelta:
    """How far back a first fetch reaches, when nothing of the endpoint is landed yet
    (``sources.osrs_prices.catch_up_minutes``, default 60). Later fetches continue from
    what is landed instead (:func:`served_history`)."""
    return timedelta(minutes=float(source_config(SOURCE, "catch_up_minutes", 60)))


def served_history() -> timedelta:
    """How far back from its newest bucket the API is taken to serve past buckets
    (``?timestamp=``): ``sources.osrs_prices.served_history_minutes``, default 1440
    (24 hours). The wiki documents no limit; this bounds what a tick after a long pause
    asks for (288 5-minute buckets a day). A missing bucket older than this is recorded
    as a gap (:func:`gaps`); ``snapmart backfill`` may still get it where the API has it."""
    return timedelta(minutes=float(source_config(SOURCE, "served_history_minutes", 1440)))


def _served_floor(newest: int, step: int) -> int:
    """The oldest bucket the API serves when its newest is ``newest``: the buckets of the
    served history counted back from the newest one (the newest included)."""
    span = int(served_history().total_seconds()) // step * step
    return newest - span + step


def gaps(root: Path | None = None) -> list[Gap]:
    """Every stretch of 5m/1h buckets missing from the landing zone that the API no
    longer serves: holes between the oldest landed bucket and the served floor of the
    newest landed one, one :class:`~ingestion.gaps.Gap` per run of missing buckets
    (``gap_to`` exclusive: the first bucket after the run). Works from the landing zone
    alone, so it is the same whichever run asks, and after a fetch that failed half-way."""
    found = []
    for endpoint in GAP_ENDPOINTS:
        step = BUCKET_SECONDS[endpoint]
        have = landed_grid(endpoint, root)
        if not have:
            continue
        floor = _served_floor(have[-1], step)
        minutes = served_history().total_seconds() / 60
        for start, end in missing_runs(have, have[0], floor, step):
            found.append(
                Gap(
                    SOURCE,
                    endpoint,
                    gap_at(start),
                    gap_at(end),
                    f"no {endpoint} bucket landed, and the API serves only the last"
                    f" {minutes:g} minutes (sources.osrs_prices.served_history_minutes)",
                )
            )
    return found


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

    The 5m/1h endpoints fetch the newest bucket, then every bucket missing from the
    landing zone between the oldest one landed and the newest, as far back as the API
    serves (:func:`served_history`): a fetch continues from what it has landed, however
    long the pause, and a fetch that failed half-way heals on the next one. With nothing
    landed yet it reaches ``backfill`` back (default :func:`catch_up_window`). Older
    missing buckets are gaps (:func:`gaps`). A past bucket the API answers 404 for is
    reported in ``skipped``, not fatal: it is older than the API serves after all.

    An endpoint whose request still fails after its retries (a 503 on ``/5m``) is a
    failure of the fetch (``report.failures``, the first one names the request); the other
    endpoints are still fetched and everything that arrived is archived. Raises nothing
    for a request's failure.
    """
    client = client or make_client()
    now = now or now_utc()
    backfill = catch_up_window() if backfill is None else backfill
    report = FetchReport(SOURCE)

    def land(endpoint: str, captured_at: datetime, body: bytes) -> None:
        written = write_atomic(SOURCE, endpoint, captured_at, body, root=root)
        report.files.append(written.relative)

    try:
        # each endpoint on its own: one the API fails to serve (a 503 on /5m) is noted in
        # ``report.failures`` and the others are still asked for
        if "mapping" in endpoints:
            fresh = _fresh_mapping(root, now, mapping_max_age)
            if fresh:
                report.skipped.append(f"mapping (fresh copy from {fresh[-1].captured_at:%F %T}Z)")
            else:
                _each(report, lambda: land("mapping", now, client.get("mapping").content))
        if "latest" in endpoints:
            _each(report, lambda: land("latest", now, client.get("latest").content))
        for endpoint in ("5m", "1h"):
            if endpoint in endpoints:
                _each(
                    report,
                    lambda e=endpoint: _fetch_buckets(e, client, land, report, backfill, root, now),
                )
    finally:
        report.count(client)
    return report


def _each(report: FetchReport, fetch_one: Callable[[], None]) -> None:
    """Run one endpoint's fetch; a request of it that still failed after its retries is
    the fetch's failure (``report.failures``), not the end of the other endpoints'."""
    try:
        fetch_one()
    except FetchError as exc:
        report.fail(exc)


def _fetch_buckets(
    endpoint: str,
    client: SourceClient,
    land: Callable[[str, datetime, bytes], None],
    report: FetchReport,
    backfill: timedelta,
    root: Path | None,
    now: datetime,
) -> None:
    """One bucket endpoint (5m, 1h): its newest bucket, then every one missing since the
    oldest landed (or ``backfill`` back), within what the API serves. A FetchError other
    than a 404 for a past bucket ends this endpoint's fetch."""
    step = BUCKET_SECONDS[endpoint]
    have = landed_grid(endpoint, root)
    body = client.get(endpoint).content
    try:
        newest = int(json.loads(body)["timestamp"])
    except (ValueError, KeyError, TypeError):
        # Archive it under the fetch time so the loader rejects it visibly.
        land(endpoint, now, body)
        return
    land(endpoint, datetime.fromtimestamp(newest, UTC), body)
    # continue from the oldest bucket landed (its holes included), else a first window
    first = have[0] if have else newest - int(backfill.total_seconds()) // step * step
    first = max(first, _served_floor(newest, step))
    landed = set(have)
    for ts in range(first, newest, step):
        if ts in landed:
            continue
        try:
            past = client.get(endpoint, {"timestamp": ts}).content
        except FetchError as exc:
            if exc.status != 404:
                raise
            report.skipped.append(f"{endpoint} {gap_at(ts):%F %H:%M}Z: not served (404)")
            continue
        land(endpoint, datetime.fromtimestamp(ts, UTC), past)


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
