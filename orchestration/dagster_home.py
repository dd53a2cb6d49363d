"""DAGSTER_HOME for `snapmart ui`: the instance keeps its runs, schedules and event logs in
PostgreSQL (dagster-postgres), on the same server as the warehouse, so run history and
schedule state survive a restart of the UI and the daemon.

Dagster gets a database of its own next to the warehouse (``<database>_dagster``): its
tables stay out of the schemas analysts and dbt see. dagster.yaml names environment
variables, not values, so no password is written to disk.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from orchestration import warehouse

DAGSTER_YAML = """\
telemetry:
  enabled: false

storage:
  postgres:
    postgres_db:
      hostname: {env: SNAPMART_PG_HOST}
      port: {env: SNAPMART_PG_PORT}
      username: {env: SNAPMART_PG_USER}
      password: {env: SNAPMART_PG_PASSWORD}
      db_name: {env: SNAPMART_DAGSTER_DATABASE}
      # psycopg 2, which dagster-postgres is written for: SQLAlchemy 2.1 would pick
      # psycopg 3 for plain postgresql://, and its NOTIFY with a bound channel fails.
      scheme: postgresql+psycopg2

# Pools (concurrency): one step at a time per pool across every run, so a backfill and
# the schedule never load a source at once (ingest_<source>) nor rebuild the partitioned
# price fact at once (dbt_price_facts).
concurrency:
  pools:
    default_limit: 1

# Freshness policies (orchestration/definitions.py) are evaluated and shown in the UI.
freshness:
  enabled: true
"""


def dagster_database(info: warehouse.ConnectionInfo) -> warehouse.ConnectionInfo:
    return replace(info, database=f"{info.database}_dagster")


def prepare(info: warehouse.ConnectionInfo | None = None) -> Path:
    """Create the Dagster database if needed, write dagster.yaml, export its variables;
    returns the DAGSTER_HOME to run Dagster with."""
    info = info or warehouse.ensure_warehouse()
    storage = dagster_database(info)
    warehouse.ensure_database(storage)
    warehouse.export_env(info)
    os.environ["SNAPMART_DAGSTER_DATABASE"] = storage.database
    home = warehouse.home_dir() / ".snapmart" / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != DAGSTER_YAML:
        config.write_text(DAGSTER_YAML)
    return home
