"""Resume, then continue: kill -9 a load at seeded random moments, land more files, run
the next load, and nothing is lost, nothing is stored twice, nothing is left pending;
raw ends identical to a clean load of the same landing files into another database.

Half the kills fall at a random moment of the load process; the other half wait until
dlt has a normalized load package on disk (the moment whose leftover the next tick must finish
before it loads the rest, orchestration/ingest.py) and then a random moment more.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from ingestion.landing import pending_files
from ingestion.simulator.writer import write_osrs_prices
from ingestion.sources import get as get_source
from orchestration import ingest, warehouse
from tests.conftest import SIM_END, new_database

SOURCE = "osrs_prices"
TABLES = ("prices_5m", "prices_1h", "latest_prices", "items", "landing_files")
# columns a load stamps with its own time or id: the same data loaded twice differs there
LOAD_COLUMNS = ("loaded_at", "rejected_at")
KILLS = 6
BATCH = timedelta(hours=2)

LOAD = f"from orchestration import ingest; ingest.load_source({SOURCE!r})"


def rows(info: warehouse.ConnectionInfo) -> dict[str, Counter]:
    """Every row of the source's raw tables as a multiset, without dlt's and the load's own
    columns: a duplicate counts twice, a lost row is missing."""
    out: dict[str, Counter] = {}
    with warehouse.connect(info) as conn:
        for table in TABLES:
            columns = [
                name
                for (name,) in conn.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = %s and table_name = %s order by column_name",
                    (f"raw_{SOURCE}", table),
                ).fetchall()
                if not name.startswith("_dlt") and name not in LOAD_COLUMNS
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            out[table] = Counter(
                conn.execute(f"select {select} from raw_{SOURCE}.{table}").fetchall()
            )
    return out


def packages_on_disk(folders: tuple[str, ...] = ("new", "normalized")) -> bool:
    """True when dlt has a load package in the source's working directory: being written
    by normalize (``new``) or normalized, to load (``normalized``)."""
    load = ingest.pipelines_dir() / f"snapmart_{SOURCE}" / "load"
    return any(p.is_dir() for folder in folders for p in (load / folder).glob("*"))


def pending(root: Path) -> int:
    """Landing files the source has not loaded (by a load that completed)."""
    from ingestion import loader

    pipeline = ingest.pipeline_for(SOURCE)
    done = loader.loaded_files(pipeline)
    endpoints = [e.endpoint for e in get_source(SOURCE).ENDPOINTS]
    left = pending_files(SOURCE, done, endpoints, root)
    busy = pipeline.list_normalized_load_packages() + pipeline.list_extracted_load_packages()
    return len(left) + len(busy)


def timed_load() -> float:
    """Seconds an undisturbed load takes as its own process: the span random kills aim at."""
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", LOAD], check=True, capture_output=True, timeout=300)
    return time.monotonic() - start


def kill_a_load(rng: random.Random, at_package: bool, seconds: float) -> tuple[bool, bool]:
    """Start a load as its own process and kill -9 it: at a random moment of the
    ``seconds`` an undisturbed load takes, or once dlt has
    a normalized load package on disk plus a random moment more. (was it still running
    when killed, did it leave a package)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOAD], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        if at_package:
            deadline = time.monotonic() + 60
            while (
                not packages_on_disk(("normalized",))
                and proc.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.15))  # the load of a package takes about a second
        else:
            time.sleep(rng.uniform(0.3, 0.95) * seconds)
        running = proc.poll() is None
        proc.kill()
    finally:
        proc.wait(timeout=30)
    return running, packages_on_disk()


def test_kill_9_during_loads_then_a_tick_loses_and_duplicates_nothing(
    db, landing: Path, snapmart_home: Path, base_url_env: str | None
) -> None:
    rng = random.Random(21)
    start = SIM_END - KILLS * BATCH
    killed_running = left_package = 0
    write_osrs_prices(BATCH / timedelta(days=1), seed=3, n_items=150, end=start, root=landing)
    seconds = timed_load()
    for k in range(KILLS):
        end = start + (k + 1) * BATCH
        write_osrs_prices(BATCH / timedelta(days=1), seed=3, n_items=150, end=end, root=landing)
        running, package = kill_a_load(rng, k % 2 == 1, seconds)
        killed_running += running
        left_package += package
        # files land while the load is down: the next tick must load them too
        write_osrs_prices(1 / 24, seed=3, n_items=150, end=end + timedelta(hours=1), root=landing)
        ingest.load_source(SOURCE)
        assert pending(landing) == 0, f"kill {k}: files left pending after the next load"
        assert not packages_on_disk(), f"kill {k}: a load package left on disk"
    assert killed_running >= KILLS - 1, "the kills must land while the load runs"
    assert left_package >= 2, "some kills must leave a load package for the next tick"
    after_kills = rows(db)
    for table, counter in after_kills.items():
        assert counter, f"{table} is empty"
        assert max(counter.values()) == 1, f"{table}: a row stored twice"
    # the same landing files, loaded once and undisturbed, into a database of its own
    with new_database(snapmart_home, base_url_env) as clean:
        ingest.load_source(SOURCE)
        reference = rows(clean)
    for table in TABLES:
        lost = reference[table] - after_kills[table]
        extra = after_kills[table] - reference[table]
        assert not lost and not extra, f"{table}: {len(lost)} row(s) lost, {len(extra)} extra"
