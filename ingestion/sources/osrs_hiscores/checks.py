"""OSRS hiscores' Great Expectations suites, one per raw table (run by
``orchestration/quality.py`` on each load not yet passed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ingestion import clock
from ingestion.expectations import RawTableSuite, not_in_future
from ingestion.sources.osrs_hiscores.players import BOARDS


def hiscore_metrics_suite() -> list[Any]:
    """The ``hiscore_metrics`` table's expectations: one row per (player, capture, kind,
    metric), kind ``skill`` or ``activity``, rank ≥ −1 and value and level within range
    (−1: unranked), and no capture more than 10 minutes in the future."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["username", "captured_at", "metric_kind", "metric"]
        ),
        gxe.ExpectColumnValuesToBeInSet(column="metric_kind", value_set=["skill", "activity"]),
        gxe.ExpectColumnValuesToNotBeNull(column="metric"),
        # -1 is unranked; anything below is corrupt (the parser rejects it before here)
        gxe.ExpectColumnValuesToBeBetween(column="rank", min_value=-1),
        gxe.ExpectColumnValuesToBeBetween(column="value", min_value=-1, max_value=10**10),
        gxe.ExpectColumnValuesToBeBetween(column="level", min_value=-1, max_value=3_000),
        gxe.ExpectColumnMaxToBeBetween(
            column="captured_at", max_value=clock.now() + timedelta(minutes=10)
        ),
    ]


def fetch_log_suite() -> list[Any]:
    """The ``fetch_log`` table's expectations: one entry per (tick, player), a known status
    (changed, unchanged, not_found, failed) and account type."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "username"]),
        gxe.ExpectColumnValuesToBeInSet(
            column="status", value_set=["changed", "unchanged", "not_found", "failed"]
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="account_type", value_set=["regular", "ironman", "hardcore", "ultimate"]
        ),
    ]


def tracked_players_suite() -> list[Any]:
    """The ``tracked_players`` table's expectations: one row per (config version, player),
    names of the characters the game allows, a known board, and no version dated in the
    future."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "username"]),
        gxe.ExpectColumnValuesToNotBeNull(column="username"),
        # the characters the game allows in a display name
        gxe.ExpectColumnValuesToMatchRegex(column="username", regex=r"^[A-Za-z0-9 _-]+$"),
        gxe.ExpectColumnValuesToBeInSet(column="account_type", value_set=list(BOARDS)),
        not_in_future(),
    ]


SUITES: tuple[RawTableSuite, ...] = (
    RawTableSuite("hiscore_metrics", hiscore_metrics_suite, description="hiscores"),
    RawTableSuite("fetch_log", fetch_log_suite, description="fetch outcomes"),
    RawTableSuite("tracked_players", tracked_players_suite, description="tracked_players.csv"),
)
