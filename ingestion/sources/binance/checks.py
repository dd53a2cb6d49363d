"""Binance's Great Expectations suites, one per raw table (run by
``orchestration/quality.py`` on each load not yet passed)."""

from __future__ import annotations

from typing import Any

from ingestion import clock
from ingestion.expectations import RawTableSuite, not_in_future, tracked_assets_suite
from ingestion.sources.binance.tables import SOURCE


def klines_suite() -> list[Any]:
    """The ``klines`` table's expectations: one row per (symbol, interval, open time), interval
    1m or 1d, low and volume ≥ 0, close time after open time, and no kline closing after
    now (only closed klines are fetched)."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["symbol", "kline_interval", "open_time"]),
        gxe.ExpectColumnValuesToBeInSet(column="kline_interval", value_set=["1m", "1d"]),
        gxe.ExpectColumnValuesToBeBetween(column="low", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="volume", min_value=0),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="close_time", column_B="open_time", or_equal=False
        ),
        # only closed klines are fetched: none may close after it was loaded
        gxe.ExpectColumnMaxToBeBetween(column="close_time", max_value=clock.now()),
    ]


def ticker_suite() -> list[Any]:
    """The ``ticker_24hr`` table's expectations: one row per (capture, symbol), last price > 0,
    volume ≥ 0, the 24h change between −100 % and +10,000 %, close time after open time,
    and neither the capture nor the close time in the future."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "symbol"]),
        gxe.ExpectColumnValuesToBeBetween(column="last_price", min_value=0, strict_min=True),
        gxe.ExpectColumnValuesToBeBetween(column="volume", min_value=0),
        # a 24h change beyond −100 % cannot happen; beyond +10 000 % is a misread field
        gxe.ExpectColumnValuesToBeBetween(column="price_change_pct", min_value=-100, max_value=1e4),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="close_time", column_B="open_time", or_equal=False
        ),
        not_in_future(),
        not_in_future("close_time"),
    ]


SUITES: tuple[RawTableSuite, ...] = (
    RawTableSuite("klines", klines_suite, description="closed klines"),
    RawTableSuite("tracked_assets", tracked_assets_suite(SOURCE), description="tracked_assets.csv"),
    RawTableSuite("ticker_24hr", ticker_suite, description="24h tickers"),
)
