"""One run per source at a time (orchestration/runtime/locks.py): two replays of a source
started at once, as real `snapmart` processes, store every row once; a run that cannot get
the lock in SNAPMART_LOCK_WAIT_SECONDS exits 5 with one sentence naming the holder."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingestion.simulator.writer import (
    write_dofus_market,
    write_exchanges,
    write_osrs_hiscores,
    write_osrs_prices,
    write_vividseats,
    write_wow_auctions,
)
from ingestion.sources import ALL_SOURCES, SOURCES, USER_STATE
from orchestration import dagster_home, ingest, runs, user_state, warehouse
from orchestration.bench import ops_locks
from orchestration.bench.ops_locks import duplicates_by_table, table_keys
from orchestration.cli import app
from orchestration.runtime import locks
from tests.conftest import SIM_END, new_database, query, scalar

# table → its merge key: a duplicate is a second row with the same key
KEYS = {
    "prices_5m": "item_id, bucket_at",
    "prices_1h": "item_id, bucket_at",
    "items": "item_id",
    "landing_files": "path",
}


def snapmart(*args: str, wait: float) -> subprocess.Popen[str]:
    """A `snapmart` command as its own process, on the test's warehouse and landing zone."""
    env = dict(os.environ, SNAPMART_LOCK_WAIT_SECONDS=str(wait))
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def duplicates(db) -> dict[str, int]:
    """Rows beyond the first per merge key, per raw table."""
    return {
        table: scalar(
            db,
            f"select count(*) - (select count(*) from (select distinct {key}"
            f" from raw_osrs_prices.{table}) as d) from raw_osrs_prices.{table}",
        )
        for table, key in KEYS.items()
    }


def test_two_replays_at_once_store_every_row_once(db, landing: Path) -> None:
    write_osrs_prices(0.5, seed=5, n_items=200, end=SIM_END, root=landing)
    files = sum(1 for p in landing.rglob("*.json*") if p.is_file())
    runs = [snapmart("ingest", "--replay", "--source", "osrs_prices", wait=300) for _ in range(2)]
    outputs = [p.communicate(timeout=300)[0] for p in runs]
    codes = [p.returncode for p in runs]
    assert codes == [0, 0], outputs
    assert duplicates(db) == dict.fromkeys(KEYS, 0)
    assert scalar(db, "select count(*) from raw_osrs_prices.landing_files") == files
    # one load read the files, the other found none left: never both
    loaded = query(
        db,
        "select files_loaded from ops.pipeline_metrics where source = 'osrs_prices'"
        " order by started_at",
    )
    assert sorted(n for (n,) in loaded) == [0, files], loaded


def test_a_run_that_cannot_get_the_lock_names_its_holder_and_exits_5(db, landing: Path) -> None:
    with locks.hold(db, locks.source_lock("osrs_prices"), run_id="holder-run-1234"):
        busy = snapmart("ingest", "--replay", "--source", "osrs_prices", wait=1)
        out = busy.communicate(timeout=300)[0]
        assert busy.returncode == 5, out
    sentences = [line.strip() for line in out.splitlines() if "holder-run-1234" in line]
    assert len(sentences) == 1, out
    sentence = sentences[0]
    assert f"pid {os.getpid()}" in sentence and "osrs_prices" in sentence, sentence
    assert "Traceback" not in out, out
    # the lock released, the same command goes through and adds nothing twice
    again = snapmart("ingest", "--replay", "--source", "osrs_prices", wait=1)
    out = again.communicate(timeout=300)[0]
    assert again.returncode == 0, out
    assert duplicates(db) == dict.fromkeys(KEYS, 0)


# A process that loads the instance and gives its pools their rows once the test says go:
# processes, not threads, since threads of one process took turns and never raced.
OPEN_INSTANCE = """
import pathlib, sys, time
from orchestration import runs, warehouse
import dagster_postgres  # imported before the start line, as a run has
folder, pools = pathlib.Path(sys.argv[1]), sys.argv[3:]
wh = warehouse.Warehouse(warehouse.Settings.from_env())
(folder / ("ready-" + sys.argv[2])).touch()
while not (folder / "go").exists():
    time.sleep(0.01)
with runs.instance(wh) as inst:
    runs.initialize_pools(wh, inst, pools)
"""


def test_runs_starting_at_once_on_a_new_instance_create_its_pools_once(
    snapmart_home: Path, base_url_env: str | None, tmp_path: Path
) -> None:
    """Dagster creates its tables when a process first loads the instance, and a pool's
    row on a step's first claim: two runs at once on a new instance both did, and on
    PostgreSQL one failed before any step (`type "runs" already exists`, or an aborted
    transaction: exit 1, each once in a CI run). Without the locks, 6 processes started
    together failed (1 to 3 of 6) in 4 of 11 tries here; with them, in none of 5."""
    pools = ["ingest_osrs_prices", "ingest_vividseats", "dbt_models"]
    with new_database(snapmart_home, base_url_env):
        wh = warehouse.Warehouse(warehouse.Settings.from_env())
        started = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_INSTANCE, str(tmp_path), str(i), *pools],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for i in range(6)
        ]
        deadline = time.monotonic() + 300
        while len(list(tmp_path.glob("ready-*"))) < len(started):
            assert time.monotonic() < deadline, "the processes did not get ready"
            assert all(p.poll() is None for p in started), [p.communicate() for p in started]
            time.sleep(0.1)
        (tmp_path / "go").touch()
        failed = [out for p in started if (out := p.communicate(timeout=300)[0]) or p.returncode]
        assert failed == []
        with runs.instance(wh) as inst:
            limits = {p.name: p.limit for p in inst.event_log_storage.get_pool_limits()}
            slots = inst.event_log_storage.get_concurrency_info("dbt_models").slot_count
        assert limits == dict.fromkeys(pools, 1)
        assert slots == 1


def test_ticks_starting_at_once_on_a_new_database_each_record_their_row(
    snapmart_home: Path, base_url_env: str | None
) -> None:
    """Each tick's metrics write ran the ops tables' DDL and GRANT: ticks starting at once
    raced on the catalogue ("tuple concurrently updated"), and a row was then missing with
    only a warning logged. Now the DDL runs once, one process at a time: 8 rows of 8."""
    from orchestration import metrics

    with new_database(snapmart_home, base_url_env) as info:
        ready = threading.Barrier(8)
        ticks = [metrics.SourceTick(f"source_{k}", "test") for k in range(8)]

        def start(tick: metrics.SourceTick) -> None:
            ready.wait(timeout=120)
            metrics.start([tick], info)

        threads = [threading.Thread(target=start, args=(t,)) for t in ticks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        recorded = query(info, "select source, status from ops.pipeline_metrics order by source")
    assert recorded == [(f"source_{k}", "running") for k in range(8)]


# ---------------------------------------------------------------------------------------
# Every registered source, the same promise: two runs at once store every row once, and
# a run that cannot get the lock says who holds it in one line and exits 5.

END = SIM_END - timedelta(days=1)
# (ingestion/sources): a source missing here fails the tests below, naming it
SLICES: dict[str, Callable[[Path], object]] = {
    "osrs_prices": lambda root: write_osrs_prices(1 / 24, seed=5, n_items=40, end=END, root=root),
    "wow_auctions": lambda root: write_wow_auctions(
        1 / 24, seed=5, end=END, root=root, listings_scale=0.2
    ),
    "dofus_market": lambda root: write_dofus_market(2 / 24, seed=5, end=END, root=root),
    "osrs_hiscores": lambda root: write_osrs_hiscores(2 / 24, seed=5, end=END, root=root),
    # one tick of the exchanges lands both sources (history_days short: see _landed)
    "binance": lambda root: write_exchanges(seed=5, end=END, root=root),
    "yahoo_finance": lambda root: None,
    "vividseats": lambda root: write_vividseats(
        1 / 24, seed=5, end=END, root=root, n_events=3, n_listings=30
    ),
    # the profiles folder: the repository's sample, archived by the load itself
    USER_STATE: lambda root: None,
}
SAMPLE_PROFILES = Path(__file__).resolve().parent.parent / "config" / "profiles"


def command(source: str) -> list[str]:
    """The `snapmart` command that loads ``source`` from what has landed (and, for the
    profiles, from their folder)."""
    return ["profiles", "load"] if source == USER_STATE else ["ingest", "--replay", "-s", source]


def table_rows(info, source: str) -> dict[str, Counter]:
    """Every raw table of ``source`` as a multiset of its rows (the fault bench's)."""
    return ops_locks.table_rows(info, source, table_keys(source))


def start(source: str, env: dict[str, str], wait: float) -> subprocess.Popen[str]:
    """The source's load as a `snapmart` process of its own (stderr apart, to count its
    lines)."""
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", *command(source)],
        env=dict(env, SNAPMART_LOCK_WAIT_SECONDS=str(wait)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@dataclass
class Pair:
    """Two runs of one source started at once: exit codes, (stdout, stderr) each, the
    duplicates per table they left, and their rows against a clean load's."""

    codes: list[int]
    outputs: list[tuple[str, str]]
    duplicates: dict[str, int]
    rows: dict[str, Counter]
    reference: dict[str, Counter]


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A landing zone of its own with a small slice of every source, and the environment
    the runs see (that zone, the profiles sample, short exchange histories)."""
    root = tmp_path_factory.mktemp("landing_all")
    profiles = tmp_path_factory.mktemp("profiles_all")
    for path in SAMPLE_PROFILES.iterdir():
        if path.is_file():
            shutil.copy(path, profiles / path.name)
    env = {
        "SNAPMART_LANDING_DIR": str(root),
        "SOURCES__USER_STATE__PROFILES_DIR": str(profiles),
        "SOURCES__BINANCE__HISTORY_DAYS": "3",
        "SOURCES__YAHOO_FINANCE__HISTORY_DAYS": "10",
    }
    mp = pytest.MonkeyPatch()
    for key, value in env.items():
        mp.setenv(key, value)
    missing = [s for s in ALL_SOURCES if s not in SLICES]
    assert not missing, f"no simulated slice for {missing}: add one to SLICES"
    for source in ALL_SOURCES:
        SLICES[source](root)
    yield root, dict(os.environ)
    mp.undo()


@pytest.fixture(scope="module")
def pairs(
    landed: tuple[Path, dict[str, str]], snapmart_home: Path, base_url_env: str | None
) -> Iterator[dict[str, Pair]]:
    """Every source's pair of runs, all pairs at once, in one new database (cheaper than a
    source after another: the processes' start-up dominates), then a clean load of the
    same files into another."""
    root, env = landed
    with new_database(snapmart_home, base_url_env) as info:
        env = dict(env, SNAPMART_DATABASE_URL=os.environ["SNAPMART_DATABASE_URL"])
        t0 = time.monotonic()
        runs = {s: [start(s, env, wait=600) for _ in range(2)] for s in ALL_SOURCES}
        outputs = {s: [p.communicate(timeout=600) for p in procs] for s, procs in runs.items()}
        print(f"{len(ALL_SOURCES)} pairs at once: {time.monotonic() - t0:.1f} s")
        got = {s: table_rows(info, s) for s in ALL_SOURCES}
        dups = {s: duplicates_by_table(info, s) for s in ALL_SOURCES}
    with new_database(snapmart_home, base_url_env) as clean:
        for source in SOURCES:
            ingest.load_source(source, root=root)
        user_state.load(root=root)
        reference = {s: table_rows(clean, s) for s in ALL_SOURCES}
    yield {
        s: Pair([p.returncode for p in runs[s]], outputs[s], dups[s], got[s], reference[s])
        for s in ALL_SOURCES
    }


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_two_runs_of_each_source_at_once_store_what_one_clean_load_does(
    source: str, pairs: dict[str, Pair]
) -> None:
    pair = pairs[source]
    # the wait (600 s) outlasts a load: the second run waits for the first, both succeed
    assert pair.codes == [0, 0], pair.outputs
    assert all("Traceback" not in out + err for out, err in pair.outputs), pair.outputs
    assert pair.duplicates and set(pair.duplicates.values()) == {0}, pair.duplicates
    loaded = {t: sum(c.values()) for t, c in pair.reference.items()}
    data = [t for t in table_keys(source) if t not in ("landing_files", "rejected_records")]
    assert sum(loaded[t] for t in data) > 0, f"{source}: the slice loaded nothing: {loaded}"
    for table in table_keys(source):
        lost = pair.reference[table] - pair.rows[table]
        extra = pair.rows[table] - pair.reference[table]
        assert not lost and not extra, (
            f"{source}.{table}: {sum(lost.values())} row(s) lost,"
            f" {sum(extra.values())} extra against a clean load"
        )


def test_a_run_of_any_source_that_cannot_get_its_lock_exits_5_in_one_line(
    db, landed: tuple[Path, dict[str, str]]
) -> None:
    _root, env = landed
    env = dict(env, SNAPMART_DATABASE_URL=os.environ["SNAPMART_DATABASE_URL"])
    with contextlib.ExitStack() as held:
        for source in ALL_SOURCES:
            held.enter_context(locks.hold(db, locks.source_lock(source), run_id=f"held-{source}"))
        busy = {s: start(s, env, wait=1) for s in ALL_SOURCES}
        outputs = {s: p.communicate(timeout=600) for s, p in busy.items()}
    for source, (out, err) in outputs.items():
        assert busy[source].returncode == 5, (source, out, err)
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, (source, err)
        sentence = lines[0]
        assert f"source {source} is busy: run held-{source} (pid {os.getpid()}" in sentence, (
            source,
            sentence,
        )
        assert "SNAPMART_LOCK_WAIT_SECONDS" in sentence, sentence
        assert "Traceback" not in out + err, (source, out, err)


def test_a_setup_lock_held_past_its_wait_is_one_sentence_and_exit_5(
    db, landed: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-time setup lock (here Dagster's tables) waits SETUP_WAIT_SECONDS, not the
    run's SNAPMART_LOCK_WAIT_SECONDS (1 s here: eight runs set up one instance at once in
    CI, and one gave up after 1 s with a traceback). Past its own wait it ends the command
    as a busy lock does: the sentence naming the holder, exit 5."""
    monkeypatch.setenv("SNAPMART_LOCK_WAIT_SECONDS", "1")
    monkeypatch.setattr(locks, "SETUP_WAIT_SECONDS", 2.0)
    schema = dagster_home.dagster_database(db)
    warehouse.ensure_database(schema)  # as the first run makes it
    with locks.hold(schema, "dagster-schema", run_id="held-schema"):
        result = CliRunner().invoke(app, ["ingest", "--replay", "--source", "osrs_prices"])
    assert result.exit_code == 5, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"dagster-schema is busy: run held-schema (pid {os.getpid()}" in lines[0], lines
    assert "waited 2 s for it; try again when that run ends." in lines[0], lines
    assert "SNAPMART_LOCK_WAIT_SECONDS" not in lines[0], lines
    # the lock free, the same command starts (it waited for the setup, not 1 s)
    monkeypatch.setattr(locks, "SETUP_WAIT_SECONDS", 600.0)
    again = CliRunner().invoke(app, ["ingest", "--replay", "--source", "osrs_prices"])
    assert again.exit_code == 0, again.output


def test_a_scratch_dlt_folder_left_by_a_killed_process_is_removed_by_the_next() -> None:
    """Every process that shapes dlt specs makes a scratch folder; one ending with
    ``os._exit`` (Dagster's step processes) or kill -9 left it in /tmp for ever. The next
    process that makes one removes the folders of processes gone."""
    code = (
        "import os; from orchestration import ingest;"
        " print(ingest.scratch_pipelines_dir(), flush=True); os._exit(0)"
    )
    run = [sys.executable, "-c", code]
    first = Path(subprocess.run(run, capture_output=True, text=True, check=True).stdout.strip())
    assert first.is_dir()  # os._exit: nothing removed it
    second = Path(subprocess.run(run, capture_output=True, text=True, check=True).stdout.strip())
    assert not first.exists() and second.is_dir() and second != first
    shutil.rmtree(second)
