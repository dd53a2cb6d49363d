"""Binance spot prices: klines and the 24-hour ticker for the tracked crypto assets.

Endpoints (landing dirs, docs/landing.md#sources-and-endpoints):

* ``klines`` — one page (up to 1,000 klines) per file, ``<first open time>__<symbol>@<interval>``:
  daily history (``1d``) and minutes (``1m``; a first fetch reaches a day back). The
  fetch asks only for klines that have closed (``endTime`` = now − one interval), so
  the still-open kline is never archived as a candle: it arrives, final, with the next
  tick. Fetching a page again lands on the same name and the same bytes, so nothing loads twice.
* ``ticker_24hr`` — one call for every tracked symbol per tick (the live price).
* ``tracked_assets`` — this provider's lines of ``config/tracked_assets.csv``, archived
  when they change.

Cursors: each (symbol, interval) continues from the kline after the newest one landed
(found from the newest page per key), however long the pause: no fixed window, so
nothing is skipped. An unknown symbol (``-1121``), a kline with the
wrong number of fields or a page that is not an array is reported and skipped; the
other symbols carry on.

The folder: ``fetching.py`` (API → landing), ``parse.py`` (landing → records, and
``ENDPOINTS``), ``tables.py`` (the raw tables), ``checks.py`` (their Great Expectations
suites), ``tick.py`` (how it is run: its job, schedule and freshness); this module
re-exports what the rest of the code uses.
"""

from __future__ import annotations

from ingestion.sources.binance.checks import SUITES, klines_suite, ticker_suite
from ingestion.sources.binance.fetching import (
    DEFAULT_BASE_URL,
    PAGE,
    base_url,
    config_file,
    fetch,
    fetch_window,
    make_client,
)
from ingestion.sources.binance.parse import (
    ENDPOINTS,
    INTERVAL_MS,
    KLINE_FIELDS,
    parse_kline,
    parse_klines,
    parse_ticker,
)
from ingestion.sources.binance.tables import FIRST_DAY, SOURCE
from ingestion.sources.binance.tick import TICK

__all__ = [
    "DEFAULT_BASE_URL",
    "ENDPOINTS",
    "FIRST_DAY",
    "INTERVAL_MS",
    "KLINE_FIELDS",
    "PAGE",
    "SOURCE",
    "SUITES",
    "TICK",
    "base_url",
    "config_file",
    "fetch",
    "fetch_window",
    "klines_suite",
    "make_client",
    "parse_kline",
    "parse_klines",
    "parse_ticker",
    "ticker_suite",
]
