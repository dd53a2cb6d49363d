"""What every tick did, per source: ``ops.pipeline_metrics``, written by the loads.

One row per source × tick (a `snapmart refresh`/`ingest`, or a Dagster run of the
source's raw asset): when, how it ended, requests, retries, HTTP errors by status,
rate-limit waits, files and rows fetched / loaded / rejected, and seconds per stage.
``mart_pipeline_runs`` and ``mart_source_health`` are built from it. Recording is best
effort: a metrics failure is logged, never fails the tick it describes.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    finished_at timestamptz not null,
    status text not null check (status in ('ok', 'failed')),
    error text,
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


def ensure_table(conn: Any) -> None:
    """Create ``ops.pipeline_metrics`` and ``ops.fetch_gaps`` when missing, and let the
    transformer read ``ops``."""
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


def record(ticks: list[SourceTick], info: Any = None) -> None:
    """Insert the ticks into ``ops.pipeline_metrics`` (finished now; a (tick, source) already
    there is kept). Best effort: a failure is logged as a warning, never raised."""
    if not ticks:
        return
    try:
        with warehouse.connect(info) as conn:
            ensure_table(conn)
            for t in ticks:
                conn.execute(
                    """insert into ops.pipeline_metrics (tick_id, source, trigger, run_id,
                        started_at, finished_at, status, error, requests, retries, http_errors,
                        rate_limit_wait_seconds, files_fetched, files_loaded, rows_loaded,
                        rows_rejected, rows_by_table, fetch_seconds, load_seconds,
                        checks_seconds, transform_seconds)
                    values (%s, %s, %s, %s, %s, now(), %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                        %s, %s, %s, %s, %s)
                    on conflict (tick_id, source) do nothing""",
                    (
                        t.tick_id, t.source, t.trigger, t.run_id, t.started_at, t.status,
                        t.error, t.requests, t.retries,
                        json.dumps({str(k): v for k, v in t.http_errors.items()}),
                        t.rate_limit_wait_seconds, t.files_fetched, t.files_loaded,
                        t.rows_loaded, t.rows_rejected, json.dumps(t.rows_by_table),
                        t.seconds.get("fetch"), t.seconds.get("load"), t.seconds.get("checks"),
                        t.seconds.get("transform"),
                    ),
                )  # fmt: skip
            conn.commit()
    except Exception as exc:  # the tick's own outcome matters more than its metrics
        log.warning("pipeline metrics not recorded: %s", exc)
