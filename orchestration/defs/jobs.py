"""The jobs, from the source registry (ingestion/sources/: each source's ``TICK.job``).

A source's job loads it (and the sources that share the job: Binance and Yahoo,
``exchanges_tick``) and rebuilds everything downstream. Each job names the sources it
loads in its run tags: the run queue starts one run per source at a time
(orchestration/defs/queue.py).
"""

from __future__ import annotations

from typing import Any

from dagster import AssetSelection, define_asset_job

from ingestion import sources
from orchestration.defs.queue import INGESTED, source_tags


def source_job(job: sources.Job, loads: tuple[str, ...]) -> Any:
    """The asset job a source's ``TICK`` declares: the raw assets of the sources in
    ``loads`` and everything downstream, tagged so the queue runs one per source."""
    return define_asset_job(
        name=job.name,
        description=job.description,
        selection=AssetSelection.groups(*loads).downstream(),
        run_tags=source_tags(*loads),
    )


# job name → (the declared job, its asset job), in the registry's order
SOURCE_JOBS: dict[str, tuple[sources.Job, Any]] = {
    name: (job, source_job(job, loads)) for name, (job, loads) in sources.jobs().items()
}

refresh_all = define_asset_job(
    name="refresh_all",
    description="Every source, then every model: what `snapmart refresh` does.",
    selection=AssetSelection.all(),
    run_tags=source_tags(*INGESTED),
)

JOBS = [*(asset_job for _, asset_job in SOURCE_JOBS.values()), refresh_all]


def job_of(source: str) -> Any:
    """The asset job that loads ``source``."""
    return SOURCE_JOBS[sources.tick(source).job.name][1]
