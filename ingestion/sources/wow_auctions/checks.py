"""World of Warcraft auctions' Great Expectations suites, one per raw table (run by
``orchestration/quality.py`` on each load not yet passed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ingestion import clock
from ingestion.expectations import RawTableSuite


def common_expectations(*unique: str) -> list[Any]:
    """What both auction tables promise; ``unique``: the table's key."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=list(unique)),
        gxe.ExpectColumnValuesToNotBeNull(column="item_id"),
        gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=1),
        gxe.ExpectColumnValuesToBeInSet(
            column="time_left", value_set=["SHORT", "MEDIUM", "LONG", "VERY_LONG"]
        ),
        gxe.ExpectColumnMaxToBeBetween(
            column="captured_at", max_value=clock.now() + timedelta(minutes=10)
        ),
    ]


def commodities_suite() -> list[Any]:
    """The ``commodity_auctions`` table's expectations: the shared ones (``common_expectations``,
    one row per region, capture and auction) and a unit price between 1 and 10¹³ copper."""
    import great_expectations.expectations as gxe

    return [
        *common_expectations("region", "captured_at", "auction_id"),
        gxe.ExpectColumnValuesToBeBetween(column="unit_price", min_value=1, max_value=10**13),
    ]


def realm_suite() -> list[Any]:
    """The ``realm_auctions`` table's expectations: the shared ones (``common_expectations``, one
    row per realm, capture and auction) and buyout and bid between 1 and 10¹³ copper."""
    import great_expectations.expectations as gxe

    return [
        *common_expectations("connected_realm_id", "captured_at", "auction_id"),
        gxe.ExpectColumnValuesToBeBetween(column="buyout", min_value=1, max_value=10**13),
        gxe.ExpectColumnValuesToBeBetween(column="bid", min_value=1, max_value=10**13),
    ]


SUITES: tuple[RawTableSuite, ...] = (
    RawTableSuite("commodity_auctions", commodities_suite, description="commodities"),
    RawTableSuite("realm_auctions", realm_suite, description="realm auctions"),
)
