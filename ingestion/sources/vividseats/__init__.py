"""Vivid Seats: tracked events' production records and listings (docs/landing.md).

Endpoints (landing dirs):

* ``tracked_events`` — the events config (``config/tracked_events.csv``) resolved to
  production ids, archived whenever the resolution changes: a line with a
  ``production_id`` tracks that event; a line with only a ``performer`` (and optionally a
  ``venue``) tracks every upcoming production the performer's page lists (at that venue).
* ``production`` — the production record (name, local date, venue, min/max price), one
  file per event and tick, ``<capture>__<production id>``.
* ``listings`` — the event's listings at that moment, one file per event and tick,
  gzipped (``.json.gz``).
* ``fetch_log`` — every tick's outcome per event: ``ok``, ``blocked`` (a 403: the bot
  protection turned us away this time), ``past`` (the event date has gone by: it is
  not asked again), ``not_found`` (404) or ``failed`` (timeouts, 5xx after retries).

A blocked or failed event does not stop the others. Requests are spread out under
``SOURCES__VIVIDSEATS__REQUESTS_PER_MINUTE`` (default 180: two requests for each of 1,000
events fit a 15-minute tick at 2.2 a second).

Raw listings are one row per listing per snapshot, prices in whole cents. A listing
whose price or all-in price is zero, negative, not whole cents, or above
``MAX_PRICE_CENTS`` (US$100,000 a ticket: the dearest resale tickets on record, Super
Bowl and final-tour seats, stay below it) goes to ``rejected_records`` with its reason.

The folder: ``fetching.py`` (API → landing), ``events.py`` (the events config),
``parse.py`` (landing → records, and ``ENDPOINTS``), ``tables.py`` (the raw tables),
``checks.py`` (their Great Expectations suites), ``tick.py`` (how it is run: its job,
schedule and freshness); this module re-exports what the rest of the code uses.
"""

from __future__ import annotations

from ingestion.sources.vividseats.checks import SUITES
from ingestion.sources.vividseats.events import config_file, read_config
from ingestion.sources.vividseats.fetching import (
    API,
    DEFAULT_BASE_URL,
    GAP_ENDPOINTS,
    GAP_RULE,
    archive_tracked,
    base_url,
    compress,
    fetch,
    fetch_event,
    gaps,
    gaps_seen_from,
    is_past,
    known_past,
    make_client,
)
from ingestion.sources.vividseats.parse import (
    ENDPOINTS,
    MAX_PRICE_CENTS,
    MAX_QUANTITY,
    STATUSES,
    listings_columns,
    parse_fetch_log,
    parse_listings,
    parse_production,
    parse_tracked_events,
)
from ingestion.sources.vividseats.tables import FIRST_DAY, SOURCE
from ingestion.sources.vividseats.tick import TICK

__all__ = [
    "API",
    "DEFAULT_BASE_URL",
    "ENDPOINTS",
    "FIRST_DAY",
    "GAP_ENDPOINTS",
    "GAP_RULE",
    "MAX_PRICE_CENTS",
    "MAX_QUANTITY",
    "SOURCE",
    "STATUSES",
    "SUITES",
    "TICK",
    "archive_tracked",
    "base_url",
    "compress",
    "config_file",
    "fetch",
    "fetch_event",
    "gaps",
    "gaps_seen_from",
    "is_past",
    "known_past",
    "listings_columns",
    "make_client",
    "parse_fetch_log",
    "parse_listings",
    "parse_production",
    "parse_tracked_events",
    "read_config",
]
