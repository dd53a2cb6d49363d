"""Dofus marketplace observations, dropped by capture clients (docs/landing.md).

There is no public API to poll: clients drop batches, under any file name, into
``<landing>/dofus_market/inbox/``. "Fetch" for this source sweeps the inbox into
the landing contract, ``observations/<captured_at>__<server>.json``, taking both
from the batch itself when it can read them and falling back to the time of
arrival otherwise, so even a batch that will not parse is archived and then
rejected with a reason by the loader. A Dagster sensor watches the inbox.

The folder: ``fetching.py`` (inbox → landing), ``parse.py`` (landing → records, and
``ENDPOINTS``), ``tables.py`` (the raw table), ``checks.py`` (its Great Expectations
suite), ``tick.py`` (how it is run: its job, schedule and freshness); this module
re-exports what the rest of the code uses.
"""

from __future__ import annotations

from ingestion.sources.dofus_market.checks import SUITES
from ingestion.sources.dofus_market.fetching import INBOX, accept_batch, fetch, inbox_dir
from ingestion.sources.dofus_market.parse import ENDPOINTS, MAX_KAMAS, parse_batch, parse_time
from ingestion.sources.dofus_market.tables import FIRST_DAY, SOURCE
from ingestion.sources.dofus_market.tick import TICK

__all__ = [
    "ENDPOINTS",
    "FIRST_DAY",
    "INBOX",
    "MAX_KAMAS",
    "SOURCE",
    "SUITES",
    "TICK",
    "accept_batch",
    "fetch",
    "inbox_dir",
    "parse_batch",
    "parse_time",
]
