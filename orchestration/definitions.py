"""The one Dagster Definitions object: raw (dlt) → staging → marts (dbt), with checks."""

from __future__ import annotations

from datetime import timedelta

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    FreshnessPolicy,
    ScheduleDefinition,
    apply_freshness_policy,
    define_asset_job,
)
from dagster_dlt import DagsterDltResource

from orchestration.defs.alerts import ALERT_ASSETS, ALERT_CHECKS
from orchestration.defs.checks import GX_CHECKS
from orchestration.defs.raw import RAW_ASSETS
from orchestration.defs.sensors import dofus_inbox_sensor, dofus_market_tick, run_failure_notifier
from orchestration.defs.transform import dbt_incremental_facts, dbt_models, dbt_resource
from orchestration.defs.volume import VOLUME_CHECKS

osrs_prices_tick = define_asset_job(
    name="osrs_prices_tick",
    description="Fetch the OSRS GE, load raw, rebuild everything downstream, run the checks.",
    selection=AssetSelection.groups("osrs_prices").downstream(),
)

wow_auctions_tick = define_asset_job(
    name="wow_auctions_tick",
    description="Fetch the WoW commodity and realm snapshots, load, rebuild downstream.",
    selection=AssetSelection.groups("wow_auctions").downstream(),
)

osrs_hiscores_tick = define_asset_job(
    name="osrs_hiscores_tick",
    description="Ask the hiscores about every tracked player, load what changed and the fetch"
    " log, rebuild the player marts.",
    selection=AssetSelection.groups("osrs_hiscores").downstream(),
)

exchanges_tick = define_asset_job(
    name="exchanges_tick",
    description="Binance klines and tickers, Yahoo daily bars for config/tracked_assets.csv;"
    " load, rebuild the exchange marts.",
    selection=AssetSelection.groups("binance", "yahoo_finance").downstream(),
)

tickets_tick = define_asset_job(
    name="tickets_tick",
    description="Vivid Seats production records and listings for config/tracked_events.csv"
    " (events not yet past); load, rebuild the tickets marts.",
    selection=AssetSelection.groups("vividseats").downstream(),
)

alerts_tick = define_asset_job(
    name="alerts_tick",
    description="Reload the profiles folder, evaluate the alert rules on the current marts,"
    " send what is pending (retries of earlier failures too), rebuild the user marts.",
    selection=AssetSelection.groups("user_state").downstream(),
)

refresh_all = define_asset_job(
    name="refresh_all",
    description="Every source, then every model: what `snapmart refresh` does.",
    selection=AssetSelection.all(),
)

defs = Definitions(
    assets=[*RAW_ASSETS, dbt_incremental_facts, dbt_models, *ALERT_ASSETS],
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
    ],
    sensors=[dofus_inbox_sensor, run_failure_notifier],
    schedules=[
        ScheduleDefinition(
            name="osrs_prices_every_10_minutes",
            job=osrs_prices_tick,
            cron_schedule="*/10 * * * *",
            execution_timezone="UTC",
            default_status=DefaultScheduleStatus.RUNNING,
        ),
        ScheduleDefinition(
            name="osrs_hiscores_every_30_minutes",
            job=osrs_hiscores_tick,
            cron_schedule="*/30 * * * *",
            execution_timezone="UTC",
            description="Tracked players from config/tracked_players.csv.",
            default_status=DefaultScheduleStatus.RUNNING,
        ),
        ScheduleDefinition(
            name="exchanges_every_5_minutes",
            job=exchanges_tick,
            cron_schedule="*/5 * * * *",
            execution_timezone="UTC",
            description="Assets from config/tracked_assets.csv; budgets per provider"
            " (SOURCES__BINANCE__REQUESTS_PER_MINUTE, SOURCES__YAHOO_FINANCE__...).",
            default_status=DefaultScheduleStatus.RUNNING,
        ),
        ScheduleDefinition(
            name="tickets_every_15_minutes",
            job=tickets_tick,
            cron_schedule="*/15 * * * *",
            execution_timezone="UTC",
            description="Events from config/tracked_events.csv; requests spread under"
            " SOURCES__VIVIDSEATS__REQUESTS_PER_MINUTE (default 180).",
            default_status=DefaultScheduleStatus.RUNNING,
        ),
        ScheduleDefinition(
            name="alerts_every_5_minutes",
            job=alerts_tick,
            cron_schedule="2-59/5 * * * *",
            execution_timezone="UTC",
            description="Profile edits take effect and pending deliveries are retried between"
            " market ticks (every market tick evaluates the rules too).",
            default_status=DefaultScheduleStatus.RUNNING,
        ),
        ScheduleDefinition(
            name="wow_auctions_hourly",
            job=wow_auctions_tick,
            cron_schedule="15 * * * *",
            execution_timezone="UTC",
            description="Needs Blizzard API credentials (SOURCES__WOW_AUCTIONS__CLIENT_ID/SECRET)"
            " and connected realms (SOURCES__WOW_AUCTIONS__CONNECTED_REALMS); off until set.",
            default_status=DefaultScheduleStatus.STOPPED,
        ),
    ],
    resources={"dlt": DagsterDltResource(), "dbt": dbt_resource()},
)

# Freshness, in one place (DESIGN §5): a source's raw tables fail their policy after about
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
