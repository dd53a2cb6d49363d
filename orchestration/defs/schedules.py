"""The schedules, from the source registry: one per job whose ``TICK.job`` has a
``Schedule`` (cron in UTC, on or off by default); a job without one is started by a
sensor (orchestration/defs/sensors.py)."""

from __future__ import annotations

from typing import Any

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    schedule,
)

from ingestion import sources
from orchestration.defs.jobs import SOURCE_JOBS
from orchestration.defs.partitions import today_key


def tick_schedule(declared: sources.Schedule, job: Any) -> ScheduleDefinition:
    """A source's tick. Jobs that reach the day-partitioned price assets run today's
    partition (the day of the scheduled time, UTC), the others none (a partition key on
    an unpartitioned job is an error); see orchestration/defs/partitions.py."""

    @schedule(
        name=declared.name,
        job=job,
        cron_schedule=declared.cron,
        execution_timezone="UTC",
        description=declared.description,
        default_status=(
            DefaultScheduleStatus.RUNNING if declared.running else DefaultScheduleStatus.STOPPED
        ),
    )
    def _tick(context: ScheduleEvaluationContext) -> RunRequest:
        if context.repository_def.get_job(job.name).partitions_def is None:
            return RunRequest()
        return RunRequest(partition_key=today_key(context.scheduled_execution_time))

    return _tick


SCHEDULES = [
    tick_schedule(declared.schedule, asset_job)
    for declared, asset_job in SOURCE_JOBS.values()
    if declared.schedule is not None
]
