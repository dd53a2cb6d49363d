"""Yahoo Finance, landing → records: a chart answer → a daily bar per session (splits
and dividends on their session's bar); ``ENDPOINTS`` says which parser fills which raw
table (:mod:`.tables`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ingestion import assets
from ingestion.column_checks import RECORD_ERRORS
from ingestion.landing import LandingFile
from ingestion.loader import EndpointSpec, FileRejected, Reject
from ingestion.sources.yahoo_finance.tables import DAILY_BARS, TRACKED_ASSETS


def _number(value: Any, what: str) -> Decimal | None:
    """JSON numbers as exact decimals (9 places, dlt's decimal); null stays null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} is not a number: {value!r}")
    if value != value or value < 0 or value >= 10**29:
        raise ValueError(f"{what} is out of range: {value!r}")
    return Decimal(repr(value)).quantize(Decimal("1e-9"))


def parse_chart(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    """One chart answer (``/v8/finance/chart/<symbol>``, symbol from the file's key) →
    a ``daily_bars`` row per element of ``timestamp`` (prices in the chart's currency,
    exact decimals; volume in shares; the session's split, if any, as numerator and
    denominator, 4 and 1 for 4:1), plus a null-price row for a split on a day with no
    bar. A bar that breaks the contract is a :class:`Reject` naming its index; an answer
    with ``chart.error`` set is :class:`FileRejected` with Yahoo's own text; one without
    a chart result raises ValueError."""
    symbol = file.key or ""
    if not symbol:
        raise ValueError("symbol missing from the file name")
    payload = file.read_json()
    chart = payload.get("chart") if isinstance(payload, dict) else None
    if not isinstance(chart, dict):
        raise ValueError("no 'chart' object")
    if chart.get("error"):
        error = chart["error"]
        if isinstance(error, dict):
            error = f"{error.get('code')}: {error.get('description')}"
        raise FileRejected("/chart/error", f"Yahoo answered an error for {symbol}: {error}")
    results = chart.get("result")
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise ValueError("no chart result")
    result = results[0]
    stamps = result.get("timestamp") or []
    indicators = result.get("indicators") or {}
    quote = (indicators.get("quote") or [{}])[0] or {}
    adjclose = ((indicators.get("adjclose") or [{}])[0] or {}).get("adjclose") or []
    events = result.get("events") or {}
    dividends = {int(k): v for k, v in (events.get("dividends") or {}).items()}
    splits = {int(k): v for k, v in (events.get("splits") or {}).items()}
    split_days = {_utc_day(ts): split for ts, split in splits.items()}
    bar_days: set[date | None] = set()
    currency = (result.get("meta") or {}).get("currency")
    for i, ts in enumerate(stamps):
        try:
            if isinstance(ts, bool) or not isinstance(ts, int):
                raise ValueError(f"timestamp is not epoch seconds: {ts!r}")
            try:
                bar_at = datetime.fromtimestamp(ts, UTC)
            except (OverflowError, OSError, ValueError):
                raise ValueError(f"timestamp is not a representable time: {ts!r}") from None

            def col(name: str, values: list = quote, i: int = i) -> Any:
                vals = values.get(name) if isinstance(values, dict) else values
                return vals[i] if isinstance(vals, list) and i < len(vals) else None

            split = splits.get(ts) or split_days.get(bar_at.date()) or {}
            bar_days.add(bar_at.date())
            yield {
                "symbol": symbol,
                "bar_at": bar_at,
                "currency": currency,
                "open": _number(col("open"), "open"),
                "high": _number(col("high"), "high"),
                "low": _number(col("low"), "low"),
                "close": _number(col("close"), "close"),
                "adj_close": _number(adjclose[i] if i < len(adjclose) else None, "adjclose"),
                "volume": _number(col("volume"), "volume"),
                "dividend": _number((dividends.get(ts) or {}).get("amount"), "dividend"),
                "split_numerator": _number(split.get("numerator"), "split numerator"),
                "split_denominator": _number(split.get("denominator"), "split denominator"),
            }
        except RECORD_ERRORS as exc:
            yield Reject(f"/chart/result/0/timestamp/{i}", str(exc), ts)
    for ts, split in splits.items():
        # a split on a day without a bar here: kept, on an empty bar at its own time, so
        # the earlier prices still get put on the new scale
        if _utc_day(ts) in bar_days:
            continue
        try:
            yield {
                "symbol": symbol,
                "bar_at": datetime.fromtimestamp(ts, UTC),
                "currency": currency,
                **dict.fromkeys(("open", "high", "low", "close", "adj_close", "volume")),
                "dividend": None,
                "split_numerator": _number(split.get("numerator"), "split numerator"),
                "split_denominator": _number(split.get("denominator"), "split denominator"),
            }
        except RECORD_ERRORS as exc:
            yield Reject(f"/chart/result/0/events/splits/{ts}", str(exc), split)


def _utc_day(ts: int) -> date | None:
    """The UTC date of epoch seconds ``ts`` (a US session's bars, open 13:30/14:30 and
    close 20:00/21:00 UTC, all fall on it); None when no datetime can hold it."""
    try:
        return datetime.fromtimestamp(ts, UTC).date()
    except (OverflowError, OSError, ValueError):
        return None


ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec("tracked_assets", TRACKED_ASSETS, assets.parse_assets),
    EndpointSpec("chart", DAILY_BARS, parse_chart),
)
