"""The one Dagster Definitions object: raw (dlt) → staging → marts (dbt), with checks.

It only assembles orchestration/defs/. The sources are listed nowhere here: their raw
assets, jobs, schedules, queue tags, freshness policies and backfill partitions are
built from the source registry (ingestion/sources/).
"""

from __future__ import annotations

import logging

from dagster import Definitions
from dagster_dlt import DagsterDltResource

from orchestration.defs.alerts import ALERT_ASSETS, ALERT_CHECKS
from orchestration.defs.checks import GX_CHECKS
from orchestration.defs.freshness import with_freshness
from orchestration.defs.gaps import GAP_CHECKS
from orchestration.defs.jobs import JOBS
from orchestration.defs.maintenance import retention_daily, retention_job
from orchestration.defs.raw import RAW_ASSETS
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.schedules import SCHEDULES
from orchestration.defs.sensors import dofus_inbox_sensor, run_failure_notifier
from orchestration.defs.transform import dbt_incremental_facts, dbt_models, dbt_price_facts
from orchestration.defs.volume import VOLUME_CHECKS
from orchestration.runtime import private
from orchestration.runtime.settings import Settings

# The code location's process (`snapmart ui`'s code server, a run's) keeps what it writes
# private, as a `snapmart` command does: .snapmart/ 0700/0600 (orchestration/runtime/private.py).
private.restrict_umask()
private.secure(Settings.from_env().state_dir)
for _path in private.dlt_secrets_files():
    if _said := private.secure_secrets_file(_path):
        logging.getLogger(__name__).warning(_said)

defs = Definitions(
    assets=with_freshness(
        [*RAW_ASSETS, dbt_price_facts, dbt_incremental_facts, dbt_models, *ALERT_ASSETS]
    ),
    asset_checks=[*GX_CHECKS, *ALERT_CHECKS, *VOLUME_CHECKS, *GAP_CHECKS],
    jobs=[*JOBS, retention_job],
    sensors=[dofus_inbox_sensor, run_failure_notifier],
    schedules=[*SCHEDULES, retention_daily],
    # The code server's settings, resolved as it loads (orchestration/runtime/settings.py);
    # a `snapmart` command passes its own (orchestration/runs.py).
    resources={"dlt": DagsterDltResource(), "warehouse": WarehouseResource.from_env()},
)
