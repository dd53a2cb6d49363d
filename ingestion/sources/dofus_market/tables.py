"""Dofus marketplace observations' raw table (schema ``raw_dofus_market``)."""

from __future__ import annotations

from datetime import date

from ingestion.loader import TableSpec

SOURCE = "dofus_market"
# Dofus opened in September 2004: no marketplace observation is older
FIRST_DAY = date(2004, 9, 1)

OBSERVATIONS = TableSpec(
    "observations",
    ("server", "captured_at", "ankama_id"),
    {
        "server": "text",
        "captured_at": "timestamp",
        "client": "text",
        "ankama_id": "bigint",
        "item_name": "text",
        "category": "text",
        "level": "bigint",
        "price_x1": "bigint",
        "price_x10": "bigint",
        "price_x100": "bigint",
        "landing_file": "text",
    },
    nullable=frozenset({"client", "category", "level", "price_x1", "price_x10", "price_x100"}),
    indexes=(("captured_at",),),
    observed=("captured_at",),
    first_day=FIRST_DAY,
)
