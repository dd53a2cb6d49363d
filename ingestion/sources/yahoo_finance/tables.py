"""Yahoo Finance's raw tables (schema ``raw_yahoo_finance``): one per landing endpoint."""

from __future__ import annotations

from datetime import date

from ingestion import assets
from ingestion.loader import TableSpec

SOURCE = "yahoo_finance"
# Yahoo's chart API serves daily bars back to 1962-01-02 (the oldest NYSE series)
FIRST_DAY = date(1962, 1, 2)

COMMON = {"landing_file": "text", "captured_at": "timestamp"}

TRACKED_ASSETS = TableSpec(
    "tracked_assets",
    ("captured_at", "symbol"),
    {**{c: "text" for c in assets.COLUMNS}, **COMMON},
    observed=("captured_at",),
    first_day=FIRST_DAY,
)

DAILY_BARS = TableSpec(
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
        **COMMON,
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
)
