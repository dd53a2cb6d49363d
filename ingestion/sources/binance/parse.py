"""Binance, landing → records: kline pages and the 24h ticker, prices as exact decimals;
``ENDPOINTS`` says which parser fills which raw table (:mod:`.tables`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ingestion import assets
from ingestion.column_checks import RECORD_ERRORS
from ingestion.landing import LandingFile
from ingestion.loader import EndpointSpec, Reject
from ingestion.sources.binance.tables import KLINES, TICKER_24HR, TRACKED_ASSETS

INTERVAL_MS = {"1m": 60_000, "1d": 86_400_000}
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
    """Parser of a ``klines`` page (file key ``<symbol>@<1m|1d>``): a ``klines`` row per kline
    (``parse_kline``), a Reject per bad one. A bad key or a body that is not a JSON array is
    a ValueError: the whole file is rejected (docs/landing.md#rejected-records)."""
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
    """Parser of a ``ticker_24hr`` answer (GET /api/v3/ticker/24hr): a row per symbol with last
    price and volume as exact decimals, the 24h change in percent, open and close times
    (UTC, from epoch ms); a Reject per bad entry. A body that is not a JSON array is a
    ValueError: the whole file is rejected (docs/landing.md#rejected-records)."""
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


ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec("tracked_assets", TRACKED_ASSETS, assets.parse_assets),
    EndpointSpec("klines", KLINES, parse_klines),
    EndpointSpec("ticker_24hr", TICKER_24HR, parse_ticker),
)
