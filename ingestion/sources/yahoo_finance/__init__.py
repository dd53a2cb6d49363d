"""Yahoo Finance daily bars (chart API) for the tracked stocks and ETFs.

Endpoints (landing dirs, docs/landing.md#sources-and-endpoints):

* ``chart`` — one answer per symbol and fetch, ``<first bar time>__<symbol>``: daily bars
  from the day after the newest one landed (``period1``) to the last session that has
  closed (``period2`` = now − 7 h: a US bar stamped 14:30 UTC is complete at 21:00), with
  dividends and splits. A bar Yahoo leaves empty (nulls) loads with null prices and is
  dropped in staging; an answer with ``chart.error`` set (unknown or delisted symbol) is
  archived under the fetch time and rejected with Yahoo's own description, and the other
  symbols carry on. ``events.splits`` go on the bar of their session (Yahoo keys a split by
  that bar's time; a split keyed at another time of the same UTC day, or of a day with no
  bar in the answer, still lands: on that day's bar, or as a bar with null prices).
  The bars stay as Yahoo sent them: a repeated session (the newest bar sent twice, at the
  session's open and at its close) and the scale of bars fetched before a later split
  are settled in dbt (``int_exchanges__yahoo_sessions``).
* ``tracked_assets`` — this provider's lines of ``config/tracked_assets.csv``.

The folder: ``fetching.py`` (API → landing), ``parse.py`` (landing → records, and
``ENDPOINTS``), ``tables.py`` (the raw tables), ``checks.py`` (their Great Expectations
suites), ``tick.py`` (how it is run: its job, schedule and freshness); this module
re-exports what the rest of the code uses.
"""

from __future__ import annotations

from ingestion.sources.yahoo_finance.checks import SUITES
from ingestion.sources.yahoo_finance.fetching import (
    DEFAULT_BASE_URL,
    SESSION_DONE,
    base_url,
    config_file,
    fetch,
    make_client,
)
from ingestion.sources.yahoo_finance.parse import ENDPOINTS, parse_chart
from ingestion.sources.yahoo_finance.tables import FIRST_DAY, SOURCE
from ingestion.sources.yahoo_finance.tick import TICK

__all__ = [
    "DEFAULT_BASE_URL",
    "ENDPOINTS",
    "FIRST_DAY",
    "SESSION_DONE",
    "SOURCE",
    "SUITES",
    "TICK",
    "base_url",
    "config_file",
    "fetch",
    "make_client",
    "parse_chart",
]
