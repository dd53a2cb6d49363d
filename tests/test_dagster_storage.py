"""Dagster's instance lives in PostgreSQL (dagster-postgres): what one process records —
a run, a schedule an engineer switched off — the next process (a restarted `snapmart
ui`, its daemon) sees, because DAGSTER_HOME holds only a dagster.yaml naming env vars; and
that instance queues runs within the limits orchestration/defs/queue.py sets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from orchestration import dagster_home, warehouse
from orchestration.defs.queue import MAX_CONCURRENT_RUNS, tag_concurrency_limits

DAGSTER = str(Path(sys.executable).parent / "dagster")

RUN_A_JOB = """
from dagster import DagsterInstance, job, op

@op
def ping():
    return 1

@job
def ping_job():
    ping()

print(ping_job.execute_in_process(instance=DagsterInstance.get()).run_id)
"""

READ_BACK = """
import json
from dagster import DagsterInstance

instance = DagsterInstance.get()
concurrency = instance.get_concurrency_config()
queue = concurrency.run_queue_config
print(json.dumps({
    "storage": type(instance.run_storage).__name__,
    "runs": [r.run_id for r in instance.get_runs()],
    "states": {s.instigator_name: s.status.value for s in instance.all_instigator_state()},
    "coordinator": type(instance.run_coordinator).__name__,
    "max_runs": queue.max_concurrent_runs,
    "tag_limits": queue.tag_concurrency_limits,
    "pool_limit": concurrency.pool_config.default_pool_limit,
    "launch_retries": queue.max_user_code_failure_retries,
}))
"""


def test_run_history_and_schedule_state_survive_a_restart(db, snapmart_home) -> None:
    home = dagster_home.prepare(db)
    storage = dagster_home.dagster_database(db)
    env = dict(os.environ, **dagster_home.instance_env(db), DAGSTER_HOME=str(home))
    try:
        assert db.password not in (home / "dagster.yaml").read_text()
        # An engineer switches off a schedule that ships running…
        stop = subprocess.run(
            [DAGSTER, "schedule", "stop", "exchanges_every_5_minutes", "-w", "workspace.yaml"],
            env=env, cwd=warehouse.PROJECT_ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert stop.returncode == 0, stop.stderr[-2000:]
        # …and a run happens, in another process.
        ran = subprocess.run(
            [sys.executable, "-c", RUN_A_JOB], env=env, capture_output=True, text=True, timeout=300
        )
        assert ran.returncode == 0, ran.stderr[-2000:]
        run_id = ran.stdout.strip().splitlines()[-1]
        # A new process on the same DAGSTER_HOME (the restarted UI) sees both.
        back = subprocess.run(
            [sys.executable, "-c", READ_BACK], env=env, capture_output=True, text=True, timeout=300
        )
        assert back.returncode == 0, back.stderr[-2000:]
        seen = json.loads(back.stdout.strip().splitlines()[-1])
        assert seen["storage"] == "PostgresRunStorage"
        assert run_id in seen["runs"]
        assert seen["states"]["exchanges_every_5_minutes"] == "STOPPED"
        # The UI's instance queues runs: two at most, one per source, a pool step at a time.
        assert seen["coordinator"] == "QueuedRunCoordinator"
        assert seen["max_runs"] == MAX_CONCURRENT_RUNS == 2
        assert seen["tag_limits"] == tag_concurrency_limits()
        assert {limit["key"] for limit in seen["tag_limits"]} >= {
            "snapmart/ingest_osrs_prices",
            "snapmart/ingest_binance",
            "snapmart/ingest_user_state",
        }
        assert seen["pool_limit"] == 1
        # a code server too busy to answer delays a queued run's launch, not fails it
        assert seen["launch_retries"] == dagster_home.LAUNCH_RETRIES > 0
        with psycopg.connect(storage.url()) as conn:
            assert (
                conn.execute("select count(*) from runs where run_id = %s", (run_id,)).fetchone()[0]
                == 1
            )
        assert not list(home.glob("**/*.db"))  # no SQLite beside dagster.yaml
    finally:
        warehouse.drop_database(storage)
