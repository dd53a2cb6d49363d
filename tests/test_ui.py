"""`snapmart ui` an engineer can leave running, and stop (docs/architecture.md#running-the-ui):
Ctrl-C stops dagster dev and everything it started — webserver, daemon, code servers, a
run in progress — within seconds, and the command returns; nothing is left behind, and
the interrupted run ends canceled, not failed; a run another process executes on the same
instance is left alone.

The function behind the command (``serve``), as a terminal would run it: its own session,
the instance `snapmart ui` gets (dagster.yaml from ``dagster_home.prepare``, under the
test's SNAPMART_HOME), a free port. The code location is a small one whose sensor starts a
long run at once, so the stop meets a run worker; the project's own takes a minute to load.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

from orchestration import dagster_home, warehouse
from orchestration.cli.maintenance import GRACE_SECONDS, TERM_SECONDS
from orchestration.runtime.environ import environment

START_TIMEOUT = 90  # for the webserver to answer and the run to start (about 35 s)
STOP_BUDGET = 30  # seconds from Ctrl-C to the command's return

LONG_RUN = """
import time

from dagster import DefaultSensorStatus, Definitions, RunRequest, job, op, sensor


@op
def wait() -> None:
    time.sleep(600)


@job
def long_job():
    wait()


@sensor(job=long_job, minimum_interval_seconds=1, default_status=DefaultSensorStatus.RUNNING)
def start_at_once(context):
    yield RunRequest(run_key="once")


defs = Definitions(jobs=[long_job], sensors=[start_at_once])
"""

SERVE = (
    "import sys; from pathlib import Path; from orchestration.cli.maintenance import serve;"
    " sys.exit(serve(Path(sys.argv[1]), '127.0.0.1', int(sys.argv[2]), Path(sys.argv[3])))"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _session(sid: int) -> dict[int, str]:
    """Live processes of a session (zombies left out): pid → command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, session = fields[0], int(fields[3])  # state ppid pgrp session …
        if session == sid and state != "Z":
            found[int(entry.name)] = cmdline
    return found


def _running(instance: DagsterInstance) -> bool:
    return any(r.status == DagsterRunStatus.STARTED for r in instance.get_runs())


def test_ctrl_c_stops_the_ui_and_all_it_started(db, tmp_path) -> None:
    assert GRACE_SECONDS + TERM_SECONDS < STOP_BUDGET  # the worst case fits the budget
    home = dagster_home.prepare(db)
    (tmp_path / "long_run.py").write_text(LONG_RUN)
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(f"load_from:\n  - python_file: {tmp_path / 'long_run.py'}\n")
    port = _free_port()
    log = (tmp_path / "ui.log").open("w+")
    ui = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(home), str(port), str(workspace)],
        env=dict(os.environ, **dagster_home.instance_env(db), DAGSTER_DISABLE_TELEMETRY="true"),
        cwd=warehouse.PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # like a shell's job: the test sees all it starts
    )
    with environment(dagster_home.instance_env(db)):  # dagster.yaml's variables
        instance = DagsterInstance.from_config(str(home))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (_answers(port) and _running(instance)):
            assert ui.poll() is None, f"serve exited: {_tail(log)}"
            assert time.monotonic() < deadline, f"not up in {START_TIMEOUT}s: {_tail(log)}"
            time.sleep(0.5)
        commands = " ".join(_session(ui.pid).values())
        # something to stop: dagster dev, its webserver, daemon and code server, a run
        for part in ("dagster dev", "dagster_webserver", "dagster._daemon", "api grpc"):
            assert part in commands, (part, commands)
        # a run another process executes on the instance (`snapmart backfill`)
        elsewhere = instance.add_run(
            DagsterRun(job_name="backfill_elsewhere", status=DagsterRunStatus.STARTED)
        )

        t0 = time.monotonic()
        os.kill(ui.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground job
        ui.wait(timeout=STOP_BUDGET + 15)
        took = time.monotonic() - t0
        assert took <= STOP_BUDGET, f"took {took:.1f}s to stop: {_tail(log)}"
        assert ui.returncode == 0, _tail(log)
        assert _session(ui.pid) == {}, "left running after serve returned"
        assert not _answers(port)
        (run,) = [r for r in instance.get_runs() if r.run_id != elsewhere.run_id]
        assert run.status == DagsterRunStatus.CANCELED, _tail(log)  # not a red failure
        assert instance.get_run_by_id(elsewhere.run_id).status == DagsterRunStatus.STARTED
    finally:
        for pid in _session(ui.pid):  # only after a failure: leave nothing behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if ui.poll() is None:
            ui.wait(timeout=10)
        log.close()
        instance.dispose()
        warehouse.drop_database(dagster_home.dagster_database(db))


def _tail(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-3000:]
