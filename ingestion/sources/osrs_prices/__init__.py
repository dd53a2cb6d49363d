"""OSRS Grand Exchange prices from the OSRS Wiki real-time prices API.

Endpoints (docs/landing.md#sources-and-endpoints): ``mapping`` (item catalogue),
``latest`` (last trade per item), ``5m`` and ``1h`` (bucketed averages, ``?timestamp=``
for past buckets, as far back as the API serves: ``served_history``; older missing
buckets are ``gaps``). A bucket file is named by the bucket's own ``timestamp``, so fetching
a bucket twice lands on the same name and loads as the same rows.

The folder: ``fetching.py`` (API → landing), ``parse.py`` (landing → records, and
``ENDPOINTS``), ``tables.py`` (the raw tables), ``checks.py`` (their Great Expectations
suites), ``tick.py`` (how it is run: its job, schedule and freshness); this module
re-exports what the rest of the code uses.
"""

from __future__ import annotations

from ingestion.http import FetchError, FetchReport
from ingestion.sources.osrs_prices.checks import SUITES
from ingestion.sources.osrs_prices.fetching import (
    DEFAULT_BASE_URL,
    GAP_ENDPOINTS,
    base_url,
    catch_up_window,
    fetch,
    fetch_window,
    gaps,
    make_client,
    served_history,
)
from ingestion.sources.osrs_prices.parse import (
    ENDPOINTS,
    bucket_columns,
    bucket_time,
    parse_bucket,
    parse_latest,
    parse_mapping,
)
from ingestion.sources.osrs_prices.tables import BUCKET_SECONDS, FIRST_DAY, MAX_PRICE, SOURCE
from ingestion.sources.osrs_prices.tick import TICK

__all__ = [
    "BUCKET_SECONDS",
    "DEFAULT_BASE_URL",
    "ENDPOINTS",
    "FIRST_DAY",
    "GAP_ENDPOINTS",
    "MAX_PRICE",
    "SOURCE",
    "SUITES",
    "TICK",
    "FetchError",
    "FetchReport",
    "base_url",
    "bucket_columns",
    "bucket_time",
    "catch_up_window",
    "fetch",
    "fetch_window",
    "gaps",
    "make_client",
    "parse_bucket",
    "parse_latest",
    "parse_mapping",
    "served_history",
]
