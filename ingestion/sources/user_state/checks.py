"""User state's Great Expectations suites, one per raw table (run by
``orchestration/quality.py`` on each load not yet passed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ingestion.expectations import RawTableSuite
from ingestion.sources.user_state.parse import RULE_TYPES
from ingestion.sources.user_state.tables import TABLES


def table_suite(table: str) -> Callable[[], list[Any]]:
    """The profiles folder is checked line by line when parsed; these hold the loaded
    tables to the same contract (one row per key, known rule types, no negative stock)."""

    def suite() -> list[Any]:
        import great_expectations.expectations as gxe

        spec = TABLES[table]
        expectations = [
            gxe.ExpectCompoundColumnsToBeUnique(column_list=list(spec.primary_key))
            if len(spec.primary_key) > 1
            else gxe.ExpectColumnValuesToBeUnique(column=spec.primary_key[0]),
            gxe.ExpectColumnValuesToNotBeNull(column="profile_id"),
            gxe.ExpectColumnValuesToBeBetween(column="source_line", min_value=1),
        ]
        if table == "bank_items":
            expectations.append(gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=0))
        if table == "alert_rules":
            expectations += [
                gxe.ExpectColumnValuesToBeInSet(column="rule_type", value_set=list(RULE_TYPES)),
                gxe.ExpectColumnValuesToBeBetween(column="cooldown_minutes", min_value=0),
            ]
        return expectations

    return suite


SUITES: tuple[RawTableSuite, ...] = tuple(
    RawTableSuite(table, table_suite(table), description="the profiles folder") for table in TABLES
)
