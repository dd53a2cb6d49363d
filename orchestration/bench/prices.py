"""The prices suite of ``snapmart bench``: build, tick, analyst queries and storage at
two sizes of history (orchestration/bench/README.md, issue 9).

The history is an OSRS-shaped market written through the simulator into the landing
zone and loaded through the real load path: ``price_items`` items with every 5m and 1h
bucket over ``price_days`` days (≈ 10M observations at full scale, a year, so "an
item's 1-year daily history" has a year to show), plus the tracked players' daily
hiscore snapshots for "a player's gains". It is built in two steps: first the newest tenth of
the days (≈ 1M observations) — full build, then one tick — then the older nine tenths
— full build again (``--full-refresh``), then the same tick again. A tick is one new
10-minute batch: two 5m buckets of a wide market (``tick_items`` items, the history's
among them, ≈ 50k observations), loaded and built as ``snapmart tick`` would
(``@source:osrs_prices``). Only the first ``price_items`` items follow the simulator's
full price model; the rest of the wide market's buckets are drawn from a simpler
vectorised one (the full model costs ≈ 3 ms per item per bucket to simulate, which
would make the batch itself the benchmark).

The analyst queries run on the marts as ``snapmart_analyst`` and, as the hand-built
backends did in SQL functions, on the fly over the raw observations, for the same
question; each query's answers are compared (the detail says whether they agree).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from orchestration import warehouse
from orchestration.bench.measure import Measure, schema_bytes, time_it

T0 = datetime(2026, 11, 22, tzinfo=UTC)
STEP = 300
QUERY_RUNS = 50
RAW_QUERY_BUDGET_S = 45.0  # per raw query: on-the-fly answers take seconds each at 10M


def _wide_bucket(ts: int, n_items: int, long_items: int, seed: int = 42) -> dict:
    """A 5m bucket of ``n_items`` items: the first ``long_items`` from the simulator's
    full model (their history continues), the rest from a vectorised random draw
    around each item's base price."""
    from ingestion.simulator.osrs_ge import GEMarket

    payload = GEMarket(seed=seed, n_items=long_items).bucket("5m", ts)
    wide = GEMarket(seed=seed, n_items=n_items).items[long_items:]
    rng = np.random.default_rng([seed, 99, ts])
    base = np.array([it.base_price for it in wide])
    spread = np.array([it.spread for it in wide])
    liquidity = np.array([it.liquidity for it in wide])
    mid = base * np.exp(rng.normal(0, 0.01, len(wide)))
    hv, lv = rng.poisson(liquidity), rng.poisson(liquidity * 0.9)
    for it, m, s, h, low in zip(wide, mid, spread, hv, lv, strict=True):
        if h == 0 and low == 0:
            continue
        payload["data"][str(it.item_id)] = {
            "avgHighPrice": round(m * (1 + s)) if h else None,
            "highPriceVolume": int(h),
            "avgLowPrice": round(m * (1 - s)) if low else None,
            "lowPriceVolume": int(low),
        }
    return payload


def _write_tick(first_ts: int, params: dict[str, int]) -> int:
    """Two 5m buckets (a 10-minute batch) of the wide market; returns observations."""
    from ingestion.landing import write_atomic

    n = 0
    for ts in (first_ts, first_ts + STEP):
        payload = _wide_bucket(ts, params["tick_items"], params["price_items"])
        n += len(payload["data"])
        body = json.dumps(payload).encode()
        write_atomic("osrs_prices", "5m", datetime.fromtimestamp(ts, UTC), body, durable=False)
    return n


def write_mapping(params: dict[str, int], at: datetime) -> None:
    """Land the OSRS item mapping of the ``tick_items``-item simulated market at ``at``."""
    from ingestion.landing import write_atomic
    from ingestion.simulator.osrs_ge import GEMarket

    body = json.dumps(GEMarket(seed=42, n_items=params["tick_items"]).mapping()).encode()
    write_atomic("osrs_prices", "mapping", at, body, durable=False)


def load_sources(sources: tuple[str, ...]) -> tuple[float, int]:
    """Load what is pending of each source, landing → raw: (seconds, rows loaded)."""
    from orchestration import ingest

    seconds, rows = 0.0, 0
    for source in sources:
        s, summary = time_it(lambda source=source: ingest.load_source(source))
        seconds += s
        rows += summary.rows_loaded
    return seconds, rows


def run_build(
    select: str | None = None, full_refresh: bool = False, since: float | None = None
) -> tuple[float, Any]:
    """A full build runs everything; a tick (a selection) skips unit tests and tests the
    facts' rows loaded ``since`` it started, as ``snapmart refresh --source`` and the
    Dagster jobs do: (seconds, the BuildResult)."""
    from orchestration import transform

    seconds, result = time_it(
        lambda: transform.run_dbt(
            "build", select, full_refresh, unit_tests=select is None, tests_since_load=since
        )
    )
    if not result.success:
        failed = result.error or [n.name for n in result.failed()]
        raise RuntimeError(f"dbt build failed in the bench: {failed}")
    return seconds, result


def _tick(at_ts: int, params: dict[str, int], log: Callable[[str], None], label: str) -> dict:
    observations = _write_tick(at_ts, params)
    started = time.time()
    load_s, rows = load_sources(("osrs_prices",))
    build_s, built = run_build("@source:osrs_prices", since=started)
    log(
        f"prices: tick at {label} history ({observations:,} observations): load {load_s:.1f} s, "
        f"build {build_s:.1f} s"
    )
    return {
        "observations": observations,
        "load_seconds": round(load_s, 2),
        "build_seconds": round(build_s, 2),
        "seconds": round(load_s + build_s, 2),
        "slowest_nodes": _slowest_nodes(built.nodes),
    }


def _slowest_nodes(nodes: list[Any], n: int = 10) -> dict[str, float]:
    """The invocation's slowest nodes (its NodeResults): what bounds a tick."""
    ranked = sorted(nodes, key=lambda node: -node.seconds)
    return {f"{node.resource_type}.{node.name}": round(node.seconds, 2) for node in ranked[:n]}


def _size(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n:,}"


def _count(info: warehouse.ConnectionInfo, sql: str) -> int:
    with warehouse.connect(info) as conn:
        return int(conn.execute(sql).fetchone()[0])


def bench_prices(
    info: warehouse.ConnectionInfo, params: dict[str, int], log: Callable[[str], None]
) -> list[Measure]:
    """The prices suite (the module's docstring): writes and loads the history in two steps,
    times a full build and a tick at each size, then the analyst queries and storage at
    the large one; the measures: builds in minutes, ticks in seconds, queries in ms,
    storage in bytes per observation."""
    from ingestion.simulator.writer import write_osrs_hiscores, write_osrs_prices

    items, days = params["price_items"], params["price_days"]
    recent_days = days / 10
    never = timedelta(days=100_000)  # no /latest snapshots: the history is buckets
    observations = "select count(*) from marts.fct_price_observations"

    # -- 1. the newest tenth of the history, and the players
    write_mapping(params, T0 - timedelta(minutes=1))
    w_s, _ = time_it(
        lambda: write_osrs_prices(recent_days, n_items=items, end=T0, latest_every=never)
    )
    # the simulator's roster (config/tracked_players.csv), a fetch a day
    write_osrs_hiscores(params["player_days"], end=T0, every=timedelta(days=1))
    load_s, rows = load_sources(("osrs_prices", "osrs_hiscores"))
    log(
        f"prices: wrote {recent_days:g} days in {w_s:.0f} s, loaded {rows:,} rows in {load_s:.1f} s"
    )  # noqa: E501
    build_small, _ = run_build()
    n_small = _count(info, observations)
    log(f"prices: full build at {n_small:,} observations in {build_small:.1f} s")
    tick_small = _tick(int(T0.timestamp()), params, log, f"{n_small:,}")

    # -- 2. the older nine tenths
    older_end = T0 - timedelta(days=recent_days)
    w_s, _ = time_it(
        lambda: write_osrs_prices(
            days - recent_days, n_items=items, end=older_end, latest_every=never
        )
    )
    load_old_s, rows_old = load_sources(("osrs_prices",))
    log(f"prices: wrote the older history in {w_s:.0f} s, loaded {rows_old:,} rows in "
        f"{load_old_s:.1f} s ({rows_old / load_old_s:,.0f} rows/s)")  # fmt: skip
    with warehouse.connect(info, autocommit=True) as conn:
        conn.execute("analyze")
    build_large, _ = run_build(full_refresh=True)
    n_large = _count(info, observations)
    log(f"prices: full build at {n_large:,} observations in {build_large:.1f} s")
    tick_large = _tick(int(T0.timestamp()) + 2 * STEP, params, log, f"{n_large:,}")

    # -- 3. analyst queries and storage at the large history
    queries = run_queries(info, log)
    storage = _storage(info, n_large)
    detail = {
        "price_items": items,
        "days": days,
        "tick_items": params["tick_items"],
        "observations_small": n_small,
        "observations_large": n_large,
        "history_load_rows_per_s": round(rows_old / load_old_s),
        "build_small_seconds": round(build_small, 1),
        "build_large_seconds": round(build_large, 1),
        "tick_small": tick_small,
        "tick_large": tick_large,
    }
    out = [
        Measure("prices", f"full dbt build at {_size(n_small)} observations",
                round(build_small / 60, 2), "min", detail=detail),
        Measure("prices", f"full dbt build at {_size(n_large)} observations",
                round(build_large / 60, 2), "min", "target: 10 min", 10.0, detail=detail),
        Measure("prices", f"tick ({tick_large['observations']:,} new observations) at "
                f"{_size(n_large)} vs {_size(n_small)} history",
                tick_large["seconds"], "s", "the same tick at the small history",
                tick_small["seconds"], detail=detail),
    ]  # fmt: skip
    out += queries
    out += storage
    return out


# --------------------------------------------------------------------------- queries

PRICE = """round(case when b.avg_high_price is not null and b.avg_low_price is not null
    then (b.avg_high_price + b.avg_low_price) / 2.0
    else coalesce(b.avg_high_price, b.avg_low_price) end, 4)"""

# What the on-the-fly answers start from: every observation and each item's newest.
RAW_LATEST = f"""
        with obs as (
            select 'osrs_prices:' || b.item_id as item_id, b.bucket_at, {PRICE} as price
            from raw_osrs_prices.prices_5m as b
            where b.avg_high_price is not null or b.avg_low_price is not null
        ),
        latest as (
            select distinct on (item_id) item_id, bucket_at as as_of, price
            from obs order by item_id, bucket_at desc
        ),
"""

# Each question: (name, marts SQL as the analyst, raw SQL computing the same on the fly,
# how to compare the answers). Parameters: %(item)s, %(player)s.
QUERIES: list[tuple[str, str, str]] = [
    (
        "top movers of a market (1d)",
        """
        select item_id, round(change_pct, 2) from marts.mart_movers
        where market_id = 'osrs-ge' and "window" = '1d' and rank_abs <= 20
        order by rank_abs, item_id
        """,
        f"""
{RAW_LATEST}        day_ago as (  -- a join and one sort: a lateral lookup per item rescans obs
            select distinct on (o.item_id) o.item_id, o.price
            from obs as o join latest as l using (item_id)
            where o.bucket_at <= l.as_of - interval '1 day'
            order by o.item_id, o.bucket_at desc
        ),
        changes as (
            select l.item_id,
                   100.0 * (l.price - p.price) / nullif(p.price, 0) as change_pct
            from latest as l join day_ago as p using (item_id)
        )
        select item_id, round(change_pct, 2) from (
            select *, rank() over (order by abs(change_pct) desc) as rank_abs from changes
            where change_pct is not null
        ) as r
        where rank_abs <= 20 order by rank_abs, item_id
        """,
    ),
    (
        "an item's 1-year daily history",
        """
        select bucket_start, round(open, 2), round(high, 2), round(low, 2), round(close, 2)
        from marts.fct_prices_daily
        where market_id = 'osrs-ge' and item_id = %(item)s
          and bucket_start >= %(since)s
        order by bucket_start
        """,
        f"""
        with obs as (
            select b.bucket_at, {PRICE} as price,
                   greatest(b.avg_high_price, b.avg_low_price, {PRICE}) as high,
                   least(b.avg_high_price, b.avg_low_price, {PRICE}) as low
            from raw_osrs_prices.prices_5m as b
            where 'osrs_prices:' || b.item_id = %(item)s
              and (b.avg_high_price is not null or b.avg_low_price is not null)
              and b.bucket_at >= %(since)s
        )
        select date_trunc('day', bucket_at at time zone 'UTC') at time zone 'UTC',
               round((array_agg(price order by bucket_at))[1], 2), round(max(high), 2),
               round(min(low), 2), round((array_agg(price order by bucket_at desc))[1], 2)
        from obs group by 1 order by 1
        """,
    ),
    (
        "the scanner filtered by profit and margin",
        """
        select item_id, round(buy_expected_profit, 0) from marts.mart_market_scanner
        where market_id = 'osrs-ge' and buy_expected_profit > 10 and buy_margin_pct > 1
        order by buy_expected_profit desc, item_id limit 50
        """,
        f"""
{RAW_LATEST}        closes as (
            select distinct on (o.item_id, date_trunc('day', o.bucket_at at time zone 'UTC'))
                   o.item_id, o.price as close
            from obs as o join latest as l using (item_id)
            where o.bucket_at >= date_trunc('day', l.as_of at time zone 'UTC') at time zone 'UTC'
                                 - interval '29 days'
            order by o.item_id, date_trunc('day', o.bucket_at at time zone 'UTC'),
                     o.bucket_at desc
        ),
        ref as (
            select l.item_id, l.price, avg(c.close) as ma_30d
            from latest as l join closes as c using (item_id) group by l.item_id, l.price
        ),
        opp as (
            select item_id, price,
                   -- the GE tax as the backends hard-coded it: 2 per cent, none under 50 gp or
                   -- on bonds, capped at 5m
                   ma_30d - case when ma_30d < 50 or item_id = 'osrs_prices:13190' then 0
                                 else least(floor(ma_30d * 0.02), 5000000) end - price as profit
            from ref
        )
        select item_id, round(profit, 0) from opp
        where profit > 10 and 100 * profit / price > 1
        order by profit desc, item_id limit 50
        """,
    ),
    (
        "a player's gains (week)",
        """
        select metric, gained from marts.mart_player_gains
        where username = %(player)s and period = 'week' and gained > 0
        order by gained desc, metric
        """,
        """
        with snaps as (
            select distinct captured_at from raw_osrs_hiscores.hiscore_metrics
            where username = %(player)s
        ),
        ends as (select max(captured_at) as end_at from snaps),
        starts as (
            select coalesce(
                (select max(captured_at) from snaps
                 where captured_at <= (select end_at from ends) - interval '7 days'),
                (select min(captured_at) from snaps)) as start_at
        )
        select e.metric, greatest(e.value - greatest(coalesce(s.value, -1), 0), 0) as gained
        from raw_osrs_hiscores.hiscore_metrics as e
        left join raw_osrs_hiscores.hiscore_metrics as s
          on s.username = e.username and s.metric_kind = e.metric_kind
         and s.metric = e.metric and s.captured_at = (select start_at from starts)
        where e.username = %(player)s and e.captured_at = (select end_at from ends)
          and e.value >= 0 and e.value - greatest(coalesce(s.value, -1), 0) > 0
        order by gained desc, e.metric
        """,
    ),
]


def latencies(conn: Any, sql: str, args: dict, runs: int, budget: float) -> tuple[list, list]:
    """Wall times (s) of up to ``runs`` executions (fewer once ``budget`` s are spent,
    at least 3), and the answer."""
    times: list[float] = []
    answer: list = []
    started = time.perf_counter()
    for _ in range(runs):
        t = time.perf_counter()
        answer = conn.execute(sql, args).fetchall()
        times.append(time.perf_counter() - t)
        if len(times) >= 3 and time.perf_counter() - started > budget:
            break
    return times, answer


def percentile(times: list[float], q: float) -> float:
    """The ``q`` quantile (0 < q ≤ 1) of ``times`` by the nearest-rank method."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def run_queries(info: warehouse.ConnectionInfo, log: Callable[[str], None]) -> list[Measure]:
    """Each of QUERIES ``QUERY_RUNS`` times on the marts as the analyst, and on the fly from
    raw as the owner (fewer runs, at least 3, once RAW_QUERY_BUDGET_S seconds are spent): a
    measure per query, its p95 in ms against the raw p95, the detail saying whether the
    answers agree."""
    with warehouse.connect(info) as conn:
        item = conn.execute(
            "select item_id from marts.fct_prices_daily where market_id = 'osrs-ge'"
            " group by item_id order by count(*) desc, item_id limit 1"
        ).fetchone()[0]
        player = conn.execute(
            "select username from marts.mart_player_gains where period = 'week'"
            " group by username order by sum(gained) desc, username limit 1"
        ).fetchone()[0]
    args = {"item": item, "player": player, "since": T0 - timedelta(days=365)}
    out = []
    analyst = psycopg_connect(info, role=warehouse.ANALYST_ROLE)
    owner = warehouse.connect(info, autocommit=True)
    try:
        for name, mart_sql, raw_sql in QUERIES:
            mart_times, mart_answer = latencies(analyst, mart_sql, args, QUERY_RUNS, 1e9)
            raw_times, raw_answer = latencies(owner, raw_sql, args, QUERY_RUNS, RAW_QUERY_BUDGET_S)
            p50, p95 = percentile(mart_times, 0.5) * 1e3, percentile(mart_times, 0.95) * 1e3
            raw50, raw95 = percentile(raw_times, 0.5) * 1e3, percentile(raw_times, 0.95) * 1e3
            detail = {
                "params": args,
                "runs": len(mart_times),
                "p50_ms": round(p50, 2),
                "p95_ms": round(p95, 2),
                "raw_runs": len(raw_times),
                "raw_p50_ms": round(raw50, 1),
                "raw_p95_ms": round(raw95, 1),
                "speedup_p50": round(raw50 / p50, 1),
                "rows": len(mart_answer),
                "raw_rows": len(raw_answer),
                "answers_agree": [tuple(r) for r in mart_answer] == [tuple(r) for r in raw_answer],
            }
            log(
                f"prices: query '{name}': p50 {p50:.1f} ms, p95 {p95:.1f} ms on the marts; "
                f"{raw50:,.0f} ms p50 on the fly from raw ({raw50 / p50:,.0f}×); answers "
                f"{'agree' if detail['answers_agree'] else 'differ'} "
                f"({len(mart_answer)} vs {len(raw_answer)} rows)"
            )
            out.append(Measure("queries", f"{name}: p95", round(p95, 2), "ms",
                               "p95 on the fly from raw", round(raw95, 1), detail))  # fmt: skip
    finally:
        analyst.close()
        owner.close()
    return out


def psycopg_connect(info: warehouse.ConnectionInfo, role: str) -> Any:
    """An autocommit connection to the bench database acting as ``role``."""
    import psycopg

    return psycopg.connect(info.url(role=role), autocommit=True)


def _storage(info: warehouse.ConnectionInfo, observations: int) -> list[Measure]:
    with warehouse.connect(info) as conn:
        sizes = schema_bytes(conn, ("raw_osrs_prices", "marts", "intermediate"))
        fact = conn.execute(
            "select pg_total_relation_size('marts.fct_price_observations')"
        ).fetchone()[0]
        raw_rows = conn.execute(
            "select (select count(*) from raw_osrs_prices.prices_5m)"
            " + (select count(*) from raw_osrs_prices.prices_1h)"
        ).fetchone()[0]
    raw = int(sizes.get("raw_osrs_prices", 0))
    marts = int(sizes.get("marts", 0)) + int(sizes.get("intermediate", 0))
    detail = {
        "raw_bytes": raw,
        "raw_rows": raw_rows,
        "marts_bytes": marts,
        "fact_bytes": int(fact),
        "observations": observations,
    }
    return [
        Measure("storage", "raw bytes per observation (tables + indexes)",
                round(raw / raw_rows, 1), "bytes", detail=detail),
        Measure("storage", "marts bytes per observation (fact, rollups, marts)",
                round(marts / observations, 1), "bytes", detail=detail),
        Measure("storage", "of which the observation fact",
                round(int(fact) / observations, 1), "bytes", detail=detail),
    ]  # fmt: skip
