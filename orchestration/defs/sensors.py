"""Sensors: work that starts when files arrive rather than on the clock."""

import os
from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    AssetSelection,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    run_failure_sensor,
    sensor,
)

from ingestion.sources.dofus_market import INBOX, SOURCE
from orchestration.defs.partitions import today_key
from orchestration.defs.queue import source_tags
from orchestration.defs.resources import WarehouseResource

dofus_market_tick = define_asset_job(
    name="dofus_market_tick",
    description="Sweep the Dofus inbox into the landing zone, load, rebuild downstream.",
    selection=AssetSelection.groups("dofus_market").downstream(),
    run_tags=source_tags(SOURCE),  # one run per source at a time (orchestration/defs/queue.py)
)


def _newest_drop(landing: Path) -> int:
    """Newest modification time (ns) among dropped and archived Dofus batches."""
    newest = 0
    for folder in (INBOX, "observations"):
        path = landing / SOURCE / folder
        if not path.is_dir():
            continue
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_file() and not entry.name.startswith("."):
                    newest = max(newest, entry.stat().st_mtime_ns)
    return newest


@sensor(
    job=dofus_market_tick,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Loads Dofus capture batches as soon as clients drop them in the inbox.",
)
def dofus_inbox_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource):
    newest = _newest_drop(warehouse.landing)
    if newest <= int(context.cursor or 0):
        return SkipReason("no new Dofus batches")
    context.update_cursor(str(newest))
    # the job reaches the day-partitioned price fact: today's partition
    return RunRequest(run_key=f"dofus-{newest}", partition_key=today_key())


@run_failure_sensor(
    default_status=DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="Tells operators about a failed run through the alert channels: the webhook"
    " named ops (ALERTS__WEBHOOKS__OPS) and/or ALERTS__OPS__EMAIL, with retries.",
)
def run_failure_notifier(context: RunFailureSensorContext, warehouse: WarehouseResource):
    from orchestration.alerts import deliver, ops

    run = context.dagster_run
    event = context.failure_event
    reason = event.message or "no message"
    record = context.instance.get_run_record_by_id(run.run_id)
    ended = record.end_time if record is not None else None  # stable: one report per run
    failed_at = datetime.fromtimestamp(ended, UTC) if ended else datetime.now(UTC)
    info = warehouse.info
    event_id = ops.record_run_failure(run.run_id, run.job_name, failed_at, reason, info)
    if event_id is None:
        return SkipReason("no operator channel configured, or this run was already reported")
    report = deliver.deliver_now(info)
    context.log.info(f"run {run.run_id} failure reported (event {event_id}): {report}")
