"""OSRS prices' Great Expectations suites, one per raw table (run by
``orchestration/quality.py`` on each load not yet passed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ingestion import clock
from ingestion.expectations import RawTableSuite, not_in_future
from ingestion.sources.osrs_prices.tables import MAX_PRICE


def bucket_suite() -> list[Any]:
    """A bucket table's expectations (``prices_5m``, ``prices_1h``): one row per (item, bucket
    time), both present, no bucket in the future, average prices between 1 and MAX_PRICE gp
    when present, volumes ≥ 0."""
    import great_expectations.expectations as gxe

    future = clock.now() + timedelta(minutes=10)
    expectations = [
        gxe.ExpectColumnValuesToNotBeNull(column="item_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="bucket_at"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["item_id", "bucket_at"]),
        gxe.ExpectColumnMaxToBeBetween(column="bucket_at", max_value=future),
    ]
    for col in ("avg_high_price", "avg_low_price"):
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(column=col, min_value=1, max_value=MAX_PRICE)
        )
    for col in ("high_price_volume", "low_price_volume"):
        expectations.append(gxe.ExpectColumnValuesToBeBetween(column=col, min_value=0))
    return expectations


def latest_suite() -> list[Any]:
    """The ``latest_prices`` table's expectations: one row per (item, capture), high and low
    between 1 and MAX_PRICE gp when present, and no capture or trade time in the future."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToNotBeNull(column="item_id"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["item_id", "captured_at"]),
        gxe.ExpectColumnValuesToBeBetween(column="high", min_value=1, max_value=MAX_PRICE),
        gxe.ExpectColumnValuesToBeBetween(column="low", min_value=1, max_value=MAX_PRICE),
        not_in_future(),
        not_in_future("high_time"),
        not_in_future("low_time"),
    ]


def items_suite() -> list[Any]:
    """The ``items`` table's expectations: a named row per item id, unique, and a buy limit of
    at least 1 where there is one."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToNotBeNull(column="item_id"),
        gxe.ExpectColumnValuesToBeUnique(column="item_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="item_name"),
        gxe.ExpectColumnValuesToBeBetween(column="buy_limit", min_value=1),
    ]


SUITES: tuple[RawTableSuite, ...] = (
    RawTableSuite("prices_5m", bucket_suite, description="5m buckets"),
    RawTableSuite("prices_1h", bucket_suite, description="1h buckets"),
    RawTableSuite("latest_prices", latest_suite, description="/latest"),
    RawTableSuite("items", items_suite, description="/mapping"),
)
