"""What every tick did, per source: ``ops.pipeline_metrics``, written by the loads.

One row per source × tick (a `snapmart refresh`/`ingest`, or a Dagster run of the
source's raw asset): when, how it ended, requests, retries, HTTP errors by status,
rate-limit waits, files and rows fetched / loaded / rejected, and seconds per stage.
``mart_pipeline_runs`` and ``mart_source_health`` are views over it.

A row is written as ``running`` when the load starts (with the host and process id that
run it), then closed as ``ok`` or ``failed``. A process killed in between cannot close
it: the next tick of the source (``sweep``) marks it ``crashed`` when its process is
gone, its Dagster run has ended, or it has been running for more than a day, and marks
that Dagster run failed too. Recording is best effort: a metrics failure is logged,
never fails the tick it describes.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestration import warehouse
from orchestration.alerts.store import grant_to_transformer

log = logging.getLogger("snapmart.metrics")

DDL = """
create schema if not exists ops;
create table if not exists ops.pipeline_metrics (
    metric_id bigserial primary key,
    tick_id text not null,
    source text not null,
    trigger text not null,
    run_id text,
    started_at timestamptz not null,
    finished_at timestamptz,
    status text not null,
    error text,
    host text,
    pid integer,
    requests integer,
    retries integer,
    http_errors jsonb not null default '{}'::jsonb,
    rate_limit_wait_seconds double precision,
    files_fetched integer,
    files_loaded integer,
    rows_loaded bigint,
    rows_rejected bigint,
    rows_by_table jsonb not null default '{}'::jsonb,
    fetch_seconds double precision,
    load_seconds double precision,
    checks_seconds double precision,
    transform_seconds double precision,
    unique (tick_id, source)
);
create index if not exists pipeline_metrics_source_time_idx
    on ops.pipeline_metrics (source, started_at);
-- a table made before ticks were recorded while running: the columns and states since
alter table ops.pipeline_metrics add column if not exists host text;
alter table ops.pipeline_metrics add column if not exists pid integer;
alter table ops.pipeline_metrics alter column finished_at drop not null;
do $$
begin
    if not exists (
        select 1 from pg_constraint
        where conname = 'pipeline_metrics_status_states'
            and conrelid = 'ops.pipeline_metrics'::regclass
    ) then
        alter table ops.pipeline_metrics drop constraint if exists pipeline_metrics_status_check;
        alter table ops.pipeline_metrics add constraint pipeline_metrics_status_states
            check (status in ('running', 'ok', 'failed', 'crashed'));
    end if;
end $$;
-- data a source will never deliver again (orchestration/gaps.py): one row per gap,
-- [gap_from, gap_to) in UTC; closed_at once something filled it after all
create table if not exists ops.fetch_gaps (
    source text not null,
    endpoint text not null,
    gap_from timestamptz not null,
    gap_to timestamptz not null check (gap_to > gap_from),
    reason text not null,
    detected_at timestamptz not null,
    updated_at timestamptz not null,
    closed_at timestamptz,
    primary key (source, endpoint, gap_from)
);
"""

STALE_AFTER = timedelta(hours=24)
"""A tick still ``running`` after this long is taken for crashed when its process cannot
be looked at (another host, no pid); one whose process still runs here is never (a long
backfill)."""


def ensure_table(conn: Any) -> None:
    """Create ``ops.pipeline_metrics`` and ``ops.fetch_gaps`` when missing (or older than
    the ``running``/``crashed`` states), and let the transformer read ``ops``, in the
    caller's transaction. Only when something is missing, and then one process at a time
    (a transaction-level advisory lock): DDL takes an exclusive lock on the table and the
    GRANT rewrites a catalogue row, which ticks starting at once raced ("tuple
    concurrently updated") on every write."""
    ready = conn.execute(
        """select to_regclass('ops.fetch_gaps') is not null and exists (
            select 1 from pg_constraint where conname = 'pipeline_metrics_status_states'
                and conrelid = to_regclass('ops.pipeline_metrics'))"""
    ).fetchone()[0]
    if ready:
        return
    from orchestration.runtime.locks import lock_key

    conn.execute("select pg_advisory_xact_lock(%s)", (lock_key("ops-tables"),))
    conn.execute(DDL)
    grant_to_transformer(conn, "ops")


def new_tick_id() -> str:
    """A fresh tick id: 32 hex characters (a random UUID)."""
    return uuid.uuid4().hex


@dataclass
class SourceTick:
    """One source's part of one tick, filled in as the stages run."""

    source: str
    trigger: str
    tick_id: str = field(default_factory=new_tick_id)
    run_id: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    status: str = "ok"
    error: str | None = None
    requests: int | None = None
    retries: int | None = None
    http_errors: dict[int, int] = field(default_factory=dict)
    rate_limit_wait_seconds: float | None = None
    files_fetched: int | None = None
    files_loaded: int | None = None
    rows_loaded: int | None = None
    rows_rejected: int | None = None
    rows_by_table: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # fetch, load, checks, transform

    def fetched(self, report: Any) -> None:
        """Take the fetch's HTTP counters and files from its FetchReport."""
        self.requests, self.retries = report.requests, report.retries
        self.http_errors = dict(report.errors)
        self.rate_limit_wait_seconds = report.rate_limit_wait_s
        self.files_fetched = len(report.files)

    def fetch_failed(self, exc: Exception) -> None:
        """Mark the tick failed with the error (cut to 1,000 characters), keeping the client's
        counters when the FetchError carries them, else counting its HTTP status."""
        self.status, self.error = "failed", str(exc)[:1000]
        stats = getattr(exc, "stats", None)
        if stats is not None:  # the client's counters up to the request that failed
            self.requests, self.retries = stats.requests, stats.retries
            self.http_errors = dict(stats.errors)
            self.rate_limit_wait_seconds = stats.rate_limit_wait_s
        elif getattr(exc, "status", None):
            self.http_errors[int(exc.status)] = self.http_errors.get(int(exc.status), 0) + 1

    def loaded(self, summary: Any) -> None:
        """Take the load's files, rows per table, rows in all and rejects from its LoadSummary."""
        self.files_loaded = summary.files
        self.rows_by_table = dict(summary.rows)
        self.rows_loaded = sum(summary.rows.values())
        self.rows_rejected = summary.rejected


COLUMNS = (
    "tick_id", "source", "trigger", "run_id", "started_at", "status", "error", "host", "pid",
    "requests", "retries", "http_errors", "rate_limit_wait_seconds", "files_fetched",
    "files_loaded", "rows_loaded", "rows_rejected", "rows_by_table", "fetch_seconds",
    "load_seconds", "checks_seconds", "transform_seconds",
)  # fmt: skip


def _values(t: SourceTick, status: str) -> tuple[Any, ...]:
    return (
        t.tick_id, t.source, t.trigger, t.run_id, t.started_at, status, t.error, t.host, t.pid,
        t.requests, t.retries, json.dumps({str(k): v for k, v in t.http_errors.items()}),
        t.rate_limit_wait_seconds, t.files_fetched, t.files_loaded, t.rows_loaded,
        t.rows_rejected, json.dumps(t.rows_by_table), t.seconds.get("fetch"),
        t.seconds.get("load"), t.seconds.get("checks"), t.seconds.get("transform"),
    )  # fmt: skip


def _write(ticks: list[SourceTick], info: Any, running: bool) -> None:
    """Insert (``running``: as running, unfinished) or close (finished now, with their
    status) the ticks' rows. Best effort: a failure is logged as a warning, never raised."""
    if not ticks:
        return
    names = ", ".join(COLUMNS)
    marks = ", ".join(["%s"] * len(COLUMNS))
    if running:  # a (tick, source) already there is kept
        sql = f"""insert into ops.pipeline_metrics ({names}) values ({marks})
            on conflict (tick_id, source) do nothing"""
    else:
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[2:])
        sql = f"""insert into ops.pipeline_metrics ({names}, finished_at)
            values ({marks}, clock_timestamp())
            on conflict (tick_id, source) do update set {updates},
                finished_at = excluded.finished_at"""
    try:
        with warehouse.connect(info) as conn:
            ensure_table(conn)
            for t in ticks:
                conn.execute(sql, _values(t, "running" if running else t.status))
            conn.commit()
    except Exception as exc:  # the tick's own outcome matters more than its metrics
        log.warning("pipeline metrics not recorded: %s", exc)


def start(ticks: list[SourceTick], info: Any = None) -> None:
    """Record the ticks as ``running`` (started, this host and process), before they fetch:
    a tick killed before it ends is still seen, and ``sweep`` marks it ``crashed``."""
    _write(ticks, info, running=True)


def record(ticks: list[SourceTick], info: Any = None) -> None:
    """Close the ticks' rows in ``ops.pipeline_metrics`` with their status and figures,
    finished now (a tick never started with ``start`` is inserted whole). Best effort: a
    failure is logged as a warning, never raised."""
    _write(ticks, info, running=False)


def process_alive(host: str | None, pid: int | None, started_at: datetime) -> bool | None:
    """Whether the process ``pid`` that started a tick at ``started_at`` still runs: None
    when this cannot be told from here (another host, no pid). A pid now used by a process
    started after the tick (pid reuse) is not the tick's process."""
    import psutil

    if pid is None or host != socket.gethostname():
        return None
    try:
        process = psutil.Process(pid)
        created = datetime.fromtimestamp(process.create_time(), UTC)
        if process.status() == psutil.STATUS_ZOMBIE:  # killed, not yet reaped
            return False
    except psutil.AccessDenied:
        return None
    except psutil.NoSuchProcess:  # ZombieProcess is one
        return False
    return created <= started_at + timedelta(seconds=1)  # create_time is rounded


@dataclass
class Crashed:
    """A tick ``sweep`` marked crashed: which, where it ran, and why."""

    tick_id: str
    source: str
    run_id: str | None
    host: str | None
    pid: int | None
    reason: str


def sweep(info: Any = None, instance: Any = None, source: str | None = None) -> list[Crashed]:
    """Mark ``crashed`` every tick (of ``source``, or all) still ``running`` whose process is
    gone (this host), whose Dagster run has ended (``instance`` given), or that started
    more than ``STALE_AFTER`` ago on a process that cannot be looked at; a Dagster run of
    such a tick still marked started is reported failed on ``instance``. Called at the
    start of each tick. Returns the ticks marked; best effort (a failure is logged, the
    list is then empty)."""
    marked: list[Crashed] = []
    try:
        with warehouse.connect(info) as conn:
            ensure_table(conn)
            rows = conn.execute(
                """select tick_id, source, run_id, host, pid, started_at, now() - started_at
                from ops.pipeline_metrics
                where status = 'running' and (%(source)s::text is null or source = %(source)s)
                for update skip locked""",
                {"source": source},
            ).fetchall()
            for tick_id, src, run_id, host, pid, started_at, age in rows:
                reason = crash_reason(host, pid, started_at, age, run_id, instance)
                if reason is None:
                    continue
                conn.execute(
                    """update ops.pipeline_metrics set status = 'crashed', error = %s,
                        finished_at = clock_timestamp()
                    where tick_id = %s and source = %s and status = 'running'""",
                    (reason, tick_id, src),
                )
                marked.append(Crashed(tick_id, src, run_id, host, pid, reason))
            conn.commit()
    except Exception as exc:  # noqa: BLE001 - the tick goes on whatever the sweep met
        log.warning("crashed ticks not swept: %s", exc)
        return []
    for crashed in marked:
        _fail_run(instance, crashed)
    return marked


def crash_reason(
    host: str | None,
    pid: int | None,
    started_at: datetime,
    age: timedelta,
    run_id: str | None,
    instance: Any,
) -> str | None:
    """Why a ``running`` tick is taken for crashed, or None while it may still run."""
    alive = process_alive(host, pid, started_at)
    if alive is False:
        return f"crashed: process {pid} on {host} ended without recording how the tick ended"
    run = instance.get_run_by_id(run_id) if instance is not None and run_id else None
    if run is not None and run.is_finished:
        return f"crashed: its Dagster run {run_id} ended ({run.status.value}) while it ran"
    if alive is None and age > STALE_AFTER:  # a process this host cannot look at
        return f"crashed: still running after {STALE_AFTER} (process {pid} on {host})"
    return None


def _fail_run(instance: Any, crashed: Crashed) -> None:
    """Report the crashed tick's Dagster run failed when the instance still has it started:
    a process killed in an in-process run leaves it ``STARTED`` for ever."""
    if instance is None or not crashed.run_id:
        return
    try:
        run = instance.get_run_by_id(crashed.run_id)
        if run is not None and not run.is_finished:
            fail_run(instance, run, f"{crashed.source}: {crashed.reason}")
    except Exception as exc:  # noqa: BLE001
        log.warning("run %s not marked failed: %s", crashed.run_id, exc)


HOST_TAG, PID_TAG = "snapmart/host", "snapmart/pid"
"""Run tags of a run a `snapmart` command executes in its own process (orchestration/runs.py):
where it runs, so that a later command can tell it was killed."""


def fail_run(instance: Any, run: Any, message: str) -> None:
    """Report ``run`` failed with ``message`` and free the pool slots its steps held: with
    no daemon to free them, a killed run's slots (``ingest_<source>``, the dbt pools)
    would keep every later run of those steps waiting."""
    instance.report_run_failed(run, message=message)
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def sweep_runs(instance: Any) -> list[str]:
    """Report failed every run of a `snapmart` command on this host still marked started
    whose process is gone (killed: nothing recorded its end), freeing its pool slots; the
    run ids. Best effort (a failure is logged, the list is then what was done)."""
    from dagster import DagsterRunStatus, RunsFilter

    failed: list[str] = []
    try:
        records = instance.get_run_records(
            filters=RunsFilter(
                statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING],
                tags={HOST_TAG: socket.gethostname()},
            )
        )
        for record in records:
            run = record.dagster_run
            pid = int(run.tags.get(PID_TAG, 0)) or None
            started = datetime.fromtimestamp(
                record.start_time or record.create_timestamp.timestamp(), UTC
            )
            if process_alive(run.tags.get(HOST_TAG), pid, started) is False:
                fail_run(instance, run, f"crashed: process {pid} ended while the run was going")
                failed.append(run.run_id)
    except Exception as exc:  # noqa: BLE001 - the command goes on whatever the sweep met
        log.warning("crashed runs not swept: %s", exc)
    return failed
