"""Daily partitions for what can be fetched again for a past day (backfills; docs/architecture.md).

A time-bucketed source whose API answers for any past range (its module has
``fetch_window``: OSRS prices' 5m/1h buckets, Binance's minute and daily klines) is
partitioned by day, and so is the fact it feeds, ``fct_price_observations``. A partition
is a UTC day of observations. (Yahoo's daily bars continue from the newest bar landed,
so a gap there closes on the next tick by itself.)

* The schedule materializes *today's* partition: the live tick (newest buckets plus the
  catch-up window).
* Any other run of a partition range is a backfill: the raw asset asks the API for every
  bucket of the range it has not landed, and the fact rebuilds the rows observed in the
  range (``rebuild_from`` / ``rebuild_to``), in one run per range (``BackfillPolicy``).

Snapshot sources (hiscores, tickets, auction houses, tickers) only see the present, so
they and the facts built from them (whose rows diff against the previous snapshot) stay
unpartitioned: there is no past day to ask for again.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from dagster import BackfillPolicy, DailyPartitionsDefinition

from ingestion import clock
from ingestion.sources import backfillable

PARTITIONS_START = os.environ.get("SNAPMART_PARTITIONS_START", "2024-01-01")

DAILY = DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone="UTC", end_offset=1)
"""UTC days from SNAPMART_PARTITIONS_START to today (``end_offset=1``: today's partition
exists while it fills, so the live tick has a key)."""

ONE_RUN_PER_RANGE = BackfillPolicy.single_run()

# the sources whose package has fetch_window (the registry's rule, ingestion/sources/)
BACKFILL_SOURCES: tuple[str, ...] = backfillable()

PRICE_FACTS = "fct_price_observations"
BACKFILL_TAG = "snapmart/backfill"  # set by `snapmart backfill`; the UI sets dagster/backfill


def today_key(at: datetime | None = None) -> str:
    """The daily partition key (``YYYY-MM-DD``, UTC) of ``at``, by default the tick's clock."""
    return (at or clock.now()).astimezone(UTC).strftime("%Y-%m-%d")


def backfill_window(context: Any) -> tuple[datetime, datetime] | None:
    """The ``[start, end)`` a run backfills, or None for a live tick (no partition, or
    only today's outside a backfill)."""
    if not context.has_partition_key_range:
        return None
    window = context.partition_time_window
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    only_today = start.strftime("%Y-%m-%d") == today_key() and (end - start).days <= 1
    tags = context.run.tags
    if only_today and "dagster/backfill" not in tags and BACKFILL_TAG not in tags:
        return None
    return start, end


def rebuild_vars(window: tuple[datetime, datetime] | None) -> dict[str, str]:
    """dbt vars that make the partitioned fact rebuild a range (see fct_price_observations)."""
    if window is None:
        return {}
    return {"rebuild_from": window[0].isoformat(), "rebuild_to": window[1].isoformat()}
