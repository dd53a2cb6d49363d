"""A failed fetch is never reported as success, and every tick is in the health marts.

Against the simulator (no internet): the OSRS prices ``/5m`` endpoint answering 503
while the others answer makes `snapmart refresh` exit 3 with one line naming the
request, load what did arrive and build the marts from it, leave the ``fetch_ok`` check
red and a ``failed`` metrics row; a replay of nothing new exits 0 and says so (not
fresh); an ingest killed with SIGKILL is marked ``crashed`` (with its pid) by the next
tick, and its Dagster run failed. The health marts are views: they show each of these
as soon as it is recorded, with no dbt build in between.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from ingestion.simulator.server import OSRS_PREFIX, SimulatorServer
from orchestration import transform
from orchestration.cli import app
from orchestration.cli.exit_codes import ExitCode
from tests.conftest import query, scalar

runner = CliRunner()
PRICES = "osrs_prices"
TABLES = ("items", "latest_prices", "prices_5m", "prices_1h")


@pytest.fixture(scope="module")
def simulator(db, landing):
    env = {
        "SOURCES__OSRS_PRICES__MAX_ATTEMPTS": "2",
        "SOURCES__OSRS_PRICES__BACKOFF_FACTOR": "0.01",
        "SOURCES__OSRS_PRICES__REQUESTS_PER_SECOND": "0",
        "SOURCES__OSRS_PRICES__CATCH_UP_MINUTES": "15",
    }
    with SimulatorServer(n_items=6) as sim:
        saved = {k: os.environ.get(k) for k in [*env, "SOURCES__OSRS_PRICES__BASE_URL"]}
        os.environ.update(env, SOURCES__OSRS_PRICES__BASE_URL=sim.osrs_base_url)
        yield sim
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module", autouse=True)
def health_views(db, landing) -> None:
    """The two health marts, built once: views, they show every tick after without a build."""
    built = transform.run_dbt("build", select="+mart_source_health +mart_pipeline_runs")
    assert built.success, [(n.name, n.message) for n in built.failed()]


def _rows(db) -> dict[str, int]:
    return {t: scalar(db, f"select count(*) from raw_osrs_prices.{t}") for t in TABLES}


def _runs(db) -> list[tuple]:
    return query(
        db,
        """select status, error, http_errors_by_status, rows_loaded, loaded_new_rows, host, pid,
            finished_at is not null
        from marts.mart_pipeline_runs where source = %s order by started_at""",
        (PRICES,),
    )


def test_a_failed_fetch_exits_3_names_the_request_and_loads_what_arrived(db, simulator) -> None:
    simulator.path_outages[f"{OSRS_PREFIX}5m"] = 503
    try:
        result = runner.invoke(app, ["refresh", "--source", PRICES])
    finally:
        simulator.path_outages.clear()
    assert result.exit_code == ExitCode.FETCH_FAILED, result.output
    url = f"{simulator.osrs_base_url}/5m"
    line = f"fetch failed: {PRICES}: GET {url} answered HTTP 503 after retries"
    lines = [x for x in result.stderr.splitlines() if x.startswith("fetch failed:")]
    assert lines == [line], result.stderr
    assert "Refresh done." not in result.output

    # what did arrive is loaded (the item mapping, the latest prices, and the 1h buckets:
    # /1h is still asked for after /5m failed) and the marts are built from it: the run is
    # not failed, its fetch_ok check is red
    rows = _rows(db)
    assert rows["prices_5m"] == 0 and rows["items"] == 6 and rows["latest_prices"] > 0, rows
    assert rows["prices_1h"] > 0, rows
    assert scalar(db, "select count(*) from marts.dim_items where source = 'osrs_prices'") == 6
    # mart_fetch_gaps lies downstream of no source and the module built only the other two
    # health views: the tick's dbt step created it, as a view
    assert (
        scalar(db, "select relkind from pg_class where oid = 'marts.mart_fetch_gaps'::regclass")
        == "v"
    )

    # the metrics row (a view: no build needed) says so, with the request and its 503s
    ((status, error, by_status, loaded, new, host, pid, finished),) = _runs(db)
    assert (status, error, by_status) == ("failed", line.removeprefix("fetch failed: "),
                                          '{"503": 2}')  # fmt: skip
    assert loaded == sum(rows.values()) and new and finished
    assert host and pid == os.getpid()

    from dagster import AssetCheckKey, AssetKey

    from orchestration import dagster_home

    with dagster_home.instance(db) as instance:
        check = AssetCheckKey(AssetKey(["raw_osrs_prices", "items"]), "fetch_ok")
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([check])
        evaluation = record[check].event.dagster_event.asset_check_evaluation_data
        assert not evaluation.passed and evaluation.description == lines[0].removeprefix(
            "fetch failed: "
        )


def test_a_replay_of_nothing_new_exits_0_and_is_not_fresh(db, simulator) -> None:
    result = runner.invoke(app, ["ingest", "--replay", "--source", PRICES])
    assert result.exit_code == ExitCode.OK, result.output
    assert f"no new rows: {PRICES}" in result.output
    assert "fetch failed" not in result.output
    status, error, _, loaded, new, *_ = _runs(db)[-1]
    assert (status, error, loaded, new) == ("ok", None, 0, False)
    # the replay's hour is fresh only if another tick of that hour brought rows (the first
    # test's, unless an hour began between them), and new rows last came with that tick
    ((fresh, last_new, any_new),) = query(
        db,
        """select h.freshness, h.last_new_rows_at, bool_or(r.loaded_new_rows)
        from marts.mart_source_health as h
        join marts.mart_pipeline_runs as r
            on r.source = h.source and date_trunc('hour', r.started_at) = h.hour_start
        where h.source = %s and h.hour_start = (
            select date_trunc('hour', max(started_at)) from marts.mart_pipeline_runs)
        group by 1, 2""",
        (PRICES,),
    )
    assert fresh == ("fresh" if any_new else "stale")
    first = scalar(db, "select min(started_at) from marts.mart_pipeline_runs")
    assert last_new == first
    only_replay = scalar(
        db,
        """select count(*) from marts.mart_pipeline_runs
        where source = %s and trigger = 'cli-replay' and loaded_new_rows""",
        (PRICES,),
    )
    assert only_replay == 0


def test_a_killed_ingest_is_marked_crashed_by_the_next_tick(db, simulator) -> None:
    before = len(simulator.requests)
    env = {**os.environ, "SOURCES__OSRS_PRICES__REQUESTS_PER_SECOND": "0.5"}  # a slow fetch
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "ingest", "--source", PRICES],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(simulator.requests) == before:  # its tick is running: it has asked something
        assert proc.poll() is None and time.monotonic() < deadline, "the ingest never fetched"
        time.sleep(0.05)
    running = query(
        db,
        "select pid, run_id from marts.mart_pipeline_runs where status = 'running'",
    )
    assert [r[0] for r in running] == [proc.pid]
    run_id = running[0][1]
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL

    result = runner.invoke(app, ["ingest", "--replay", "--source", PRICES])
    assert result.exit_code == ExitCode.OK, result.output
    ((status, error, pid),) = query(
        db,
        "select status, error, pid from marts.mart_pipeline_runs where run_id = %s",
        (run_id,),
    )
    assert (status, pid) == ("crashed", proc.pid)
    assert f"process {proc.pid}" in error and "ended without recording" in error
    assert scalar(db, "select count(*) from marts.mart_pipeline_runs where status = 'running'") == 0

    from dagster import DagsterRunStatus

    from orchestration import dagster_home

    with dagster_home.instance(db) as instance:
        assert instance.get_run_by_id(run_id).status == DagsterRunStatus.FAILURE

    # the views and their unit tests (dbt_project/models/marts/ops/_ops__models.yml)
    built = transform.run_dbt("build", select="mart_source_health mart_pipeline_runs")
    assert built.success, [(n.name, n.message) for n in built.failed()]
    health = query(
        db,
        """select sum(ticks), sum(ok_ticks), sum(failed_ticks), sum(crashed_ticks),
            sum(running_ticks)
        from marts.mart_source_health where source = %s""",
        (PRICES,),
    )
    assert health == [(4, 2, 1, 1, 0)]


def conclude_in_process(job, capsys) -> tuple[int, list[str], object]:
    """Execute ``job`` in process on an ephemeral instance, follow its event log as the CLI
    does, conclude: (exit code, stderr's non-empty lines, the view)."""
    import dagster as dg
    from rich.progress import Progress

    from orchestration.cli.follow import RunView
    from orchestration.cli.tick import conclude
    from orchestration.runs import RunOutcome

    with dg.DagsterInstance.ephemeral() as inst:
        result = job.execute_in_process(instance=inst, raise_on_error=False)
        records = inst.all_logs(result.run_id)
    view = RunView(Progress(disable=True))
    for record in records:
        view(record)
    capsys.readouterr()
    code = conclude(RunOutcome(result.run_id, result.success, records), view)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, lines, view


def test_a_run_failing_outside_its_steps_exits_1_and_says_why(capsys) -> None:
    """A run can fail with no step failure (a resource's start, the instance: two runs at
    once on a new instance once did so): the command said only where the run is. It
    says why, as the run's events give it."""
    import dagster as dg

    @dg.resource
    def refusing(_context) -> None:
        raise RuntimeError("connection refused by the warehouse")

    @dg.op(required_resource_keys={"warehouse"})
    def load(_context) -> int:
        return 1

    @dg.job(resource_defs={"warehouse": refusing})
    def tick() -> None:
        load()

    code, lines, view = conclude_in_process(tick, capsys)
    assert view.failures == []  # no step of it failed: the resource did, before
    assert code == ExitCode.FAILED
    assert any("connection refused by the warehouse" in line for line in lines), lines


def test_a_busy_lock_does_not_hide_a_failed_step(capsys) -> None:
    """One step could not get its lock (5), another failed (1) in the same run: the exit
    code was 5 and the failed step went unsaid. Now: 1 (more severe, README's order), both
    said. A run only busy still exits 5 with its one sentence."""
    import dagster as dg

    from orchestration.runtime import locks

    sentence = locks.busy_sentence("source:osrs_prices", None, 1.0)

    @dg.op
    def load_prices() -> None:
        raise locks.LockBusy(sentence)

    @dg.op
    def load_tickets() -> None:
        raise RuntimeError("disk full while archiving")

    @dg.job
    def both() -> None:
        load_prices()
        load_tickets()

    @dg.job
    def only_busy() -> None:
        load_prices()

    code, lines, _ = conclude_in_process(both, capsys)
    assert code == ExitCode.FAILED, lines
    assert sum(sentence in line for line in lines) == 1, lines
    assert any("disk full while archiving" in line for line in lines), lines
    code, lines, _ = conclude_in_process(only_busy, capsys)
    assert code == ExitCode.BUSY
    assert lines == [sentence], lines


def test_a_long_tick_whose_process_still_runs_is_not_taken_for_crashed() -> None:
    """A tick running past STALE_AFTER (a long backfill) was marked crashed, its run failed
    and its pool slots freed while it went on. Now only a tick whose process cannot be
    looked at (another host) is taken for crashed by age."""
    import socket
    from datetime import UTC, datetime, timedelta

    import psutil

    from orchestration import metrics

    me = psutil.Process(os.getpid())
    started = datetime.fromtimestamp(me.create_time(), UTC) + timedelta(seconds=1)
    age = metrics.STALE_AFTER + timedelta(hours=1)
    here = metrics.crash_reason(socket.gethostname(), os.getpid(), started, age, None, None)
    assert here is None
    elsewhere = metrics.crash_reason("another-host", 4242, started, age, None, None)
    assert elsewhere is not None and "still running after" in elsewhere
