"""One run per source at a time (orchestration/runtime/locks.py): two replays of a source
started at once, as real `snapmart` processes, store every row once; a run that cannot get
the lock in SNAPMART_LOCK_WAIT_SECONDS exits 5 with one sentence naming the holder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ingestion.simulator.writer import write_osrs_prices
from orchestration.runtime import locks
from tests.conftest import SIM_END, query, scalar

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
