"""Dofus marketplace observations' Great Expectations suite (run by
``orchestration/quality.py`` on each load not yet passed)."""

from __future__ import annotations

from typing import Any

from ingestion.expectations import RawTableSuite, not_in_future


def observations_suite() -> list[Any]:
    """The ``observations`` table's expectations: one row per (server, capture, item), server
    and item name present, item id ≥ 1, level 1–200, each lot price (x1, x10, x100) between
    1 and 10¹² kamas when present, and no capture in the future."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["server", "captured_at", "ankama_id"]),
        gxe.ExpectColumnValuesToNotBeNull(column="server"),
        gxe.ExpectColumnValuesToNotBeNull(column="item_name"),
        gxe.ExpectColumnValuesToBeBetween(column="ankama_id", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="level", min_value=1, max_value=200),
        *(
            gxe.ExpectColumnValuesToBeBetween(column=c, min_value=1, max_value=10**12)
            for c in ("price_x1", "price_x10", "price_x100")
        ),
        not_in_future(),
    ]


SUITES: tuple[RawTableSuite, ...] = (
    RawTableSuite("observations", observations_suite, description="HDV prices"),
)
