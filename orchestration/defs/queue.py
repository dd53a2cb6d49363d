"""What may run at once on the instance `snapmart ui` runs (docs/architecture.md#running-the-ui).

Runs: every job carries the run tag ``snapmart/ingest_<source>`` of each source it is for
(``refresh_all`` all of them; the profiles folder, ``user_state``, loads in the alerts tick
and ``refresh_all`` only). The instance's run queue (orchestration/dagster_home.py) lets at most one
in-progress run hold each tag, and at most ``MAX_CONCURRENT_RUNS`` runs at all: a tick that
comes round while the previous tick of its source (or a `snapmart backfill` of it) is still
running waits in the queue, instead of starting a second load of the same source next to it.

Steps, across runs: pools with a limit of 1 (``concurrency.pools.default_limit``), the raw
load of each source (``ingest_<source>``, orchestration/defs/raw.py) and each dbt asset
(``dbt_price_facts``, ``dbt_incremental_facts``, ``dbt_models``,
orchestration/defs/transform.py): two runs never build the same dbt models at once.
"""

from __future__ import annotations

from typing import Any

from ingestion.sources import ALL_SOURCES

# Two cores: each run is a run worker plus a process per step, each importing the
# definitions; two runs at once keep the webserver, daemon and code server responsive.
MAX_CONCURRENT_RUNS = 2

# Every source a job can load: every source in the registry (ingestion/sources/), the
# market, player and exchange sources and the profiles folder (raw_user_state, loaded by
# the alerts tick).
INGESTED = ALL_SOURCES


def source_tag(source: str) -> str:
    """The run tag that marks a run as loading ``source`` (one such run at a time)."""
    return f"snapmart/ingest_{source}"


def source_tags(*sources: str) -> dict[str, str]:
    """The run tags of a job that loads ``sources``."""
    unknown = set(sources) - set(INGESTED)
    if unknown:
        raise KeyError(f"unknown source(s): {', '.join(sorted(unknown))}")
    return {source_tag(s): "true" for s in sources}


def tag_concurrency_limits() -> list[dict[str, Any]]:
    """One in-progress run per source tag (dagster.yaml: concurrency.runs)."""
    return [{"key": source_tag(s), "limit": 1} for s in INGESTED]
