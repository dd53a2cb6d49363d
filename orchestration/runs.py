"""Dagster runs in this process, on the instance `snapmart ui` reads (docs/architecture.md).

`snapmart refresh`, `ingest`, `transform`, `demo` and `backfill` are Dagster runs: the jobs
of orchestration/definitions.py (or a selection of their assets), executed in process
(``execute_in_process``: no run worker, no process per step) against the instance in
PostgreSQL that orchestration/dagster_home.py configures. Their runs, materializations and
check results are the UI's, as if the schedule had started them.

While a run executes, a second thread follows its event log in the instance and hands each
new record to the caller: the CLI draws its progress from them and its summary from the
metadata the assets report.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration import dagster_home, metrics, warehouse

POLL_SECONDS = 0.25
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
"""Run config that keeps Dagster's console logger silent: the event log keeps everything."""


@contextlib.contextmanager
def instance(wh: warehouse.Warehouse) -> Iterator[Any]:
    """The Dagster instance of this warehouse (its database ``<database>_dagster``)."""
    with dagster_home.instance(wh.info, wh.settings.home) as inst:
        # A run writes hundreds of events: over a few pooled connections, as the webserver
        # does, instead of a new connection (and its authentication) per write.
        inst.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=4)
        # Storing a materialization asks the catalogue whether the asset-tags table exists,
        # each time (~20 ms): it does not come or go while a run writes.
        events = inst.event_log_storage
        if hasattr(events, "has_table"):
            events.has_table = functools.cache(events.has_table)
        yield inst


def initialize_pools(wh: warehouse.Warehouse, inst: Any, pools: Iterable[str]) -> None:
    """Give each of ``pools`` (Dagster concurrency pools) its row and slots on the instance
    now, one process at a time. Dagster creates them on a step's first claim, where two
    runs starting at once on a new instance both insert the same row: on PostgreSQL the
    second's insert aborts its transaction, and its run fails before any step starts."""
    from orchestration.runtime import locks

    storage = inst.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return
    known = {p.name for p in storage.get_pool_limits()}
    missing = sorted(set(pools) - known)
    if not missing:
        return
    with locks.setup(dagster_home.dagster_database(wh.info), "dagster-pools"):
        known = {p.name for p in storage.get_pool_limits()}
        for pool in missing:
            if pool not in known:
                storage.initialize_concurrency_limit_to_default(pool)


@dataclass
class RunOutcome:
    """A finished run: its id on the instance, whether it succeeded, and its event log
    records (``EventLogEntry``) in the order they were written."""

    run_id: str
    success: bool
    records: list[Any] = field(default_factory=list)  # EventLogEntry, in order


def _job(
    job_name: str | None, selection: Iterable[Any] | None, checks: Iterable[Any] | None
) -> Any:
    """The job to execute: ``job_name`` (None: ``refresh_all``, every materializable
    asset), or the part of it over the asset keys ``selection``, with the checks of those
    assets or exactly ``checks`` (none, say).

    The part is made here, before the run is given its resources: made by
    ``execute_in_process`` (its ``asset_selection``), it would find the assets bound to
    the definitions' warehouse resource and refuse the command's; the implicit asset job
    refuses it the same way, hence ``refresh_all``."""
    from orchestration.definitions import defs

    job = defs.resolve_job_def(job_name or "refresh_all")
    if selection is None:
        return job
    if checks is not None:
        return job.get_subset(asset_selection=set(selection), asset_check_selection=set(checks))
    return job.get_subset(asset_selection=set(selection))


def job_nodes(
    job_name: str | None,
    selection: Iterable[Any] | None = None,
    checks: Iterable[Any] | None = None,
) -> dict[str, str]:
    """The nodes a run of the job (over ``selection``, asset keys) executes, by node name:
    the name of each node's op. The asset graph runs one op in several nodes when a
    selection weaves in and out of it (dbt around the price fact and the alerts)."""
    job = _job(job_name, selection, checks)
    return {name: node.definition.name for name, node in job.graph.node_dict.items()}


def execute(
    job_name: str | None,
    wh: warehouse.Warehouse,
    *,
    selection: Iterable[Any] | None = None,
    checks: Iterable[Any] | None = None,
    run_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    partition_key: str | None = None,
    on_record: Callable[[Any], None] | None = None,
) -> RunOutcome:
    """Execute a job (or the assets ``selection`` of it, with ``checks`` or those of
    its assets) in process on the instance, on the warehouse ``wh`` (the run's
    ``warehouse`` resource: its settings); ``on_record`` sees each event log record as
    the run writes it (from another thread)."""
    from orchestration.defs.resources import WarehouseResource

    job = _job(job_name, selection, checks)
    config = {**QUIET, **(run_config or {})}
    run_id = str(uuid.uuid4())
    seen: list[Any] = []
    # dagster-dbt and the definitions log through the "dagster" logger: the event log
    # keeps them, the terminal does not need them
    logging.getLogger("dagster").setLevel(logging.WARNING)
    with instance(wh) as inst:
        # a command killed before (kill -9, a power cut) left its ticks running and its run
        # started, holding the pools its steps claimed: ended now, before this run waits
        # on those pools (orchestration/metrics.py)
        metrics.sweep(wh.info, inst)
        metrics.sweep_runs(inst)
        initialize_pools(
            wh, inst, {p for n in job.graph.node_dict.values() if (p := n.definition.pool)}
        )
        tags = {
            **(tags or {}),
            metrics.HOST_TAG: socket.gethostname(),
            metrics.PID_TAG: str(os.getpid()),
        }
        stop = threading.Event()
        failure: list[BaseException] = []

        def follow() -> None:
            cursor = None
            while True:
                stopping = stop.is_set()
                try:
                    page = inst.get_records_for_run(run_id, cursor=cursor)
                    for record in page.records:
                        seen.append(record.event_log_entry)
                        if on_record is not None and not failure:
                            on_record(record.event_log_entry)
                    cursor = page.cursor
                except Exception as exc:  # noqa: BLE001 - raised in the caller's thread
                    failure.append(exc)
                    return
                if page.has_more:
                    continue
                if stopping:
                    return
                stop.wait(POLL_SECONDS)

        watcher = threading.Thread(target=follow, name=f"follow-{run_id[:8]}", daemon=True)
        watcher.start()
        try:
            result = job.execute_in_process(
                run_config=config,
                instance=inst,
                partition_key=partition_key,
                raise_on_error=False,
                run_id=run_id,
                tags=tags,
                resources={"warehouse": WarehouseResource.from_settings(wh.settings)},
            )
        finally:
            stop.set()
            watcher.join()
        if failure:
            raise failure[0]
    return RunOutcome(run_id=run_id, success=result.success, records=seen)
