"""Backfills (issue 8): past days of OSRS prices fetched again, in one Dagster run per range.

* A three-day backfill builds the same marts, row for row, as live ticks over those days.
* An hour-long outage shows in the health marts as failed ticks, then recovery; the live
  ticks cannot reach back over it (the API taken to serve 20 minutes), and the backfill
  leaves no gap.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingestion.simulator.server import SimulatorServer
from ingestion.sources import osrs_prices
from orchestration import backfill, ingest, transform, warehouse
from orchestration.cli import app
from orchestration.cli.exit_codes import ExitCode
from tests.conftest import new_database, query

DAY1 = date(2026, 11, 17)
DAYS = 3
TICK = timedelta(hours=6)
# Marts that describe our own runs, not the market: they differ between any two histories.
RUN_MARTS = {"mart_pipeline_runs", "mart_source_health"}
# Columns that say when or by which load a row arrived, or how old it was when the mart
# was built (now() − as_of), not what the market did.
ARRIVAL_COLUMNS = {
    "load_id", "max_load_id", "min_load_id", "loaded_at", "captured_at", "hours_since_observed",
}  # fmt: skip


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at.timestamp()


@pytest.fixture()
def simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SimulatorServer, Clock]]:
    clock = Clock(datetime.combine(DAY1, datetime.min.time(), UTC))
    with SimulatorServer(n_items=6, clock=clock) as sim:
        monkeypatch.setenv("SOURCES__OSRS_PRICES__BASE_URL", sim.osrs_base_url)
        monkeypatch.setenv("SOURCES__OSRS_PRICES__MAX_ATTEMPTS", "2")
        monkeypatch.setenv("SOURCES__OSRS_PRICES__BACKOFF_FACTOR", "0.01")
        monkeypatch.setenv("SOURCES__OSRS_PRICES__REQUESTS_PER_SECOND", "0")
        yield sim, clock


@pytest.fixture()
def fresh_landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SNAPMART_LANDING_DIR", str(tmp_path / "landing"))
    return tmp_path / "landing"


def _marts(info: warehouse.ConnectionInfo) -> dict[str, list[tuple]]:
    """Every table in `marts` that holds rows, its market columns only, rows sorted."""
    tables = query(
        info,
        """select c.table_name, array_agg(c.column_name::text order by c.ordinal_position)
        from information_schema.columns as c
        join information_schema.tables as t
            on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = 'marts' and t.table_type = 'BASE TABLE'
        group by c.table_name""",
    )
    out = {}
    for table, columns in tables:
        if table in RUN_MARTS:
            continue
        kept = [c for c in columns if c not in ARRIVAL_COLUMNS]
        cols = ", ".join(f'"{c}"' for c in kept)
        rows = query(info, f'select {cols} from marts."{table}"')
        if rows:
            out[table] = sorted(rows, key=repr)
    return out


def test_a_three_day_backfill_builds_the_same_marts_as_live_ticks(
    snapmart_home, base_url_env, db, simulator, fresh_landing, tmp_path, monkeypatch
) -> None:
    sim, clock = simulator
    start = datetime.combine(DAY1, datetime.min.time(), UTC)
    # Live: a tick every 6 hours whose catch-up window reaches exactly back to the previous
    # tick, so together they fetch every bucket of the three days once, and nothing else.
    # (`latest` is a snapshot of the moment: it cannot be asked for later, so neither run
    # fetches it.)
    ticks = int(timedelta(days=DAYS) / TICK)
    for k in range(1, ticks + 1):
        clock.at = start + k * TICK + timedelta(seconds=1)
        osrs_prices.fetch(("mapping", "5m", "1h"), backfill=TICK - timedelta(minutes=5))
        ingest.load_source("osrs_prices")
        if k in (ticks // 2, ticks):  # the marts are built midway (incrementally) and at the end
            result = transform.run_dbt("build")
            assert result.success, [(n.name, n.message) for n in result.failed()]
    live = _marts(db)
    live_5m = query(db, "select count(distinct bucket_at) from raw_osrs_prices.prices_5m")[0][0]
    assert live_5m == DAYS * 288

    # Backfill: the same three days on a new warehouse and an empty landing zone, one run.
    monkeypatch.setenv("SNAPMART_LANDING_DIR", str(tmp_path / "landing_backfill"))
    clock.at = start + timedelta(days=DAYS, hours=5)  # the API has published beyond the range
    with new_database(snapmart_home, base_url_env) as other:
        end = DAY1 + timedelta(days=DAYS - 1)
        result = CliRunner().invoke(
            app, ["backfill", "--source", "osrs_prices", "--from", str(DAY1), "--to", str(end)]
        )
        assert result.exit_code == 0, result.output
        assert "succeeded" in result.output
        runs = query(
            other,
            """select trigger, status, files_fetched from ops.pipeline_metrics
            where source = 'osrs_prices'""",
        )
        # one run for the range: 288 + 24 buckets a day and the mapping
        assert runs == [("dagster-backfill", "ok", DAYS * (288 + 24) + 1)]
        rebuilt = _marts(other)
        covered = backfill.coverage(other, "osrs_prices", DAY1, end)
        assert [counts for _, counts in covered] == [{"5m": 288, "1h": 24}] * DAYS

    for key in ("fct_price_observations", "fct_prices_hourly", "fct_prices_daily",
                "mart_item_trends", "mart_market_index", "dim_items"):  # fmt: skip
        assert key in live, sorted(live)
    assert set(rebuilt) == set(live)
    for table, rows in live.items():
        assert rebuilt[table] == rows, table


def test_an_outage_shows_as_failed_ticks_then_recovery_and_the_backfill_closes_the_gap(
    db, simulator, fresh_landing, monkeypatch
) -> None:
    sim, clock = simulator
    day = DAY1 + timedelta(days=DAYS)
    midnight = datetime.combine(day, datetime.min.time(), UTC)
    outage = (midnight + timedelta(hours=1), midnight + timedelta(hours=2))
    sim.outages.append((outage[0].timestamp(), outage[1].timestamp(), 503))
    monkeypatch.setenv("SOURCES__OSRS_PRICES__CATCH_UP_MINUTES", "20")
    # an API taken to serve only its last 20 minutes: the ticks after the outage cannot
    # fetch the hour it hid (tests/test_gaps.py: they fetch all that is served)
    monkeypatch.setenv("SOURCES__OSRS_PRICES__SERVED_HISTORY_MINUTES", "20")
    runner = CliRunner()
    statuses = []
    for minutes in range(20, 181, 20):  # a tick every 20 minutes, 00:20 to 03:00
        clock.at = midnight + timedelta(minutes=minutes, seconds=1)
        result = runner.invoke(app, ["ingest", "--source", "osrs_prices"])
        down = outage[0] <= clock.at < outage[1]
        # a failed fetch exits 3 with the request that failed, in one line; never a crash
        assert result.exit_code == (ExitCode.FETCH_FAILED if down else ExitCode.OK), result.output
        failed = [x for x in result.stderr.splitlines() if x.startswith("fetch failed:")]
        assert len(failed) == down, result.stderr
        if down:
            # the mapping is fresh from 00:20: latest, 5m and 1h are each asked for and
            # each fails, the first named, the others counted
            assert failed[0].endswith(
                "/latest answered HTTP 503 after retries (and 2 more request(s))"
            ), failed
        statuses.append("failed" if down else "ok")
    assert statuses.count("failed") == 3

    built = transform.run_dbt("build", select="+mart_source_health +mart_pipeline_runs")
    assert built.success, [(n.name, n.message) for n in built.failed()]
    runs = query(
        db,
        """select status from marts.mart_pipeline_runs
        where source = 'osrs_prices' order by started_at""",
    )
    assert [r[0] for r in runs] == statuses  # ok, ok, failed ×3, then recovery
    health = query(
        db,
        """select sum(ticks), sum(ok_ticks), sum(failed_ticks), sum(http_errors_5xx) > 0
        from marts.mart_source_health where source = 'osrs_prices'""",
    )
    assert health == [(9, 6, 3, True)]

    def buckets() -> int:
        return query(
            db,
            """select count(distinct bucket_at) from raw_osrs_prices.prices_5m
            where bucket_at >= %s and bucket_at < %s""",
            (midnight, midnight + timedelta(hours=3)),
        )[0][0]

    gap = buckets()
    assert gap < 36 - 6  # the hour the ticks missed is beyond the 20 minutes served

    result = runner.invoke(
        app, ["backfill", "--source", "osrs_prices", "--from", str(day), "--to", str(day)]
    )
    assert result.exit_code == 0, result.output
    assert buckets() == 36  # 00:00 … 02:55: no gap
    newest = query(
        db,
        """select max(observed_at), count(distinct observed_at) from marts.fct_price_observations
        where source = 'osrs_prices' and resolution = '5m' and observed_at >= %s""",
        (midnight,),
    )[0]
    # the day so far, whole, in the fact too: up to the newest bucket the API had published
    assert newest == (midnight + timedelta(hours=2, minutes=55), 36)
