"""Sensors: work that starts when files arrive rather than on the clock."""

import os
from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from ingestion.sources.dofus_market import INBOX, SOURCE
from orchestration.defs.jobs import job_of
from orchestration.defs.partitions import today_key
from orchestration.defs.resources import WarehouseResource

# Dofus's job has no schedule (ingestion/sources/dofus_market/tick.py): this sensor starts it.
dofus_market_tick = job_of(SOURCE)


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
    """A run of the Dofus tick, for today's partition, when a batch newer than the cursor (the
    newest modification time, ns) is in the inbox or the archive; else a skip."""
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
    """Report a failed run once to the operator channels (``alerts.ops``) and deliver at once;
    a skip when none is configured or the run was reported already."""
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
