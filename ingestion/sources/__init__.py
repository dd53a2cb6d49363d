"""One module per source; each exposes SOURCE, ENDPOINTS (EndpointSpecs) and fetch()."""

from __future__ import annotations

import importlib
from types import ModuleType

SOURCES = (
    "osrs_prices",
    "wow_auctions",
    "dofus_market",
    "osrs_hiscores",
    "binance",
    "yahoo_finance",
    "vividseats",
)


def get(name: str) -> ModuleType:
    if name not in SOURCES:
        known = ", ".join(SOURCES)
        raise KeyError(f"unknown source {name!r}; known sources: {known}")
    return importlib.import_module(f"ingestion.sources.{name}")
