"""Vivid Seats' Great Expectations suites, one per raw table (run by
``orchestration/quality.py`` on each load not yet passed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ingestion import clock
from ingestion.expectations import RawTableSuite, not_in_future
from ingestion.sources.vividseats.parse import MAX_PRICE_CENTS, MAX_QUANTITY, STATUSES


def listings_suite() -> list[Any]:
    """The ``listings`` table's expectations: one row per (production, capture, listing),
    price between 1 cent and MAX_PRICE_CENTS (US$100,000), all-in price ≥ price, quantity
    between 1 and MAX_QUANTITY, a section, and no capture more than 10 minutes in the
    future."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["production_id", "captured_at", "listing_id"]
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="price_cents", min_value=1, max_value=MAX_PRICE_CENTS
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="all_in_price_cents", column_B="price_cents", or_equal=True
        ),
        gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=1, max_value=MAX_QUANTITY),
        gxe.ExpectColumnValuesToNotBeNull(column="section"),
        gxe.ExpectColumnMaxToBeBetween(
            column="captured_at", max_value=clock.now() + timedelta(minutes=10)
        ),
    ]


def fetch_log_suite() -> list[Any]:
    """The ``fetch_log`` table's expectations: one entry per (tick, production), and a known
    status (ok, blocked, past, not_found, failed)."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "production_id"]),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUSES)),
    ]


def tracked_events_suite() -> list[Any]:
    """The ``tracked_events`` table's expectations: one row per (config version, production),
    a positive production id, how it was resolved, and no version dated in the future."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "production_id"]),
        gxe.ExpectColumnValuesToBeBetween(column="production_id", min_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="resolved_from"),
        not_in_future(),
    ]


def productions_suite() -> list[Any]:
    """The ``productions`` table's expectations: one row per (production, capture), a name, a
    local date starting ``YYYY-MM-DD``, a minimum price between 1 cent and MAX_PRICE_CENTS
    and a maximum at least as high (when both are there), and no capture in the future."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["production_id", "captured_at"]),
        gxe.ExpectColumnValuesToNotBeNull(column="production_name"),
        gxe.ExpectColumnValuesToMatchRegex(column="local_date", regex=r"^\d{4}-\d{2}-\d{2}"),
        gxe.ExpectColumnValuesToBeBetween(
            column="min_price_cents", min_value=1, max_value=MAX_PRICE_CENTS
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="max_price_cents",
            column_B="min_price_cents",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        not_in_future(),
    ]


SUITES: tuple[RawTableSuite, ...] = (
    RawTableSuite("listings", listings_suite, description="ticket listings"),
    RawTableSuite("fetch_log", fetch_log_suite, description="event fetch outcomes"),
    RawTableSuite("tracked_events", tracked_events_suite, description="tracked_events.csv"),
    RawTableSuite("productions", productions_suite, description="event records"),
)
