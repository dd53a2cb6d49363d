"""Binance, API → landing: closed klines page by page from each (symbol, interval)'s
cursor, and the 24h ticker in one call per tick.

Cursors: each (symbol, interval) continues from the kline after the newest one landed
(found from the newest page per key). An unknown symbol (``-1121``) or a page that is
not an array is reported and skipped; the other symbols carry on. A symbol Binance did
not serve (no answer, 429 or 5xx after the retries) is skipped too, and makes the fetch
a failed one (``FetchReport.failures``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ingestion import assets
from ingestion.http import FetchError, FetchReport, SourceClient, source_config
from ingestion.landing import newest_per_key, now_utc, write_atomic
from ingestion.sources.binance.parse import INTERVAL_MS
from ingestion.sources.binance.tables import SOURCE

DEFAULT_BASE_URL = "https://api.binance.com"
PAGE = 1_000


def base_url() -> str:
    """The API's base URL: ``sources.binance.base_url``, else https://api.binance.com."""
    return str(source_config(SOURCE, "base_url", DEFAULT_BASE_URL))


def make_client() -> SourceClient:
    """The run's client: 10 requests/s unless configured, 5 attempts, and 418 (an IP banned for
    ignoring 429s) retried like a 429, Retry-After honoured
    (https://github.com/binance/binance-spot-api-docs/blob/master/rest-api.md)."""
    # Binance's budget is per minute (request weight); 418 means "banned for ignoring
    # 429s": back off and retry as for a 429, honouring Retry-After.
    return SourceClient.configured(
        SOURCE, base_url(), per_second=10.0, max_attempts=5, extra_retry_status=(418,)
    )


def _cursors_from_landing(root: Path | None) -> dict[str, int]:
    """Next open time (ms) per ``symbol@interval``: after the newest kline landed."""
    cursors = {}
    for key, f in newest_per_key(SOURCE, "klines", root).items():
        interval = key.partition("@")[2]
        try:
            page = json.loads(f.read_text())
            opens = [k[0] for k in page if isinstance(k, list) and k and isinstance(k[0], int)]
        except (ValueError, TypeError):
            continue  # an unreadable page: the loader rejects it; start from the config
        if opens and interval in INTERVAL_MS:
            cursors[key] = max(opens) + INTERVAL_MS[interval]
    return cursors


def fetch(
    *,
    root: Path | None = None,
    client: SourceClient | None = None,
    now: datetime | None = None,
    assets_file: Path | None = None,
) -> FetchReport:
    """API → landing: the config when it changed, closed daily and minute klines for every
    tracked symbol from its cursor — the kline after the newest landed, however long the
    pause (page by page) — then the 24h ticker in one call. A symbol with nothing landed
    starts ``history_days`` back (daily) or a day back (minutes). A symbol that fails is
    reported in ``skipped`` and left out of the ticker call."""
    client = client or make_client()
    now = now or now_utc()
    report, tracked = assets.begin_fetch(SOURCE, now, root, assets_file)
    cursors = _cursors_from_landing(root)
    now_ms = int(now.timestamp() * 1000)
    day_ms = INTERVAL_MS["1d"]
    starts = {"1d": now_ms - assets.history_days(SOURCE) * day_ms, "1m": now_ms - day_ms}
    known = []
    try:
        for asset in tracked:
            symbol = asset["provider_symbol"]
            try:
                for interval in ("1d", "1m"):
                    # from the kline after the newest landed, however long ago (Binance
                    # serves klines back to a symbol's listing); a first fetch: the window
                    start = cursors.get(f"{symbol}@{interval}", starts[interval])
                    _fetch_pages(client, symbol, interval, start, now_ms, root, report)
            except FetchError as exc:
                report.skipped.append(f"{symbol}: {exc}")
                if exc.outage:  # Binance did not serve: the fetch failed (the others go on)
                    report.fail(exc)
                continue
            known.append(symbol)
        if known:
            symbols = json.dumps(known, separators=(",", ":"))
            body = client.get("api/v3/ticker/24hr", params={"symbols": symbols}).content
            report.files.append(write_atomic(SOURCE, "ticker_24hr", now, body, root=root).relative)
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
    assets_file: Path | None = None,
) -> FetchReport:
    """A backfill: every tracked symbol's closed daily and minute klines opening in
    ``[start, end)``. Pages are named by their first open time, so one fetched twice
    lands on the same name (the loader replaces its rows, nothing doubles). The live
    tick continues from the newest kline landed; this fetches a range before it."""
    client = client or make_client()
    now = now or now_utc()
    report, tracked = assets.begin_fetch(SOURCE, now, root, assets_file)
    start_ms = int(start.timestamp() * 1000)
    stop_ms = int(min(end, now).timestamp() * 1000)  # _fetch_pages: only closed klines
    try:
        for asset in tracked:
            symbol = asset["provider_symbol"]
            try:
                for interval in ("1d", "1m"):
                    first = -(-start_ms // INTERVAL_MS[interval]) * INTERVAL_MS[interval]
                    _fetch_pages(client, symbol, interval, first, stop_ms, root, report)
            except FetchError as exc:
                report.skipped.append(f"{symbol}: {exc}")
                if exc.outage:
                    report.fail(exc)
    finally:
        report.count(client)
    return report


def _fetch_pages(
    client: SourceClient,
    symbol: str,
    interval: str,
    start_ms: int,
    now_ms: int,
    root: Path | None,
    report: FetchReport,
) -> None:
    """Closed klines from ``start_ms`` on, a page (file) at a time."""
    step = INTERVAL_MS[interval]
    end_ms = now_ms - step  # a kline opening after this has not closed yet
    key = f"{symbol}@{interval}"
    while start_ms <= end_ms:
        params = {
            "symbol": symbol,
            "interval": interval,
            "startTime": start_ms,
            "endTime": end_ms,
            "limit": PAGE,
        }
        body = client.get("api/v3/klines", params=params).content
        try:
            page = json.loads(body)
            first_open = int(page[0][0]) if page else None
            last_open = max(int(k[0]) for k in page if isinstance(k, list) and k) if page else None
        except (ValueError, TypeError, IndexError, KeyError):
            at = datetime.fromtimestamp(now_ms / 1000, UTC)
            written = write_atomic(SOURCE, "klines", at, body, key=key, root=root)
            report.files.append(written.relative)
            report.skipped.append(f"{key}: unreadable page (archived for the loader to reject)")
            return
        if first_open is None:
            return  # nothing closed since the cursor: nothing to archive
        at = datetime.fromtimestamp(first_open / 1000, UTC)
        written = write_atomic(SOURCE, "klines", at, body, key=key, root=root)
        report.files.append(written.relative)
        if len(page) < PAGE:
            return
        start_ms = last_open + step


def config_file() -> Path:
    """The tracked-assets CSV this source reads (``sources.binance.assets_file``, else
    ``config/tracked_assets.csv``); a missing one is a UserMistake."""
    return assets.config_file(SOURCE)
