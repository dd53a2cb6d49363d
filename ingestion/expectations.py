"""What a source's Great Expectations suites are made of (its ``checks.py``).

Each source package lists the suites of its raw tables as ``SUITES``, one
:class:`RawTableSuite` per table; ``orchestration/quality.py`` gathers them from the
registry (``ingestion/sources/__init__.py``) and runs them against the warehouse, load
by load. Here: that type and the expectations several sources share. Nothing here
connects to anything, and Great Expectations is imported when a suite is built, not
when a source is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ingestion import clock
from ingestion.assets import ASSET_TYPES


@dataclass(frozen=True)
class RawTableSuite:
    """Expectations for one raw table of the source, built fresh per run (some depend on
    'now'); ``blocking``: a failure stops the tick's downstream assets."""

    table: str
    expectations: Callable[[], list[Any]]
    blocking: bool = True
    description: str = ""


def not_in_future(column: str = "captured_at") -> Any:
    """Timestamps from the future mean a wrong clock or a misread field; 10 minutes of
    slack for clock skew between a capture client and the warehouse."""
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnMaxToBeBetween(
        column=column, max_value=clock.now() + timedelta(minutes=10)
    )


def tracked_assets_suite(provider: str) -> Callable[[], list[Any]]:
    """The suite of an exchange source's ``tracked_assets`` table (its provider's lines of
    ``config/tracked_assets.csv``, ``ingestion/assets.py``)."""

    def suite() -> list[Any]:
        import great_expectations.expectations as gxe

        return [
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "symbol"]),
            gxe.ExpectColumnValuesToNotBeNull(column="provider_symbol"),
            gxe.ExpectColumnValuesToBeInSet(column="asset_type", value_set=list(ASSET_TYPES)),
            gxe.ExpectColumnValuesToBeInSet(column="provider", value_set=[provider]),
            not_in_future(),
        ]

    return suite
