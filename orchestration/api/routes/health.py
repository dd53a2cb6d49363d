"""``GET /v1/health``: each source's latest hour with a tick in
``marts.mart_source_health``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from orchestration.api.db import Marts, marts_of
from orchestration.api.respond import newest, respond
from orchestration.api.routes import FormatParam

router = APIRouter(tags=["health"])

# Health views are computed when queried (a tick starting changes them): a short max-age.
HEALTH_MAX_AGE = 60

COLUMNS = (
    "source",
    "hour_start",
    "health",
    "freshness",
    "ticks",
    "ok_ticks",
    "failed_ticks",
    "crashed_ticks",
    "running_ticks",
    "last_tick_at",
    "last_ok_at",
    "last_failed_at",
    "last_crashed_at",
    "last_new_rows_at",
    "data_complete",
    "open_gaps",
)

# mart_source_health is source × UTC hour, and also holds hours only the data knows
# ("no ticks": OSRS buckets with no tick in that hour): the latest hour *with a tick* is
# the source's current state, its open gaps those overlapping that hour.
SQL = """
select distinct on (source)
    source, hour_start, health, freshness, ticks, ok_ticks, failed_ticks, crashed_ticks,
    running_ticks,
    greatest(last_ok_at, last_failed_at, last_crashed_at) as last_tick_at,
    last_ok_at, last_failed_at, last_crashed_at, last_new_rows_at, data_complete, open_gaps
from marts.mart_source_health
where ticks > 0
order by source, hour_start desc
"""


@router.get("/health", summary="Each source's last tick, health, freshness and open gaps")
def health(
    request: Request,
    marts: Annotated[Marts, Depends(marts_of)],
    fmt: FormatParam = "json",
) -> Response:
    """One row per source: its latest UTC hour with a tick (``hour_start``), the hour's
    ``health`` (ok, degraded, down, running) and ``freshness`` (fresh: a tick loaded new
    rows; stale: none did), tick counts, ``last_tick_at`` (the newest finished-or-failed
    tick's start), ``last_new_rows_at``, ``data_complete`` (OSRS prices: all 12 five-minute
    buckets of the hour), and ``open_gaps`` (the source's open gaps overlapping that hour:
    data no longer served that nothing landed). Times UTC. ``Cache-Control: max-age=60``."""
    rows = marts.fetch(SQL)
    return respond(
        request,
        rows,
        columns=COLUMNS,
        fmt=fmt,
        as_of=newest(rows, "last_tick_at", "last_new_rows_at"),
        max_age=HEALTH_MAX_AGE,
    )
