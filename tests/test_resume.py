"""Resume, then continue: kill -9 a load at seeded random moments, land more files, run
the next load, and nothing is lost, nothing is stored twice, nothing is left pending;
raw ends identical to a clean load of the same landing files into another database.

Half the kills fall at a random moment of the load process; the other half wait until
dlt has a normalized load package on disk (the moment whose leftover the next tick must finish
before it loads the rest, orchestration/ingest.py) and then a random moment more.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from ingestion.simulator.writer import write_osrs_prices
from orchestration import ingest
from orchestration.bench import ops_locks
from orchestration.bench.ops_locks import (
    SOURCE,
    kill_a_load,
    packages_on_disk,
    pending,
    table_rows,
    timed_load,
)
from tests.conftest import SIM_END, new_database, query

# the kill and the comparison are the fault bench's (`snapmart bench --suite faults`)
TABLES = tuple(ops_locks.KEYS)
KILLS = 6
BATCH = timedelta(hours=2)


def completed_files(db) -> tuple[int, int]:
    """(files, rows) landing_files records for the source's completed loads."""
    (row,) = query(
        db,
        f"""select count(*), coalesce(sum(f.rows_loaded), 0)
        from raw_{SOURCE}.landing_files as f
        where exists (select 1 from raw_{SOURCE}._dlt_loads as l
                      where l.load_id = f._dlt_load_id and l.status = 0)""",
    )
    return int(row[0]), int(row[1])


def test_kill_9_during_loads_then_a_tick_loses_and_duplicates_nothing(
    db, landing: Path, snapmart_home: Path, base_url_env: str | None
) -> None:
    rng = random.Random(21)
    # rounds until KILLS kills landed while the load ran (a load that ended before its
    # kill, on a busy machine, is a round that proves less, not a failure), at most 2×
    start = SIM_END - 2 * KILLS * BATCH
    killed_running = left_package = rounds = 0
    write_osrs_prices(BATCH / timedelta(days=1), seed=3, n_items=150, end=start, root=landing)
    seconds = timed_load()
    while killed_running < KILLS and rounds < 2 * KILLS:
        k, rounds = rounds, rounds + 1
        end = start + (k + 1) * BATCH
        write_osrs_prices(BATCH / timedelta(days=1), seed=3, n_items=150, end=end, root=landing)
        running, package = kill_a_load(rng, k % 2 == 1, seconds)
        killed_running += running
        left_package += package
        # files land while the load is down: the next tick must load them too
        write_osrs_prices(1 / 24, seed=3, n_items=150, end=end + timedelta(hours=1), root=landing)
        before = completed_files(db)
        summary = ingest.load_source(SOURCE)
        after = completed_files(db)
        # what the killed run left (a package) counts with this load: every file and row
        # it made loaded, as landing_files records them, and no other
        assert (summary.files, summary.rows_loaded) == (
            after[0] - before[0],
            after[1] - before[1],
        ), f"kill {k} (package left: {package})"
        assert pending(landing) == 0, f"kill {k}: files left pending after the next load"
        assert not packages_on_disk(), f"kill {k}: a load package left on disk"
    assert killed_running == KILLS, f"{killed_running} of {rounds} kills landed while loading"
    assert left_package >= 2, "some kills must leave a load package for the next tick"
    after_kills = table_rows(db)
    for table, counter in after_kills.items():
        assert counter, f"{table} is empty"
        assert max(counter.values()) == 1, f"{table}: a row stored twice"
    # the same landing files, loaded once and undisturbed, into a database of its own
    with new_database(snapmart_home, base_url_env) as clean:
        ingest.load_source(SOURCE)
        reference = table_rows(clean)
    for table in TABLES:
        lost = reference[table] - after_kills[table]
        extra = after_kills[table] - reference[table]
        assert not lost and not extra, f"{table}: {len(lost)} row(s) lost, {len(extra)} extra"
