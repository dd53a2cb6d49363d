"""Dagster: the definitions validate, the graph is one lineage with checks, and a real
in-process run materializes raw → staging → marts and evaluates the checks."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, DefaultScheduleStatus

from ingestion.landing import write_atomic
from ingestion.simulator.writer import write_osrs_prices
from orchestration import ingest, warehouse
from orchestration.defs import run_metadata
from orchestration.defs.resources import WarehouseResource
from tests.conftest import SIM_END, clock_at, query, scalar


@pytest.fixture(scope="module")
def defs(snapmart_home):
    from orchestration.definitions import defs

    return defs


def test_definitions_validate_with_the_dagster_cli(snapmart_home: Path) -> None:
    dagster = Path(sys.executable).parent / "dagster"
    env = dict(os.environ, DAGSTER_HOME=str(snapmart_home / "dagster_home"))
    Path(env["DAGSTER_HOME"]).mkdir(exist_ok=True)
    proc = subprocess.run(
        [
            str(dagster),
            "definitions",
            "validate",
            "-w",
            str(warehouse.PROJECT_ROOT / "workspace.yaml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=warehouse.PROJECT_ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation successful" in proc.stdout + proc.stderr


def test_one_lineage_from_raw_to_marts(defs) -> None:
    graph = defs.get_repository_def().asset_graph
    raw = AssetKey(["raw_osrs_prices", "prices_5m"])
    assert graph.get(raw).is_materializable  # the dlt asset itself, not an external stub
    seen, frontier = set(), [raw]
    while frontier:
        key = frontier.pop()
        for child in graph.get(key).child_keys:
            if child not in seen:
                seen.add(child)
                frontier.append(child)
    names = {k.path[-1] for k in seen}
    for expected in (
        "stg_osrs_prices__prices_5m",
        "fct_price_observations",
        "fct_prices_hourly",
        "fct_prices_daily",
        "mart_item_trends",
        "mart_flips",
        "fct_alert_events",
        "alert_deliveries",
        "mart_alert_effectiveness",
        "profile_alert_effectiveness",
    ):
        assert expected in names


def test_checks_cover_raw_and_marts(defs) -> None:
    check_keys = set(defs.get_repository_def().asset_graph.asset_check_keys)
    by_asset = {}
    for ck in check_keys:
        by_asset.setdefault(ck.asset_key.path[-1], set()).add(ck.name)
    assert "gx_prices_5m" in by_asset["prices_5m"]
    assert any("unique_combination" in n for n in by_asset["fct_prices_hourly"])
    assert any("expression_true" in n for n in by_asset["mart_flips"])


def test_schedules_follow_design(defs) -> None:
    assert defs.resolve_schedule_def("osrs_prices_every_10_minutes").cron_schedule == "*/10 * * * *"
    hiscores = defs.resolve_schedule_def("osrs_hiscores_every_30_minutes")
    assert hiscores.cron_schedule == "*/30 * * * *"
    selected = hiscores.job.selection.resolve(defs.get_repository_def().asset_graph)
    names = {k.path[-1] for k in selected}
    assert {"hiscore_metrics", "fetch_log", "fct_hiscore_snapshots", "mart_player_gains"} <= names
    exchanges = defs.resolve_schedule_def("exchanges_every_5_minutes")
    assert exchanges.cron_schedule == "*/5 * * * *"
    graph = defs.get_repository_def().asset_graph
    names = {k.path[-1] for k in exchanges.job.selection.resolve(graph)}
    assert {"klines", "daily_bars", "mart_latest_prices", "fct_prices_daily"} <= names
    tickets = defs.resolve_schedule_def("tickets_every_15_minutes")
    assert tickets.cron_schedule == "*/15 * * * *"
    names = {k.path[-1] for k in tickets.job.selection.resolve(graph)}
    assert {"listings", "mart_event_prices_hourly", "mart_ticket_deals", "mart_movers"} <= names
    retention = defs.resolve_schedule_def("retention_daily")  # off unless an operator turns it on
    assert retention.cron_schedule == "30 3 * * *"
    assert retention.default_status == DefaultScheduleStatus.STOPPED


def test_in_process_run_materializes_and_checks(db, landing, defs, snapmart_home) -> None:
    write_osrs_prices(1, seed=9, n_items=12, end=SIM_END - timedelta(hours=1), root=landing)
    # A profile whose rule holds for every flip: the run loads it after the catalogue is
    # built and evaluates it after the marts, in the same run.
    profile = snapmart_home / "profiles" / "ops.yaml"
    profile.write_text("alerts:\n  - {id: any-flip, type: flip_margin, min_margin: -1e12}\n")
    job = defs.resolve_job_def("refresh_all")
    try:
        result = _run_all(job)
    finally:
        profile.unlink()
    assert result.success
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert {"prices_5m", "fct_price_observations", "mart_item_trends", "mart_flips"} <= materialized
    assert {"alert_rules", "fct_alert_events", "alert_deliveries"} <= materialized
    assert {"mart_alert_effectiveness", "mart_watchlist_popularity"} <= materialized
    assert {"profile_alert_effectiveness", "profile_bank_craft_opportunities"} <= materialized
    # What the UI shows about each materialization (orchestration/defs/run_metadata.py)
    meta = {e.asset_key.path[-1]: e.materialization.metadata
            for e in result.get_asset_materialization_events()}  # fmt: skip
    assert meta["prices_5m"]["rows_loaded_in_run"].value > 0
    assert meta["fct_price_observations"]["rows_in_newest_load"].value > 0
    assert " → " in meta["fct_price_observations"]["time_window"].value
    assert meta["mart_item_trends"]["rows"].value == 12
    assert meta["mart_item_trends"]["preview"].value.startswith("| market_id | item_id |")
    # the main marts' recent history as Dagster tables, and numbers the UI charts by date
    index = meta["mart_market_index"]
    newest = dict(
        query(
            db,
            "select distinct on (market_id) market_id, index_value"
            " from marts.mart_market_index order by market_id, day desc",
        )
    )
    columns = [c.name for c in index["index_history"].schema.columns]
    assert columns[0] == "day" and columns[1:] and set(columns[1:]) <= set(newest)
    days = [r.data["day"] for r in index["index_history"].records]
    assert days and days == sorted(set(days))
    for market in columns[1:]:
        assert index[f"index_{market}"].value == pytest.approx(float(newest[market]))
    # the first materialization of a new index day carries the chart of the API's pages,
    # as a PNG in Markdown; another of the same day none, the next day's again
    newest_day = scalar(db, "select max(day) from marts.mart_market_index")
    assert index["index_newest_day"].value == newest_day.isoformat()
    chart = index["index_chart"].value
    assert chart.startswith("![price index by market](data:image/png;base64,")
    assert base64.b64decode(chart.split(",", 1)[1].rstrip(")")).startswith(b"\x89PNG")
    with warehouse.connect(db) as conn:
        assert run_metadata.index_chart(conn, index, index) == {}
        day_before = {"index_newest_day": (newest_day - timedelta(days=1)).isoformat()}
        assert set(run_metadata.index_chart(conn, index, day_before)) == {"index_chart"}
    trends = meta["mart_item_trends"]
    market, item = trends["top_mover"].value.split("/", 1)
    change, biggest = query(
        db,
        "select max(change_1d_pct) filter (where market_id = %s and item_id = %s),"
        " max(abs(change_1d_pct)) from marts.mart_item_trends",
        (market, item),
    )[0]
    assert trends["top_mover_change_1d_pct"].value == pytest.approx(float(change))
    assert abs(float(change)) == pytest.approx(float(biggest))  # the biggest move of all
    hourly = trends["top_mover_hourly_close"].records
    closes = [(r.data["bucket_start"], r.data["close"]) for r in hourly]
    last_bucket, last_close = query(
        db,
        "select bucket_start, close from marts.fct_prices_hourly where market_id = %s"
        " and item_id = %s and close is not null order by bucket_start desc limit 1",
        (market, item),
    )[0]
    assert closes and closes == sorted(closes)
    assert closes[-1] == (last_bucket.isoformat(), pytest.approx(float(last_close)))
    first = datetime.fromisoformat(closes[0][0])
    assert last_bucket - timedelta(days=7) <= first
    evaluations = result.get_asset_check_evaluations()
    gx = [e for e in evaluations if e.check_name == "gx_prices_5m"]
    assert gx and gx[0].passed and gx[0].metadata["rows_validated"].value > 0
    assert "alert_deliveries_unknown" in {e.check_name for e in evaluations}
    assert all(e.passed for e in evaluations if e.check_name != "new_rows")
    # a load of nothing new warns (non-blocking): only OSRS prices had landing files
    new_rows = {e.asset_key.path[0]: e.passed for e in evaluations if e.check_name == "new_rows"}
    assert new_rows["raw_osrs_prices"] and not new_rows["raw_wow_auctions"], new_rows
    assert scalar(db, "select count(*) from marts.mart_item_trends") == 12
    # The run recorded what each source's load did (ops.pipeline_metrics).
    prices = query(
        db,
        "select status, run_id, rows_by_table ? 'prices_5m', rows_loaded > 0"
        " from ops.pipeline_metrics where source = 'osrs_prices' and trigger = 'dagster-replay'",
    )
    assert prices == [("ok", result.run_id, True, True)]
    # One event per item the flips mart lists, so the rule ran on the rebuilt mart.
    assert scalar(
        db, "select count(*) from alerts.fct_alert_events where rule_id = 'any-flip'"
    ) == (scalar(db, "select count(*) from marts.mart_flips"))


def _run_all(job):
    # the run on the module's database and landing zone (the definitions were loaded with
    # whatever settings the session had then), as a `snapmart` command passes its own
    return job.execute_in_process(
        resources={"warehouse": WarehouseResource.from_env()},
        run_config={
            "ops": {
                "osrs_prices_raw": {"config": {"replay": True}},
                "wow_auctions_raw": {"config": {"replay": True}},
                "osrs_hiscores_raw": {"config": {"replay": True}},
                "binance_raw": {"config": {"replay": True}},
                "yahoo_finance_raw": {"config": {"replay": True}},
                "vividseats_raw": {"config": {"replay": True}},
            }
        },
        instance=DagsterInstance.ephemeral(),
    )


def test_dofus_sensor_fires_once_per_new_drop(defs, landing) -> None:
    from dagster import RunRequest, build_sensor_context

    from ingestion.sources.dofus_market import inbox_dir
    from orchestration.defs.partitions import today_key

    repo = defs.get_repository_def()
    sensor = defs.resolve_sensor_def("dofus_inbox_sensor")
    # the module's landing zone (the definitions were loaded with the session's settings)
    resources = {"warehouse": WarehouseResource.from_env()}

    def context(cursor):
        return build_sensor_context(cursor=cursor, repository_def=repo, resources=resources)

    first = sensor.evaluate_tick(context(None))
    cursor = first.cursor
    inbox_dir(landing).mkdir(parents=True, exist_ok=True)
    (inbox_dir(landing) / "drop.json").write_text('{"server": "Draconiros"}')
    fired = sensor.evaluate_tick(context(cursor))
    assert len(fired.run_requests) == 1 and isinstance(fired.run_requests[0], RunRequest)
    assert fired.run_requests[0].partition_key == today_key()  # the price fact's partition
    again = sensor.evaluate_tick(context(fired.cursor))
    assert again.run_requests == [] and again.skip_message == "no new Dofus batches"


def test_every_schedule_requests_a_run_its_job_accepts(defs) -> None:
    """Jobs that reach the day-partitioned price assets get the scheduled day's partition;
    the others none (a partition key on an unpartitioned job is an error in the daemon)."""
    from dagster import build_schedule_context

    repo = defs.get_repository_def()
    at = datetime(2026, 11, 21, 23, 50, tzinfo=UTC)
    partitioned = set()
    for schedule in repo.schedule_defs:
        job = defs.resolve_job_def(schedule.job_name)
        context = build_schedule_context(repository_def=repo, scheduled_execution_time=at)
        (request,) = schedule.evaluate_tick(context).run_requests
        if job.partitions_def is None:
            assert request.partition_key is None, schedule.name
        else:
            assert request.partition_key == "2026-11-21", schedule.name
            partitioned.add(schedule.job_name)
    assert {"osrs_prices_tick", "exchanges_tick", "tickets_tick"} <= partitioned
    assert "osrs_hiscores_tick" not in partitioned


def test_the_run_queue_starts_one_run_per_source(defs) -> None:
    """docs/architecture.md#running-the-ui: each job carries the run tag of each source it
    is for, and loads no other source but downstream of those (the profiles a market tick
    reloads after its dimensions: the ingest_user_state pool keeps those loads apart).
    Under the limits `snapmart ui`'s instance is given, Dagster's own queue keeps a run
    waiting while another run of one of its sources is in progress, and starts runs of
    other sources next to it."""
    from dagster import AssetSelection, DagsterRun
    from dagster._utils.tags import TagConcurrencyLimitsCounter

    from orchestration.defs.queue import INGESTED, source_tag, tag_concurrency_limits

    def sources(keys) -> set[str]:
        return {k.path[0].removeprefix("raw_") for k in keys if k.path[0].startswith("raw_")}

    graph = defs.resolve_asset_graph()
    tagged, runs = {}, {}
    for unresolved in defs.jobs:
        job = defs.resolve_job_def(unresolved.name)
        tagged[job.name] = {s for s in INGESTED if source_tag(s) in job.run_tags}
        assert len(tagged[job.name]) == sum(k.startswith("snapmart/") for k in job.run_tags)
        if hasattr(unresolved, "selection"):  # an asset job
            loads = sources(unresolved.selection.resolve(graph))
            assert tagged[job.name] <= loads, job.name
            reached = AssetSelection.groups(*tagged[job.name]).downstream().resolve(graph)
            assert loads <= sources(reached), job.name
        runs[job.name] = DagsterRun(job_name=job.name, tags=dict(job.run_tags))
    assert tagged == {
        "osrs_prices_tick": {"osrs_prices"},
        "osrs_hiscores_tick": {"osrs_hiscores"},
        "wow_auctions_tick": {"wow_auctions"},
        "dofus_market_tick": {"dofus_market"},
        "exchanges_tick": {"binance", "yahoo_finance"},
        "tickets_tick": {"vividseats"},
        "alerts_tick": {"user_state"},
        "refresh_all": set(INGESTED),
        "retention_job": set(),
    }

    def blocked(queued: str, *in_progress: str) -> bool:
        limits = tag_concurrency_limits()
        return TagConcurrencyLimitsCounter(limits, [runs[r] for r in in_progress]).is_blocked(
            runs[queued]
        )

    assert not blocked("osrs_prices_tick")
    assert blocked("osrs_prices_tick", "osrs_prices_tick")
    assert blocked("refresh_all", "osrs_prices_tick")
    assert blocked("exchanges_tick", "refresh_all")
    assert blocked("dofus_market_tick", "refresh_all")
    assert not blocked("exchanges_tick", "osrs_prices_tick")
    assert not blocked("tickets_tick", "osrs_prices_tick", "exchanges_tick", "alerts_tick")
    assert not blocked("retention_job", "refresh_all")


def test_freshness_policies_per_source(defs) -> None:
    """docs/architecture.md#dagster / issue 8: OSRS prices fail after 30 minutes without a
    new load (warn at
    15), the other sources at about three missed ticks of their schedules."""
    graph = defs.resolve_asset_graph()
    prices = graph.get(AssetKey(["raw_osrs_prices", "prices_5m"])).freshness_policy
    assert prices.fail_window.to_timedelta() == timedelta(minutes=30)
    assert prices.warn_window.to_timedelta() == timedelta(minutes=15)
    listings = graph.get(AssetKey(["raw_vividseats", "listings"])).freshness_policy
    assert listings.fail_window.to_timedelta() == timedelta(minutes=45)
    hiscores = graph.get(AssetKey(["raw_osrs_hiscores", "hiscore_metrics"])).freshness_policy
    assert hiscores.fail_window.to_timedelta() == timedelta(minutes=90)


def test_a_failing_gx_suite_blocks_the_marts_until_the_data_is_fixed(db, landing, defs) -> None:
    """Issue 8, acceptance 1: a bucket from the future fails raw_osrs_prices.prices_5m's
    suite; the run names the expectation and materializes nothing downstream; once the
    operator deletes the bad rows, the same job materializes the marts."""
    from orchestration.defs.partitions import today_key

    write_osrs_prices(1, seed=9, n_items=12, end=SIM_END - timedelta(hours=1), root=landing)
    future = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=400)
    prices = {"avgHighPrice": 190, "highPriceVolume": 5, "avgLowPrice": 188, "lowPriceVolume": 4}
    bucket = {"data": {"2": prices}, "timestamp": int(future.timestamp())}
    write_atomic("osrs_prices", "5m", future, json.dumps(bucket).encode(), root=landing)
    # the parser takes a bucket 400 days ahead only when the clock says it is not ahead
    # (a capture client's clock a year fast); the run at the real clock checks that load
    with clock_at(future + timedelta(minutes=5)):
        ingest.load_source("osrs_prices")
    job = defs.resolve_job_def("osrs_prices_tick")
    instance = DagsterInstance.ephemeral()

    def tick():
        return job.execute_in_process(
            resources={"warehouse": WarehouseResource.from_env()},
            run_config={"ops": {"osrs_prices_raw": {"config": {"replay": True}}}},
            partition_key=today_key(),
            instance=instance,
            raise_on_error=False,
        )

    blocked = tick()
    assert not blocked.success
    (gx,) = [e for e in blocked.get_asset_check_evaluations() if e.check_name == "gx_prices_5m"]
    assert not gx.passed
    failures = gx.metadata["failures"].value
    assert [f["expectation"] for f in failures] == ["expect_column_max_to_be_between"]
    assert str(future.year) in failures[0]["observed_value"]
    materialized = {e.asset_key.path[-1] for e in blocked.get_asset_materialization_events()}
    assert "prices_5m" in materialized  # the raw load itself happened (nothing is lost)
    assert not materialized & {"fct_price_observations", "mart_item_trends", "mart_flips"}

    with warehouse.connect(db) as conn:  # the operator's fix
        conn.execute("delete from raw_osrs_prices.prices_5m where bucket_at = %s", (future,))
    fixed = tick()
    assert fixed.success, [
        (e.step_key, e.event_specific_data.error.message[-600:])
        for e in fixed.all_events
        if e.is_step_failure
    ]
    (gx,) = [e for e in fixed.get_asset_check_evaluations() if e.check_name == "gx_prices_5m"]
    assert gx.passed
    materialized = {e.asset_key.path[-1] for e in fixed.get_asset_materialization_events()}
    assert {"fct_price_observations", "mart_item_trends", "mart_flips"} <= materialized
