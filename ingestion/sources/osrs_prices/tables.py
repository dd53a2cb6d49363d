"""OSRS prices' raw tables (schema ``raw_osrs_prices``): one per landing endpoint."""

from __future__ import annotations

from datetime import date

from ingestion.loader import TableSpec

SOURCE = "osrs_prices"
# Old School RuneScape's Grand Exchange opened with the game on 2013-02-22
FIRST_DAY = date(2013, 2, 22)
BUCKET_SECONDS = {"5m": 300, "1h": 3600}
MAX_PRICE = 2_147_483_647  # the game's max cash stack: anything above is not a GE price

COMMON = {"landing_file": "text", "captured_at": "timestamp"}
BUCKET_COLUMNS = {
    "item_id": "bigint",
    "bucket_at": "timestamp",
    "avg_high_price": "bigint",
    "high_price_volume": "bigint",
    "avg_low_price": "bigint",
    "low_price_volume": "bigint",
    **COMMON,
}


def bucket_table(name: str) -> TableSpec:
    """The raw table of a price-bucket endpoint (``prices_5m`` or ``prices_1h``): keyed on
    (item, bucket time), a snapshot table whose rows are appended and replaced file by file
    (``replace_by_file``) rather than merged."""
    # A bucket is one file named by its timestamp (fetching it again lands on the same
    # name), so its rows are appended and a changed file replaces its own rows: a merge
    # staged every bucket and compared it against the whole history (2.4 s of a
    # 305k-row load, growing with history).
    return TableSpec(
        name,
        ("item_id", "bucket_at"),
        BUCKET_COLUMNS,
        nullable=frozenset({"avg_high_price", "avg_low_price"}),
        indexes=(("bucket_at",),),
        replace_by_file=True,
        observed=("bucket_at", "captured_at"),
        first_day=FIRST_DAY,
    )


BUCKET_TABLE = bucket_table("prices_5m")  # the shape both bucket tables share

ITEMS = TableSpec(
    "items",
    ("item_id",),
    {
        "item_id": "bigint",
        "item_name": "text",
        "examine": "text",
        "members": "bool",
        "low_alch": "bigint",
        "high_alch": "bigint",
        "store_value": "bigint",
        "buy_limit": "bigint",
        "icon": "text",
        **COMMON,
    },
    nullable=frozenset(
        {"examine", "members", "low_alch", "high_alch", "store_value", "buy_limit", "icon"}
    ),
    observed=("captured_at",),
    first_day=FIRST_DAY,
)

LATEST_PRICES = TableSpec(
    "latest_prices",
    ("item_id", "captured_at"),
    {
        "item_id": "bigint",
        "high": "bigint",
        "high_time": "timestamp",
        "low": "bigint",
        "low_time": "timestamp",
        **COMMON,
    },
    nullable=frozenset({"high", "high_time", "low", "low_time"}),
    indexes=(("captured_at",),),
    observed=("captured_at", "high_time", "low_time"),
    first_day=FIRST_DAY,
)
