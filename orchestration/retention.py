"""Retention for the OHLC tiers (docs/formulas.md#retention): hourly kept 30 days, daily
2 years, weekly and monthly kept, as `snapmart prune` (off by default; nothing prunes on
its own).

A row goes only where the next coarser tier already holds its period: an hour only if
its day is in `fct_prices_daily`, a day only if both its week and its month are in the
weekly and monthly tiers, so every range `mart_asset_history` serves keeps its data.
Ages count back from each item's newest candle in that tier, so an item that stopped
trading keeps its last month of hours. Run it on settled data: an observation arriving
later than the retention window re-rolls its hour or day from what is left.

Raw ticket listings (``raw_vividseats.listings``, one row per listing per snapshot, about
100 bytes each) can be kept for a window only (``raw_listings_days``): their monthly
partitions are dropped whole once the month ended that many days before the newest
snapshot: instant, no VACUUM. The tickets marts keep their history (they never re-read
old snapshots) and the landing archive keeps every file, so a replay restores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from orchestration import warehouse


@dataclass
class PruneResult:
    """What pruning did (or would do) to one table: rows pruned, bytes freed (estimated from
    the average row size for the candle tiers), and rows kept."""

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
    raw_listings_days: int = 0,
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
        if raw_listings_days:
            conn.execute("reset role")
            results.append(_prune_raw_listings(conn, raw_listings_days, dry_run))
        if dry_run:
            conn.rollback()
    return results


def _prune_raw_listings(conn: psycopg.Connection, days: int, dry_run: bool) -> PruneResult:
    """Drop the monthly partitions of raw ticket listings that ended ``days`` before the
    newest snapshot (as the loader role, which owns them)."""
    from ingestion.loader import next_month

    table = "raw_vividseats.listings"
    if conn.execute("select to_regclass(%s)", (table,)).fetchone()[0] is None:
        return PruneResult(table, 0, 0, 0)
    conn.execute(f"set role {warehouse.LOADER_ROLE}")
    newest = conn.execute(f"select max(captured_at) from {table}").fetchone()[0]
    parts = conn.execute(
        """
        select c.relname, pg_total_relation_size(c.oid), greatest(c.reltuples, 0)::bigint
        from pg_inherits as i join pg_class as c on c.oid = i.inhrelid
        where i.inhparent = %s::regclass
        """,
        (table,),
    ).fetchall()
    rows = freed = kept = 0
    for name, size, tuples in parts:
        try:  # partitions are named listings_pYYYYMM by the loader
            month = datetime.strptime(name.rsplit("_p", 1)[1], "%Y%m").replace(tzinfo=UTC)
        except (IndexError, ValueError):
            kept += int(tuples)
            continue
        if newest is not None and next_month(month) <= newest - timedelta(days=days):
            rows += int(tuples)
            freed += int(size)
            if not dry_run:
                conn.execute(f'drop table raw_vividseats."{name}"')
        else:
            kept += int(tuples)
    conn.execute("reset role")
    return PruneResult(table + " (monthly partitions)", rows, freed, kept)
