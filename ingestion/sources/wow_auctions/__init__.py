"""World of Warcraft auction houses from the Blizzard Game Data API.

Endpoints (docs/landing.md#sources-and-endpoints): ``commodities`` (region-wide) and
``connected_realm`` (one file per connected realm id). Both are hourly snapshots; a
snapshot file is named by the snapshot's own ``Last-Modified`` time, so an unchanged
snapshot maps to a file we already have and is neither fetched (``If-Modified-Since``)
nor written again. Prices are in copper.

Credentials: ``SOURCES__WOW_AUCTIONS__CLIENT_ID`` / ``__CLIENT_SECRET`` (or
``.dlt/secrets.toml``). The token is requested per run, kept in memory, and sent
only in the Authorization header: it never reaches a log, a landing file or a table.

The folder: ``fetching.py`` (API → landing), ``parse.py`` (landing → records, and
``ENDPOINTS``), ``tables.py`` (the raw tables), ``checks.py`` (their Great Expectations
suites), ``tick.py`` (how it is run: its job, schedule and freshness); this module
re-exports what the rest of the code uses.
"""

from __future__ import annotations

from ingestion.sources.wow_auctions.checks import SUITES
from ingestion.sources.wow_auctions.fetching import (
    DEFAULT_BASE_URL,
    DEFAULT_OAUTH_URL,
    GAP_ENDPOINTS,
    SNAPSHOT_EVERY,
    access_token,
    base_url,
    connected_realms,
    fetch,
    gaps,
    make_client,
    missed_after,
    region,
)
from ingestion.sources.wow_auctions.parse import (
    ENDPOINTS,
    MAX_COPPER,
    TIME_LEFT,
    commodities_columns,
    parse_commodities,
    parse_realm,
    realm_columns,
)
from ingestion.sources.wow_auctions.tables import FIRST_DAY, SOURCE
from ingestion.sources.wow_auctions.tick import TICK

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_OAUTH_URL",
    "ENDPOINTS",
    "FIRST_DAY",
    "GAP_ENDPOINTS",
    "MAX_COPPER",
    "SNAPSHOT_EVERY",
    "SOURCE",
    "SUITES",
    "TICK",
    "TIME_LEFT",
    "access_token",
    "base_url",
    "commodities_columns",
    "connected_realms",
    "fetch",
    "gaps",
    "make_client",
    "missed_after",
    "parse_commodities",
    "parse_realm",
    "realm_columns",
    "region",
]
