"""Yahoo Finance daily bars (chart API) for the tracked stocks and ETFs.

Endpoints (landing dirs, docs/landing.md#sources-and-endpoints):

* ``chart`` — one answer per symbol and fetch, ``<first bar time>__<symbol>``: daily bars
  from the day after the newest one landed (``period1``) to the last session that has
  closed (``period2`` = now − 7 h: a US bar stamped 14:30 UTC is complete at 21:00), with
  dividends and splits. A bar Yahoo leaves empty (nulls) loads with null prices and is
  dropped in staging; an answer with ``chart.error`` set (unknown or delisted symbol) is
  archived under the fetch time and rejected with Yahoo's own description, and the other
  symbols carry on. ``events.splits`` go on the bar of their session (Yahoo keys a split by
  that bar's time; a split keyed at another time of the same UTC day, or of a day with no
  bar in the answer, still lands: on that day's bar, or as a bar with null prices).
  The bars stay as Yahoo sent them: a repeated session (the newest bar sent twice, at the
  session's open and at its close) and the scale of bars fetched before a later split
  are settled in dbt (``int_exchanges__yahoo_sessions``).
* ``tracked_assets`` — this provider's lines of ``config/tracked_assets.csv``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingestion import assets
from ingestion.column_checks import RECORD_ERRORS
from ingestion.http import FetchError, FetchReport, SourceClient, source_config
from ingestion.landing import LandingFile, newest_per_key, now_utc, write_atomic
from ingestion.loader import EndpointSpec, FileRejected, Reject, TableSpec

SOURCE = "yahoo_finance"
# Yahoo's chart API serves daily bars back to 1962-01-02 (the oldest NYSE series)
FIRST_DAY = date(1962, 1, 2)
DEFAULT_BASE_URL = "https://query1.finance.yahoo.com"
SESSION_DONE = timedelta(hours=7)


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


_COMMON = {"landing_file": "text", "captured_at": "timestamp"}

ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec(
        "tracked_assets",
        TableSpec(
            "tracked_assets",
            ("captured_at", "symbol"),
            {**{c: "text" for c in assets.COLUMNS}, **_COMMON},
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        assets.parse_assets,
    ),
    EndpointSpec(
        "chart",
        TableSpec(
            "daily_bars",
            ("symbol", "bar_at"),
            {
                "symbol": "text",
                "bar_at": "timestamp",
                "currency": "text",
                "open": "decimal",
                "high": "decimal",
                "low": "decimal",
                "close": "decimal",
                "adj_close": "decimal",
                "volume": "decimal",
                "dividend": "decimal",
                "split_numerator": "decimal",
                "split_denominator": "decimal",
                **_COMMON,
            },
            nullable=frozenset(
                {
                    "currency",
                    "open",
                    "high",
                    "low",
                    "close",
                    "adj_close",
                    "volume",
                    "dividend",
                    "split_numerator",
                    "split_denominator",
                }
            ),  # fmt: skip,
            observed=("bar_at", "captured_at"),
            first_day=FIRST_DAY,
        ),
        parse_chart,
    ),
)


# --------------------------------------------------------------------------- fetch


def base_url() -> str:
    return str(source_config(SOURCE, "base_url", DEFAULT_BASE_URL))


def make_client() -> SourceClient:
    return SourceClient.configured(SOURCE, base_url(), per_second=5.0, max_attempts=5)


def _cursors_from_landing(root: Path | None) -> dict[str, int]:
    """Next ``period1`` per symbol: a second after the newest bar landed."""
    cursors = {}
    for key, f in newest_per_key(SOURCE, "chart", root).items():
        try:
            stamps = json.loads(f.read_text())["chart"]["result"][0]["timestamp"] or []
        except (ValueError, TypeError, KeyError, IndexError):
            continue  # an error answer (chart.error) or unreadable: no bars to continue from
        stamps = [t for t in stamps if isinstance(t, int) and not isinstance(t, bool)]
        if stamps:
            cursors[key] = max(stamps) + 1
    return cursors


def fetch(
    *,
    root: Path | None = None,
    client: SourceClient | None = None,
    now: datetime | None = None,
    assets_file: Path | None = None,
) -> FetchReport:
    """API → landing, one chart call per tracked symbol with anything new to ask for."""
    client = client or make_client()
    now = now or now_utc()
    report, tracked = assets.begin_fetch(SOURCE, now, root, assets_file)
    cursors = _cursors_from_landing(root)
    history = assets.history_days(SOURCE)
    period2 = int((now - SESSION_DONE).timestamp())
    default_start = int((now - timedelta(days=history)).timestamp())
    try:
        for asset in tracked:
            symbol = asset["provider_symbol"]
            period1 = max(cursors.get(symbol, default_start), default_start)
            if period1 > period2:
                report.skipped.append(f"{symbol}: up to date")
                continue
            params = {
                "period1": period1,
                "period2": period2,
                "interval": "1d",
                "events": "div,splits",
            }
            try:
                body = client.get(f"v8/finance/chart/{symbol}", params=params).content
            except FetchError as exc:
                if exc.body:  # Yahoo's own error answer: archive it, the loader says why
                    written = write_atomic(SOURCE, "chart", now, exc.body, key=symbol, root=root)
                    report.files.append(written.relative)
                report.skipped.append(f"{symbol}: {exc}")
                continue
            try:
                stamps = json.loads(body)["chart"]["result"][0].get("timestamp") or []
                first = min(int(t) for t in stamps) if stamps else None
            except (ValueError, TypeError, KeyError, IndexError):
                first = None
            if first is None and b'"error":null' in body.replace(b" ", b""):
                report.skipped.append(f"{symbol}: no new bars")
                continue
            at = datetime.fromtimestamp(first, UTC) if first is not None else now
            written = write_atomic(SOURCE, "chart", at, body, key=symbol, root=root)
            report.files.append(written.relative)
    finally:
        report.count(client)
    return report
