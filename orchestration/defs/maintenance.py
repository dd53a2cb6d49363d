"""Daily upkeep: retention of the OHLC tiers (docs/formulas.md#retention), as `snapmart prune` does.

Off by default (like the demo): turn `retention_daily` on in the UI once hourly candles
older than 30 days are no longer wanted. It only deletes rows whose period the next
coarser tier already holds, so it never loses a price history, only its resolution.
"""

from dagster import Config, DefaultScheduleStatus, OpExecutionContext, ScheduleDefinition, job, op

from orchestration import retention
from orchestration.defs.resources import WarehouseResource


class RetentionConfig(Config):
    """Run config of the retention job: days of hourly and of daily candles to keep, and of
    raw ticket listings (0: keep them all); docs/formulas.md#retention."""

    hourly_days: int = 30
    daily_days: int = 730
    raw_listings_days: int = 0


@op(pool="dbt_price_facts")  # never while a tick or backfill rewrites the price tiers
def prune_tiers(
    context: OpExecutionContext, config: RetentionConfig, warehouse: WarehouseResource
) -> None:
    """Prune the candle tiers (and old raw listings, if set) as ``retention.prune`` does,
    logging rows pruned and kept per table."""
    results = retention.prune(
        warehouse.info,
        hourly_days=config.hourly_days,
        daily_days=config.daily_days,
        raw_listings_days=config.raw_listings_days,
    )
    for r in results:
        context.log.info(f"{r.table}: {r.rows:,} row(s) pruned, {r.kept_rows:,} kept")


@job(description="Retention of the hourly and daily candles (and old raw listings, if set).")
def retention_job() -> None:
    """The retention job: ``prune_tiers`` once."""
    prune_tiers()


retention_daily = ScheduleDefinition(
    name="retention_daily",
    job=retention_job,
    cron_schedule="30 3 * * *",
    execution_timezone="UTC",
    description="Hourly candles kept 30 days, daily 2 years (docs/formulas.md#retention);"
    " off by default.",
    default_status=DefaultScheduleStatus.STOPPED,
)
