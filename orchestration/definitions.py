"""The one Dagster Definitions object: raw (dlt) → staging → marts (dbt), with checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    FreshnessPolicy,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    apply_freshness_policy,
    define_asset_job,
    schedule,
)
from dagster_dlt import DagsterDltResource

from orchestration.defs.alerts import ALERT_ASSETS, ALERT_CHECKS
from orchestration.defs.checks import GX_CHECKS
from orchestration.defs.maintenance import retention_daily, retention_job
from orchestration.defs.partitions import today_key
from orchestration.defs.queue import INGESTED, source_tags
from orchestration.defs.raw import RAW_ASSETS
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.sensors import dofus_inbox_sensor, dofus_market_tick, run_failure_notifier
from orchestration.defs.transform import dbt_incremental_facts, dbt_models, dbt_price_facts
from orchestration.defs.volume import VOLUME_CHECKS

# Each job names the sources it loads in its run tags: the run queue starts one run per
# source at a time (orchestration/defs/queue.py).
osrs_prices_tick = define_asset_job(
    name="osrs_prices_tick",
    description="Fetch the OSRS GE, load raw, rebuild everything downstream, run the checks.",
    selection=AssetSelection.groups("osrs_prices").downstream(),
    run_tags=source_tags("osrs_prices"),
)

wow_auctions_tick = define_asset_job(
    name="wow_auctions_tick",
    description="Fetch the WoW commodity and realm snapshots, load, rebuild downstream.",
    selection=AssetSelection.groups("wow_auctions").downstream(),
    run_tags=source_tags("wow_auctions"),
)

osrs_hiscores_tick = define_asset_job(
    name="osrs_hiscores_tick",
    description="Ask the hiscores about every tracked player, load what changed and the fetch"
    " log, rebuild the player marts.",
    selection=AssetSelection.groups("osrs_hiscores").downstream(),
    run_tags=source_tags("osrs_hiscores"),
)

exchanges_tick = define_asset_job(
    name="exchanges_tick",
    description="Binance klines and tickers, Yahoo daily bars for config/tracked_assets.csv;"
    " load, rebuild the exchange marts.",
    selection=AssetSelection.groups("binance", "yahoo_finance").downstream(),
    run_tags=source_tags("binance", "yahoo_finance"),
)

tickets_tick = define_asset_job(
    name="tickets_tick",
    description="Vivid Seats production records and listings for config/tracked_events.csv"
    " (events not yet past); load, rebuild the tickets marts.",
    selection=AssetSelection.groups("vividseats").downstream(),
    run_tags=source_tags("vividseats"),
)

alerts_tick = define_asset_job(
    name="alerts_tick",
    description="Reload the profiles folder, evaluate the alert rules on the current marts,"
    " send what is pending (retries of earlier failures too), rebuild the user marts.",
    selection=AssetSelection.groups("user_state").downstream(),
    run_tags=source_tags("user_state"),
)

refresh_all = define_asset_job(
    name="refresh_all",
    description="Every source, then every model: what `snapmart refresh` does.",
    selection=AssetSelection.all(),
    run_tags=source_tags(*INGESTED),
)


def tick_schedule(
    name: str,
    job: Any,
    cron: str,
    description: str,
    *,
    partitioned: bool = True,
    running: bool = True,
) -> ScheduleDefinition:
    """A source's tick. Jobs that reach the day-partitioned price assets run today's
    partition (the day of the scheduled time, UTC); see orchestration/defs/partitions.py."""

    @schedule(
        name=name,
        job=job,
        cron_schedule=cron,
        execution_timezone="UTC",
        description=description,
        default_status=DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED,
    )
    def _tick(context: ScheduleEvaluationContext) -> RunRequest:
        if not partitioned:
            return RunRequest()
        return RunRequest(partition_key=today_key(context.scheduled_execution_time))

    return _tick


defs = Definitions(
    assets=[*RAW_ASSETS, dbt_price_facts, dbt_incremental_facts, dbt_models, *ALERT_ASSETS],
    asset_checks=[*GX_CHECKS, *ALERT_CHECKS, *VOLUME_CHECKS],
    jobs=[
        osrs_prices_tick,
        osrs_hiscores_tick,
        wow_auctions_tick,
        dofus_market_tick,
        exchanges_tick,
        tickets_tick,
        alerts_tick,
        refresh_all,
        retention_job,
    ],
    sensors=[dofus_inbox_sensor, run_failure_notifier],
    schedules=[
        tick_schedule(
            "osrs_prices_every_10_minutes",
            osrs_prices_tick,
            "*/10 * * * *",
            "Newest 5m/1h buckets plus any missed in the catch-up window"
            " (SOURCES__OSRS_PRICES__CATCH_UP_MINUTES, default 60); longer gaps: backfill.",
        ),
        tick_schedule(
            "osrs_hiscores_every_30_minutes",
            osrs_hiscores_tick,
            "*/30 * * * *",
            "Tracked players from config/tracked_players.csv.",
            partitioned=False,
        ),
        tick_schedule(
            "exchanges_every_5_minutes",
            exchanges_tick,
            "*/5 * * * *",
            "Assets from config/tracked_assets.csv; budgets per provider"
            " (SOURCES__BINANCE__REQUESTS_PER_MINUTE, SOURCES__YAHOO_FINANCE__...).",
        ),
        tick_schedule(
            "tickets_every_15_minutes",
            tickets_tick,
            "*/15 * * * *",
            "Events from config/tracked_events.csv; requests spread under"
            " SOURCES__VIVIDSEATS__REQUESTS_PER_MINUTE (default 180).",
        ),
        tick_schedule(
            "alerts_every_5_minutes",
            alerts_tick,
            "2-59/5 * * * *",
            "Profile edits take effect and pending deliveries are retried between"
            " market ticks (every market tick evaluates the rules too).",
            partitioned=False,
        ),
        tick_schedule(
            "wow_auctions_hourly",
            wow_auctions_tick,
            "15 * * * *",
            "Needs Blizzard API credentials (SOURCES__WOW_AUCTIONS__CLIENT_ID/SECRET)"
            " and connected realms (SOURCES__WOW_AUCTIONS__CONNECTED_REALMS); off until set.",
            running=False,
        ),
        retention_daily,
    ],
    # The code server's settings, resolved as it loads (orchestration/runtime/settings.py);
    # a `snapmart` command passes its own (orchestration/runs.py).
    resources={"dlt": DagsterDltResource(), "warehouse": WarehouseResource.from_env()},
)

# Freshness, in one place (docs/architecture.md#dagster): a source's raw tables fail after about
# three missed ticks of its schedule (warn after one and a half), so a stuck schedule or a
# run that keeps failing shows red in the UI before anyone reads a stale mart.
FRESHNESS: dict[str, timedelta] = {
    "osrs_prices": timedelta(minutes=30),  # every 10 minutes
    "binance": timedelta(minutes=15),  # every 5 minutes
    "yahoo_finance": timedelta(minutes=15),
    "vividseats": timedelta(minutes=45),  # every 15 minutes
    "osrs_hiscores": timedelta(minutes=90),  # every 30 minutes
    "wow_auctions": timedelta(hours=3),  # hourly
    "dofus_market": timedelta(days=1),  # whenever capture clients drop batches
    "user_state": timedelta(minutes=15),  # the alerts tick, every 5 minutes
}
for _group, _window in FRESHNESS.items():
    _policy = FreshnessPolicy.time_window(fail_window=_window, warn_window=_window / 2)
    defs = defs.map_resolved_asset_specs(
        func=lambda spec, policy=_policy: apply_freshness_policy(spec, policy),
        selection=AssetSelection.groups(_group),
    )
