"""Retention for the OHLC tiers (DESIGN §4): hourly kept 30 days, daily 2 years, weekly
5 years, monthly forever, as `snapmart prune` (off by default; nothing prunes on its own).

A row goes only where the next coarser tier already holds its period: an hour only if
its day is in `fct_prices_daily`, a day only if both its week and its month are in the
weekly and monthly tiers, so every range `mart_asset_history` serves keeps its data.
Ages count back from each item's newest candle in that tier, so an item that stopped
trading keeps its last month of hours. Run it on settled data: an observation arriving
later than the retention window re-rolls its hour or day from what is left.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from orchestration import warehouse


@dataclass
class PruneResult:
    table: str
    rows: int
    bytes_estimate: int
    kept_rows: int


# (table, alias, coarser-tier condition): a row may go when its period is held above.
TIERS = {
    "hourly": (
        "marts.fct_prices_hourly",
        """exists (
            select 1 from marts.fct_prices_daily as d
            where d.market_id = t.market_id and d.item_id = t.item_id
              and d.bucket_start = date_trunc('day', t.bucket_start, 'UTC')
              and t.bucket_start >= d.bucket_start
              and t.bucket_start < d.bucket_start + interval '1 day')""",
    ),
    "daily": (
        "marts.fct_prices_daily",
        """exists (
            select 1 from marts.fct_prices_weekly as w
            where w.market_id = t.market_id and w.item_id = t.item_id
              and w.bucket_start = date_trunc('week', t.bucket_start, 'UTC')
              and t.bucket_start >= w.bucket_start
              and t.bucket_start < w.bucket_start + interval '1 week')
        and exists (
            select 1 from marts.fct_prices_monthly as m
            where m.market_id = t.market_id and m.item_id = t.item_id
              and m.bucket_start = date_trunc('month', t.bucket_start, 'UTC')
              and t.bucket_start >= m.bucket_start
              and t.bucket_start < m.bucket_start + interval '1 month')""",
    ),
}


def _statement(table: str, held: str, count: bool) -> str:
    newest = f"""
        with newest as (
            select market_id, item_id, max(bucket_start) as newest
            from {table} group by market_id, item_id
        )"""
    old = """t.market_id = n.market_id and t.item_id = n.item_id
        and t.bucket_start < n.newest - make_interval(days => %(days)s)"""
    if count:
        return f"{newest} select count(*) from {table} as t join newest as n on {old} and {held}"
    return f"{newest} delete from {table} as t using newest as n where {old} and {held}"


def _row_bytes(conn: psycopg.Connection, table: str) -> tuple[int, int]:
    size, rows = conn.execute(
        "select pg_total_relation_size(%s::regclass), (select count(*) from " + table + ")",
        (table,),
    ).fetchone()
    return int(size), int(rows)


def prune(
    info: warehouse.ConnectionInfo | None = None,
    *,
    hourly_days: int = 30,
    daily_days: int = 730,
    dry_run: bool = False,
) -> list[PruneResult]:
    """Delete (or, with ``dry_run``, count) what the retention policy lets go; one
    transaction, as the transformer role that owns the tiers."""
    results = []
    with warehouse.connect(info) as conn:
        conn.execute("set role snapmart_transformer")
        for tier, days in (("hourly", hourly_days), ("daily", daily_days)):
            table, held = TIERS[tier]
            size, rows = _row_bytes(conn, table)
            if dry_run:
                n = conn.execute(_statement(table, held, True), {"days": days}).fetchone()[0]
            else:
                n = conn.execute(_statement(table, held, False), {"days": days}).rowcount
            per_row = size // rows if rows else 0
            results.append(PruneResult(table, int(n), int(n) * per_row, rows - int(n)))
        if dry_run:
            conn.rollback()
    return results
