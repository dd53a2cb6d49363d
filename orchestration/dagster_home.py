"""DAGSTER_HOME for `snapmart ui`: the instance keeps its runs, schedules and event logs in
PostgreSQL (dagster-postgres), on the same server as the warehouse, so run history and
schedule state survive a restart of the UI and the daemon.

Dagster gets a database of its own next to the warehouse (``<database>_dagster``): its
tables stay out of the schemas analysts and dbt see. dagster.yaml names environment
variables, not values, so no password is written to disk.

The instance queues runs and starts them within limits (orchestration/defs/queue.py): a
UI left running starts at most two runs at once, and never two of one source.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from orchestration import warehouse
from orchestration.defs import queue
from orchestration.runtime.environ import environment

DAGSTER_YAML_TEMPLATE = """\
telemetry:
  enabled: false

storage:
  postgres:
    postgres_db:
      hostname: {{env: SNAPMART_PG_HOST}}
      port: {{env: SNAPMART_PG_PORT}}
      username: {{env: SNAPMART_PG_USER}}
      password: {{env: SNAPMART_PG_PASSWORD}}
      db_name: {{env: SNAPMART_DAGSTER_DATABASE}}
      # psycopg 2, which dagster-postgres is written for: SQLAlchemy 2.1 would pick
      # psycopg 3 for plain postgresql://, and its NOTIFY with a bound channel fails.
      scheme: postgresql+psycopg2

# The run queue (docs/architecture.md#running-the-ui; orchestration/defs/queue.py): schedules,
# sensors and the launchpad queue runs, the daemon starts them within the limits below. A
# code server too busy to answer (a cold start, a reload) delays a queued run instead of
# failing it: its launch is retried, {retries} times {retry_delay} s apart.
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_user_code_failure_retries: {retries}
    user_code_failure_retry_delay: {retry_delay}

concurrency:
  # At most {max_runs} runs at once (two cores), and one in-progress run per source: every job
  # carries the tag snapmart/ingest_<source> of each source it is for.
  runs:
    max_concurrent_runs: {max_runs}
    tag_concurrency_limits:
{tag_limits}
  # Pools: one step at a time per pool across every run, so a backfill and the schedule
  # never load a source at once (ingest_<source>), and no two runs build the same dbt
  # assets at once (dbt_price_facts, dbt_incremental_facts, dbt_models).
  pools:
    default_limit: 1

# Freshness policies (orchestration/defs/freshness.py) are evaluated and shown in the UI.
freshness:
  enabled: true
"""

# A queued run's launch is retried this often when its code server does not answer.
LAUNCH_RETRIES = 3
LAUNCH_RETRY_DELAY_SECONDS = 30


def dagster_yaml() -> str:
    """The instance configuration `snapmart ui`, the daemon and `snapmart backfill` share."""
    limits = "\n".join(
        f"      - key: {limit['key']}\n        limit: {limit['limit']}"
        for limit in queue.tag_concurrency_limits()
    )
    return DAGSTER_YAML_TEMPLATE.format(
        retries=LAUNCH_RETRIES,
        retry_delay=LAUNCH_RETRY_DELAY_SECONDS,
        max_runs=queue.MAX_CONCURRENT_RUNS,
        tag_limits=limits,
    )


def dagster_database(info: warehouse.ConnectionInfo) -> warehouse.ConnectionInfo:
    """The Dagster instance's own database on the same server: ``<warehouse database>_dagster``."""
    return replace(info, database=f"{info.database}_dagster")


def instance_env(info: warehouse.ConnectionInfo) -> dict[str, str]:
    """The variables dagster.yaml names, for the warehouse ``info`` reaches: what a
    process opening the instance (`snapmart ui`'s, and every one it starts) needs in its
    environment."""
    return {
        "SNAPMART_PG_HOST": info.host,
        "SNAPMART_PG_PORT": str(info.port),
        "SNAPMART_PG_USER": info.user,
        "SNAPMART_PG_PASSWORD": info.password or "",
        "SNAPMART_DAGSTER_DATABASE": dagster_database(info).database,
    }


def prepare(info: warehouse.ConnectionInfo, home: Path | None = None) -> Path:
    """Create the Dagster database if needed, write dagster.yaml under ``home`` (the
    settings' home; by default the one the environment names); returns the DAGSTER_HOME
    to run Dagster with, whose processes need ``instance_env(info)``."""
    storage = dagster_database(info)
    warehouse.ensure_database(storage)
    home = (home or warehouse.Settings.from_env().home) / ".snapmart" / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    text = dagster_yaml()
    if not config.exists() or config.read_text() != text:
        # written whole then renamed: a process starting at the same moment reads the
        # old file or the new one, never half of one
        part = config.with_name(f".{config.name}.{os.getpid()}")
        part.write_text(text)
        part.replace(config)
    return home


@contextmanager
def instance(info: warehouse.ConnectionInfo, home: Path | None = None) -> Iterator[Any]:
    """The Dagster instance of the warehouse ``info`` reaches (DAGSTER_HOME under
    ``home``, as ``prepare``): dagster.yaml's variables are in the environment while it
    loads, which is when it reads them, and gone after."""
    from dagster import DagsterInstance

    from orchestration.runtime import locks

    config = prepare(info, home)
    # one process at a time: on a new database, loading the instance creates Dagster's
    # tables, and two processes creating them at once fail one of the two (PostgreSQL's
    # `type "runs" already exists`, which dagster-postgres does not retry)
    # (the lock first: threads of one process then also take turns with the environment)
    with locks.setup(dagster_database(info), "dagster-schema"), environment(instance_env(info)):
        inst = DagsterInstance.from_config(str(config))
    with inst:
        yield inst
