"""The sources, registered once: a package per source, ``ingestion/sources/<source>/``,
holding everything about it (docs/architecture.md#adding-a-source).

Each package exposes ``SOURCE``, ``fetch()`` and ``SUITES`` (the Great Expectations
suites of its raw tables, ``checks.py``); a landed source also ``ENDPOINTS``
(EndpointSpecs: landing directory → raw table → parser) and, when it can fetch a past
window, ``fetch_window()``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# Landed sources: fetch → landing → the loader → raw_<source>. The raw assets, their
# jobs, queue tags and pools, the backfill partitions (those with fetch_window) and the
# raw tables dbt's staging reads are made for each of these.
SOURCES = (
    "osrs_prices",
    "wow_auctions",
    "dofus_market",
    "osrs_hiscores",
    "binance",
    "yahoo_finance",
    "vividseats",
)
# User state is fetched and loaded its own way (orchestration/user_state.py: the profiles
# folder parsed as one bundle, its tables replaced whole).
USER_STATE = "user_state"
# Every source package: their SUITES are the raw tables' checks (orchestration/quality.py).
ALL_SOURCES = (*SOURCES, USER_STATE)


def get(name: str) -> ModuleType:
    if name not in ALL_SOURCES:
        known = ", ".join(ALL_SOURCES)
        raise KeyError(f"unknown source {name!r}; known sources: {known}")
    return importlib.import_module(f"ingestion.sources.{name}")
