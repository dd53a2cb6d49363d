"""The one Dagster Definitions object: raw (dlt) → staging → marts (dbt), with checks."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    ScheduleDefinition,
    define_asset_job,
)
from dagster_dlt import DagsterDltResource

from orchestration.defs.checks import GX_CHECKS
from orchestration.defs.raw import RAW_ASSETS
from orchestration.defs.transform import dbt_incremental_facts, dbt_models, dbt_resource

osrs_prices_tick = define_asset_job(
    name="osrs_prices_tick",
    description="Fetch the OSRS GE, load raw, rebuild everything downstream, run the checks.",
    selection=AssetSelection.groups("osrs_prices").downstream(),
)

refresh_all = define_asset_job(
    name="refresh_all",
    description="Every source, then every model: what `snapmart refresh` does.",
    selection=AssetSelection.all(),
)

defs = Definitions(
    assets=[*RAW_ASSETS, dbt_incremental_facts, dbt_models],
    asset_checks=GX_CHECKS,
    jobs=[osrs_prices_tick, refresh_all],
    schedules=[
        ScheduleDefinition(
            name="osrs_prices_every_10_minutes",
            job=osrs_prices_tick,
            cron_schedule="*/10 * * * *",
            execution_timezone="UTC",
            default_status=DefaultScheduleStatus.RUNNING,
        ),
    ],
    resources={"dlt": DagsterDltResource(), "dbt": dbt_resource()},
)
