"""Vivid Seats' raw tables (schema ``raw_vividseats``): one per landing endpoint."""

from __future__ import annotations

from datetime import date

from ingestion.loader import TableSpec

SOURCE = "vividseats"
# Vivid Seats was founded in 2001: no listing snapshot is older
FIRST_DAY = date(2001, 1, 1)

COMMON = {"landing_file": "text", "captured_at": "timestamp"}

TRACKED_EVENTS = TableSpec(
    "tracked_events",
    ("captured_at", "production_id"),
    {
        "production_id": "bigint",
        "performer": "text",
        "venue": "text",
        "note": "text",
        "resolved_from": "text",
        **COMMON,
    },
    nullable=frozenset({"performer", "venue", "note"}),
    observed=("captured_at",),
    first_day=FIRST_DAY,
)

PRODUCTIONS = TableSpec(
    "productions",
    ("production_id", "captured_at"),
    {
        "production_id": "bigint",
        "production_name": "text",
        "local_date": "text",
        "venue_name": "text",
        "venue_city": "text",
        "min_price_cents": "bigint",
        "max_price_cents": "bigint",
        **COMMON,
    },
    nullable=frozenset({"venue_name", "venue_city", "min_price_cents", "max_price_cents"}),
    indexes=(("production_id", "captured_at"),),
    observed=("captured_at",),
    first_day=FIRST_DAY,
)

# The big one: one row per listing per snapshot, partitioned by month so old months are
# dropped whole, lean types (≈ 102 bytes a row on disk, see README).
LISTINGS = TableSpec(
    "listings",
    ("production_id", "captured_at", "listing_id"),
    {
        "listing_id": "bigint",
        "captured_at": "timestamp",
        "production_id": "int",
        "price_cents": "int",
        "all_in_price_cents": "int",
        "quantity": "int",
        "section": "text",
        "seat_row": "text",
        "notes": "text",
    },
    nullable=frozenset({"seat_row", "notes"}),
    replace_by_file=True,
    key_column="production_id",
    partition_by="captured_at",
    observed=("captured_at",),
    first_day=FIRST_DAY,
)

FETCH_LOG = TableSpec(
    "fetch_log",
    ("captured_at", "production_id"),
    {
        "production_id": "bigint",
        "status": "text",
        "http_status": "bigint",
        "detail": "text",
        "listings_file": "text",
        "listings": "bigint",
        **COMMON,
    },
    nullable=frozenset({"http_status", "detail", "listings_file", "listings"}),
    indexes=(("production_id", "captured_at"),),
    observed=("captured_at",),
    first_day=FIRST_DAY,
)
