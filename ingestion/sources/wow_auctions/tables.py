"""World of Warcraft auctions' raw tables (schema ``raw_wow_auctions``): one per landing
endpoint. Prices are in copper."""

from __future__ import annotations

from datetime import date

from ingestion.loader import TableSpec

SOURCE = "wow_auctions"
# World of Warcraft launched on 2004-11-23: no auction snapshot is older
FIRST_DAY = date(2004, 11, 23)

COMMON = {"landing_file": "text", "captured_at": "timestamp"}

COMMODITY_AUCTIONS = TableSpec(
    "commodity_auctions",
    ("region", "captured_at", "auction_id"),
    {
        "region": "text",
        "auction_id": "bigint",
        "item_id": "bigint",
        "quantity": "bigint",
        "unit_price": "bigint",
        "time_left": "text",
        **COMMON,
    },
    replace_by_file=True,
    observed=("captured_at",),
    first_day=FIRST_DAY,
)

REALM_AUCTIONS = TableSpec(
    "realm_auctions",
    ("connected_realm_id", "captured_at", "auction_id"),
    {
        "connected_realm_id": "bigint",
        "auction_id": "bigint",
        "item_id": "bigint",
        "item_context": "bigint",
        "bonus_lists": "text",
        "modifiers": "text",
        "pet_species_id": "bigint",
        "pet_breed_id": "bigint",
        "pet_level": "bigint",
        "pet_quality_id": "bigint",
        "bid": "bigint",
        "buyout": "bigint",
        "quantity": "bigint",
        "time_left": "text",
        **COMMON,
    },
    nullable=frozenset(
        {
            "item_context",
            "bonus_lists",
            "modifiers",
            "pet_species_id",
            "pet_breed_id",
            "pet_level",
            "pet_quality_id",
            "bid",
            "buyout",
        }
    ),
    replace_by_file=True,
    observed=("captured_at",),
    first_day=FIRST_DAY,
)
