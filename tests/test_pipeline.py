"""End to end on a real PostgreSQL: `snapmart refresh` (replay and live), dbt marts,
incremental == full refresh, and the roles' privileges."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from ingestion.simulator.server import SimulatorServer
from ingestion.simulator.writer import write_osrs_prices
from orchestration import transform, warehouse
from orchestration.cli import app
from tests.conftest import SIM_END, query, scalar

runner = CliRunner()

TABLES = [
    "raw_osrs_prices.prices_5m",
    "raw_osrs_prices.latest_prices",
    "marts.fct_price_observations",
    "marts.fct_prices_hourly",
    "marts.fct_prices_daily",
    "marts.mart_item_trends",
    "marts.mart_flips",
]


def counts(db) -> dict[str, int]:
    return {t: scalar(db, f"select count(*) from {t}") for t in TABLES}


@pytest.fixture(scope="module")
def replayed(db, landing):
    write_osrs_prices(8, seed=5, n_items=30, end=SIM_END - timedelta(hours=2), root=landing)
    result = runner.invoke(app, ["refresh", "--replay"])
    assert result.exit_code == 0, result.output
    return result


def test_refresh_replay_builds_marts(db, replayed) -> None:
    c = counts(db)
    assert all(n > 0 for n in c.values()), c
    assert "Refresh done." in replayed.output
    # every mart row is an item of the simulated market
    assert scalar(db, "select count(*) from marts.mart_item_trends") == 30
    assert (
        scalar(db, "select count(*) from marts.mart_item_trends where change_7d_pct is not null")
        > 0
    )


def test_refresh_replay_twice_adds_no_rows(db, replayed) -> None:
    before = counts(db)
    result = runner.invoke(app, ["refresh", "--replay"])
    assert result.exit_code == 0, result.output
    assert counts(db) == before


def test_incremental_ticks_equal_a_full_rebuild(db, replayed, landing) -> None:
    # Two more hours of history arrive: the tick must only add, and agree with a rebuild.
    write_osrs_prices(2 / 24, seed=5, n_items=30, end=SIM_END, root=landing)
    result = runner.invoke(app, ["refresh", "--replay"])
    assert result.exit_code == 0, result.output
    ohlc = "open, high, low, close, avg_price, vwap, volume, observations"
    snapshot_sql = {
        name: f"select market_id, item_id, bucket_start, {ohlc} from marts.{name} order by 1, 2, 3"
        for name in ("fct_prices_hourly", "fct_prices_daily")
    }
    snapshot_sql["fct_price_observations"] = (
        "select market_id, item_id, resolution, observed_at, price, volume"
        " from marts.fct_price_observations order by 1, 2, 3, 4"
    )
    incremental = {k: query(db, q) for k, q in snapshot_sql.items()}
    rebuilt = transform.run_dbt("build", full_refresh=True)
    assert rebuilt.success, rebuilt.failed()
    for name, q in snapshot_sql.items():
        assert query(db, q) == incremental[name], name
    newest = scalar(db, "select max(bucket_start) from marts.fct_prices_hourly")
    assert newest == SIM_END - timedelta(hours=1)


def test_flips_follow_the_formula_on_real_data(db, replayed) -> None:
    rows = query(
        db,
        """
        select f.sell_price, f.buy_price, f.tax, f.margin, f.roi_pct, f.max_profit, f.buy_limit,
               f.source_item_id
        from marts.mart_flips as f
        """,
    )
    assert rows
    assert any(r[7] == "13190" for r in rows)  # the exempt bond is among them
    for sell, buy, tax, margin, roi, max_profit, limit, item in rows:
        exempt = item == "13190" or sell < 50
        expected_tax = 0 if exempt else min(sell * 2 // 100, 5_000_000)
        assert tax == expected_tax, (item, sell, tax)
        assert margin == sell - tax - buy
        assert roi == round(100 * margin / buy, 4)
        assert max_profit == (margin * limit if limit is not None else None)


def test_analyst_reads_marts_but_not_raw(db, replayed) -> None:
    with __import__("orchestration.warehouse", fromlist=["connect"]).connect(db) as conn:
        conn.execute("set role snapmart_analyst")
        assert conn.execute("select count(*) from marts.mart_flips").fetchone()[0] > 0
        with pytest.raises(Exception, match="permission denied"):
            conn.execute("select count(*) from raw_osrs_prices.prices_5m")
        conn.rollback()
        conn.execute("set role snapmart_analyst")
        with pytest.raises(Exception, match="permission denied"):
            conn.execute("select count(*) from staging.stg_osrs_prices__prices_5m")


def test_roles_exist(db) -> None:
    roles = {
        r[0] for r in query(db, r"select rolname from pg_roles where rolname like 'snapmart\_%%'")
    }
    assert roles == {
        "snapmart_loader",
        "snapmart_transformer",
        "snapmart_analyst",
        "snapmart_profile_reader",  # no login: what `snapmart api` reads `profiles` as
    }


def test_live_refresh_against_simulator_survives_429_and_503(
    db, replayed, landing, monkeypatch
) -> None:
    with SimulatorServer(
        n_items=30, seed=5, faults=[(429, {"Retry-After": "1"}), (503, {})]
    ) as sim:
        monkeypatch.setenv("SOURCES__OSRS_PRICES__BASE_URL", sim.osrs_base_url)
        monkeypatch.setenv("SOURCES__OSRS_PRICES__REQUESTS_PER_SECOND", "100")
        monkeypatch.setenv("SOURCES__OSRS_PRICES__BACKOFF_FACTOR", "0.1")
        result = runner.invoke(app, ["refresh", "--source", "osrs_prices"])
        served = list(sim.requests)
    assert result.exit_code == 0, result.output
    assert served[0] == served[1] == served[2]  # the 429, the 503, then success
    live_files = [p for p in (landing / "osrs_prices").rglob("*.json") if p.stat().st_mtime > 0]
    assert live_files
    # the newest live bucket reached the marts
    newest_raw = scalar(db, "select max(bucket_at) from raw_osrs_prices.prices_5m")
    newest_fct = scalar(
        db, "select max(observed_at) from marts.fct_price_observations where resolution = '5m'"
    )
    assert newest_raw == newest_fct and newest_raw > SIM_END


def test_unknown_source_is_one_clear_sentence(db) -> None:
    result = runner.invoke(app, ["ingest", "--source", "nope"])
    assert result.exit_code == 2
    assert "unknown source(s) nope; known sources: osrs_prices, wow_auctions" in result.output


def test_bad_database_url_is_one_clear_sentence(monkeypatch) -> None:
    monkeypatch.setenv("SNAPMART_DATABASE_URL", "postgresql://nobody:x@127.0.0.1:1/none")
    result = runner.invoke(app, ["db", "start"])
    assert result.exit_code == 2
    assert "cannot reach PostgreSQL" in result.output
    assert "x@" not in result.output  # the password never appears
    assert os.environ["SNAPMART_DATABASE_URL"].endswith("/none")


def test_each_layer_is_written_by_its_role(db, replayed) -> None:
    owners = dict(
        query(
            db,
            """
            select schemaname, string_agg(distinct tableowner, ',')
            from pg_tables
            where schemaname in ('raw_osrs_prices', 'marts', 'reference')
            group by schemaname
            """,
        )
    )
    assert owners == {
        "raw_osrs_prices": "snapmart_loader",
        "marts": "snapmart_transformer",
        "reference": "snapmart_transformer",
    }
    views = {
        r[0]
        for r in query(db, "select distinct viewowner from pg_views where schemaname = 'staging'")
    }
    assert views == {"snapmart_transformer"}
    from orchestration import warehouse

    with warehouse.connect(db) as conn:
        conn.execute("set role snapmart_loader")
        with pytest.raises(Exception, match="permission denied"):
            conn.execute("delete from marts.mart_flips")


def test_a_source_that_starts_late_loads_into_its_empty_tables(db, replayed, landing) -> None:
    # Until now wow_auctions had no landing files: its raw tables exist, empty, so the
    # dbt staging views compile; the first snapshots then load into those same tables.
    # They are 45 days older than the OSRS buckets (a replayed archive): a market's
    # trend windows end at its own newest hour, not at the newest hour of any market.
    from ingestion.simulator.writer import write_wow_auctions

    assert scalar(db, "select count(*) from raw_wow_auctions.commodity_auctions") == 0
    write_wow_auctions(2 / 24, seed=5, end=SIM_END - timedelta(days=45), root=landing)
    result = runner.invoke(app, ["refresh", "--replay"])
    assert result.exit_code == 0, result.output
    assert scalar(db, "select count(*) from raw_wow_auctions.commodity_auctions") > 0
    assert scalar(db, "select count(*) from marts.dim_markets where market_id like 'wow-%%'") == 3
    assert (
        scalar(
            db,
            "select count(*) from marts.mart_item_trends where market_id = 'wow-us-commodities'"
            " and market_value is not null",
        )
        > 0
    )
    assert (
        scalar(
            db,
            "select count(*) from marts.mart_seasonality where market_id = 'wow-us-commodities'",
        )
        > 0
    )


def test_a_tick_tests_what_it_loaded_a_full_run_tests_everything(db, replayed) -> None:
    """The price fact's data tests in a tick see the rows loaded since the tick started
    (and older rows at those times, where a duplicate of them would be); without a tick
    they see every row (macros/test_window.sql)."""
    fact = "marts.fct_price_observations"
    key = "market_id, item_id, resolution, observed_at"
    grain = f"unique_combination_fct_price_observations_{key.replace(', ', '__')}"

    def failing(since: float | None) -> set[str]:
        result = transform.run_dbt(
            "test", "fct_price_observations", unit_tests=False, tests_since_load=since
        )
        assert result.error is None, result.error
        return {n.name for n in result.failed()}

    def duplicate(order: str, load_id: str) -> None:
        with warehouse.connect(db, autocommit=True) as conn:
            conn.execute(
                f"insert into {fact} select * from {fact} order by observed_at {order} limit 1"
            )
            conn.execute(
                f"update {fact} set load_id = {load_id} where ctid = (select max(ctid) from "
                f"{fact} where ({key}) = (select {key} from {fact} order by observed_at "
                f"{order} limit 1))"
            )

    since = time.time()
    try:
        duplicate("asc", "load_id")  # an old row twice: no tick since has touched it
        assert failing(since) == set()
        assert grain in failing(None)
        duplicate("desc", str(since + 1))  # a newest row again, as if loaded by this tick
        assert grain in failing(since)
    finally:
        with warehouse.connect(db, autocommit=True) as conn:
            conn.execute(
                f"delete from {fact} as a using {fact} as b "
                f"where ({', '.join('a.' + c for c in key.split(', '))}) "
                f"= ({', '.join('b.' + c for c in key.split(', '))}) and a.ctid > b.ctid"
            )
    assert failing(None) == set()
