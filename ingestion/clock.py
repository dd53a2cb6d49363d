"""The tick's clock: the one "now" every rule compares with.

Past events, days to an event, future-timestamp checks, a backfill's "today" and the
age of a scanner row are all decided against this clock, never against whatever the
database server or a helper thinks the time is. In Python that is :func:`now`; in SQL
(dbt models and the ``where`` of their data tests) it is the instant :func:`publish`
stored in ``ops.tick_clock`` just before dbt runs, read through the ``tick_now()``
macro. So a test (or a simulation) that moves Python's clock — with ``time-machine``,
say — moves every rule with it, the warehouse's SQL included, and results do not
depend on the day the suite happens to run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

DDL = """
create schema if not exists ops;
create table if not exists ops.tick_clock (
    clock_id smallint primary key default 1 check (clock_id = 1),
    as_of timestamptz not null,
    published_at timestamptz not null default now()
);
"""


def now() -> datetime:
    """The tick's current instant, timezone-aware UTC (microseconds kept)."""
    return datetime.now(UTC)


def publish(conn: Any, at: datetime | None = None) -> datetime:
    """Store ``at`` (default :func:`now`) as the instant SQL compares with; returns it.

    ``conn`` is an open psycopg connection (its transaction is the caller's). One row,
    replaced each time: dbt's ``tick_now()`` reads it, falling back to the server's
    ``now()`` only where nothing was ever published (a bare ``dbt build``)."""
    at = (at or now()).astimezone(UTC)
    conn.execute(DDL)
    conn.execute(
        "insert into ops.tick_clock (clock_id, as_of) values (1, %s)"
        " on conflict (clock_id) do update set as_of = excluded.as_of, published_at = now()",
        (at,),
    )
    return at
