"""Binance spot prices: klines and the 24-hour ticker for the tracked crypto assets.

Endpoints (landing dirs, docs/landing.md#sources-and-endpoints):

* ``klines`` — one page (up to 1,000 klines) per file, ``<first open time>__<symbol>@<interval>``:
  daily history (``1d``) and the last day in minutes (``1m``). The fetch asks only for
  klines that have closed (``endTime`` = now − one interval), so the still-open kline is
  never archived as a candle: it arrives, final, with the next tick. Fetching a page
  again lands on the same name and the same bytes, so nothing loads twice.
* ``ticker_24hr`` — one call for every tracked symbol per tick (the live price).
* ``tracked_assets`` — this provider's lines of ``config/tracked_assets.csv``, archived
  when they change.

Cursors: each (symbol, interval) continues from the kline after the newest one landed
(found from the newest page per key). An unknown symbol (``-1121``), a kline with the
wrong number of fields or a page that is not an array is reported and skipped; the
other symbols carry on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ingestion import assets
from ingestion.column_checks import RECORD_ERRORS
from ingestion.http import FetchError, FetchReport, SourceClient, source_config
from ingestion.landing import LandingFile, newest_per_key, now_utc, write_atomic
from ingestion.loader import EndpointSpec, Reject, TableSpec

SOURCE = "binance"
# no crypto asset has a price before Bitcoin's genesis block (2009-01-03);
# Binance itself opened on 2017-07-14, but its klines stand in for older history here
FIRST_DAY = date(2009, 1, 3)
DEFAULT_BASE_URL = "https://api.binance.com"
INTERVAL_MS = {"1m": 60_000, "1d": 86_400_000}
PAGE = 1_000
KLINE_FIELDS = 12


def _decimal(value: Any, what: str) -> Decimal:
    """Binance sends prices as decimal strings: kept exact (9 places, dlt's decimal)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{what} is not a number: {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{what} is not a number: {value!r}") from None
    if not number.is_finite() or number < 0 or number >= 10**29:
        raise ValueError(f"{what} is out of range: {value!r}")
    return number.quantize(Decimal("1e-9"))


def _ms(value: Any, what: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} is not epoch milliseconds: {value!r}")
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"{what} is not a representable time: {value!r}") from None


def parse_kline(symbol: str, interval: str, rec: Any) -> dict[str, Any]:
    """One kline array (GET /api/v3/klines: open time ms, open, high, low, close, volume,
    close time ms, quote volume, trades, ...) → a ``klines`` row, prices exact.

    Raises ValueError naming the field when the kline has the wrong arity, a price is
    not a finite non-negative decimal, open/close lie outside low..high, or the open time
    is off the interval's UTC grid: without ``timeZone`` Binance opens every kline on it
    (1d at 00:00 UTC), so an off-grid kline would be a second candle for a day or minute
    that already has its own."""
    if not isinstance(rec, list) or len(rec) != KLINE_FIELDS:
        size = len(rec) if isinstance(rec, list) else type(rec).__name__
        raise ValueError(f"a kline has {KLINE_FIELDS} fields, got {size}")
    open_time, close_time = _ms(rec[0], "open time"), _ms(rec[6], "close time")
    if rec[0] % INTERVAL_MS[interval]:
        stamp = open_time.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        raise ValueError(f"open time {stamp} is not on the {interval} grid (UTC)")
    if close_time <= open_time:
        raise ValueError("close time is not after open time")
    row = {
        "symbol": symbol,
        "kline_interval": interval,
        "open_time": open_time,
        "close_time": close_time,
        "open": _decimal(rec[1], "open"),
        "high": _decimal(rec[2], "high"),
        "low": _decimal(rec[3], "low"),
        "close": _decimal(rec[4], "close"),
        "volume": _decimal(rec[5], "volume"),
        "quote_volume": _decimal(rec[7], "quote volume"),
        "trades": int(rec[8]) if isinstance(rec[8], int) else None,
    }
    if (
        not row["low"]
        <= min(row["open"], row["close"])
        <= max(row["open"], row["close"])
        <= row["high"]
    ):
        raise ValueError("open/close outside low..high")
    return row


def _key(file: LandingFile) -> tuple[str, str]:
    symbol, _, interval = (file.key or "").partition("@")
    if not symbol or interval not in INTERVAL_MS:
        raise ValueError(f"file key must be <symbol>@<interval> (1m or 1d), got {file.key!r}")
    return symbol, interval


def parse_klines(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    symbol, interval = _key(file)
    payload = file.read_json()
    if not isinstance(payload, list):
        raise ValueError(f"a klines answer is an array, got {type(payload).__name__}")
    for i, rec in enumerate(payload):
        try:
            yield parse_kline(symbol, interval, rec)
        except RECORD_ERRORS as exc:
            yield Reject(f"/{i}", str(exc), rec)


def parse_ticker(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    payload = file.read_json()
    if not isinstance(payload, list):
        raise ValueError("a 24h ticker answer is an array")
    for i, rec in enumerate(payload):
        try:
            if not isinstance(rec, dict) or not rec.get("symbol"):
                raise ValueError("ticker without a symbol")
            yield {
                "symbol": str(rec["symbol"]),
                "last_price": _decimal(rec.get("lastPrice"), "lastPrice"),
                "price_change_pct": float(rec.get("priceChangePercent")),
                "open_time": _ms(rec.get("openTime"), "openTime"),
                "close_time": _ms(rec.get("closeTime"), "closeTime"),
                "volume": _decimal(rec.get("volume"), "volume"),
            }
        except RECORD_ERRORS as exc:
            yield Reject(f"/{i}", str(exc), rec)


_COMMON = {"landing_file": "text", "captured_at": "timestamp"}
_ASSET_COLUMNS = {c: "text" for c in assets.COLUMNS}

ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec(
        "tracked_assets",
        TableSpec(
            "tracked_assets",
            ("captured_at", "symbol"),
            {**_ASSET_COLUMNS, **_COMMON},
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        assets.parse_assets,
    ),
    EndpointSpec(
        "klines",
        TableSpec(
            "klines",
            ("symbol", "kline_interval", "open_time"),
            {
                "symbol": "text",
                "kline_interval": "text",
                "open_time": "timestamp",
                "close_time": "timestamp",
                "open": "decimal",
                "high": "decimal",
                "low": "decimal",
                "close": "decimal",
                "volume": "decimal",
                "quote_volume": "decimal",
                "trades": "bigint",
                **_COMMON,
            },
            nullable=frozenset({"trades"}),
            observed=("open_time", "captured_at"),
            first_day=FIRST_DAY,
        ),
        parse_klines,
    ),
    EndpointSpec(
        "ticker_24hr",
        TableSpec(
            "ticker_24hr",
            ("captured_at", "symbol"),
            {
                "symbol": "text",
                "last_price": "decimal",
                "price_change_pct": "double",
                "open_time": "timestamp",
                "close_time": "timestamp",
                "volume": "decimal",
                **_COMMON,
            },
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        parse_ticker,
    ),
)


# --------------------------------------------------------------------------- fetch


def base_url() -> str:
    return str(source_config(SOURCE, "base_url", DEFAULT_BASE_URL))


def make_client() -> SourceClient:
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
    tracked symbol from its cursor (page by page), then the 24h ticker in one call. A
    symbol that fails is reported in ``skipped`` and left out of the ticker call."""
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
                    start = max(cursors.get(f"{symbol}@{interval}", 0), starts[interval])
                    _fetch_pages(client, symbol, interval, start, now_ms, root, report)
            except FetchError as exc:
                report.skipped.append(f"{symbol}: {exc}")
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
    tick only reaches a day back for minute klines: this fills a longer gap."""
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
