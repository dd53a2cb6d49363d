"""Yahoo Finance's Great Expectations suites, one per raw table (run by
``orchestration/quality.py`` on each load not yet passed)."""

from __future__ import annotations

from typing import Any

from ingestion import clock
from ingestion.expectations import RawTableSuite, tracked_assets_suite
from ingestion.sources.yahoo_finance.tables import SOURCE


def daily_bars_suite() -> list[Any]:
    """The ``daily_bars`` table's expectations: one bar per (symbol, bar time), low and volume
    ≥ 0, and no bar stamped after now."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["symbol", "bar_at"]),
        gxe.ExpectColumnValuesToBeBetween(column="low", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="volume", min_value=0),
        gxe.ExpectColumnMaxToBeBetween(column="bar_at", max_value=clock.now()),
    ]


SUITES: tuple[RawTableSuite, ...] = (
    RawTableSuite("daily_bars", daily_bars_suite, description="daily bars"),
    RawTableSuite("tracked_assets", tracked_assets_suite(SOURCE), description="tracked_assets.csv"),
)
