"""`snapmart prune` (retention, off unless run) and `snapmart ui` (the Dagster webserver
and daemon, stopped cleanly on Ctrl-C)."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from orchestration import warehouse
from orchestration.cli.output import console, start_warehouse
from orchestration.runtime.environ import environment


def prune(
    hourly_days: Annotated[int, typer.Option(help="Keep this many days of hourly candles.")] = 30,
    daily_days: Annotated[int, typer.Option(help="Keep this many days of daily candles.")] = 730,
    raw_listings_days: Annotated[
        int,
        typer.Option(
            help="Drop raw ticket listings' monthly partitions that ended this many days before"
            " the newest snapshot (0: keep all; the tickets marts keep their history)."
        ),
    ] = 0,
    dry_run: Annotated[bool, typer.Option(help="Count what would go; delete nothing.")] = False,
) -> None:
    """Retention (docs/formulas.md#retention): drop hourly candles older than 30 days and
    daily older than 2 years, only where the coarser tier holds their period. Off unless you
    run it."""
    from orchestration import retention

    info = start_warehouse().info
    results = retention.prune(
        info,
        hourly_days=hourly_days,
        daily_days=daily_days,
        raw_listings_days=raw_listings_days,
        dry_run=dry_run,
    )
    table = Table(title="Retention" + (" (dry run: nothing deleted)" if dry_run else ""))
    for col in ("table", "rows pruned", "≈ space freed", "rows kept"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for r in results:
        table.add_row(
            r.table, f"{r.rows:,}", f"{r.bytes_estimate / 1e6:,.1f} MB", f"{r.kept_rows:,}"
        )
    console.print(table)
    if not dry_run and any(r.rows for r in results):
        console.print(
            "[dim]New rows reuse the space; VACUUM FULL (or pg_repack) returns it to the OS.[/]"
        )


def ui(
    port: Annotated[int, typer.Option(help="Web UI port.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Dagster webserver + daemon on the workspace (schedules and sensors live; runs queued,
    at most two at once and one per source). Ctrl-C stops it and everything it started."""
    from orchestration import dagster_home

    wh = start_warehouse()
    with dagster_home.instance(wh.info, wh.settings.home):
        pass  # Dagster's tables made here, once: the webserver and daemon would race on them
    home = dagster_home.prepare(wh.info, wh.settings.home)
    console.print(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={home}); Ctrl-C stops it.")
    raise typer.Exit(serve(home, host, port, instance_env=dagster_home.instance_env(wh.info)))


def serve(
    home: Path,
    host: str,
    port: int,
    workspace: Path | None = None,
    instance_env: Mapping[str, str] | None = None,
) -> int:
    """`dagster dev` on the workspace (workspace.yaml unless told) with DAGSTER_HOME=home
    and the variables its dagster.yaml names (``instance_env``, else this process's),
    supervised: returns once it and everything it started have stopped."""
    instance_env = dict(instance_env or {})
    env = {**os.environ, **instance_env, "DAGSTER_HOME": str(home)}
    dagster = Path(sys.executable).parent / "dagster"
    cmd = [
        str(dagster) if dagster.exists() else "dagster",
        "dev",
        "-w",
        str(workspace or warehouse.PROJECT_ROOT / "workspace.yaml"),
        "-h",
        host,
        "-p",
        str(port),
    ]
    # Dagster imported while dagster dev starts: at the stop, canceling runs is quick.
    threading.Thread(target=importlib.import_module, args=("dagster",), daemon=True).start()
    return supervise(
        cmd,
        env=env,
        cwd=warehouse.PROJECT_ROOT,
        before_term=lambda: cancel_runs_in_progress(home, instance_env),
    )


def cancel_runs_in_progress(home: Path, instance_env: Mapping[str, str] | None = None) -> None:
    """Mark the runs this UI's daemon launched and that are still in progress as being
    canceled: the run workers the stop then interrupts end them CANCELED (an operator's
    stop, not a red failure that the failure sensor reports). Queued runs stay queued for
    the next start; a run of another process (`snapmart backfill`) is left alone."""
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
    from dagster._core.storage.tags import GRPC_INFO_TAG  # set when a code server runs it

    in_progress = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
    with environment(instance_env or {}):  # dagster.yaml's variables, read as it loads
        instance = DagsterInstance.from_config(str(home))
    with instance:
        for run in instance.get_runs(RunsFilter(statuses=in_progress)):
            if GRPC_INFO_TAG in run.tags:
                instance.report_run_canceling(run, message="snapmart ui stopped: run interrupted")
                console.print(f"[dim]run {run.run_id} ({run.job_name}) interrupted: canceled[/]")


# ----------------------------------------------------------------- stopping `dagster dev`
# `dagster dev` runs the webserver and the daemon, which start code servers, which start
# run workers: a tree of processes. It runs in a process group of its own, so a Ctrl-C
# in the terminal reaches this process only, which stops the tree in order.

GRACE_SECONDS = 15.0  # for dagster dev to stop its webserver, daemon and code servers
TERM_SECONDS = 8.0  # for what is left of its process group to exit after SIGTERM
BEFORE_TERM_SECONDS = 10.0  # from the stop, for the hook to finish before that SIGTERM
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def supervise(
    cmd: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    grace: float = GRACE_SECONDS,
    term: float = TERM_SECONDS,
    before_term: Callable[[], object] | None = None,
) -> int:
    """Run ``cmd`` in a process group of its own until it exits or this process is asked to
    stop (SIGINT, SIGTERM, SIGHUP). Asked to stop: SIGINT to ``cmd`` (dagster dev shuts its
    services down), up to ``grace`` seconds for it to exit (a second Ctrl-C cuts that
    short); then, either way, SIGTERM to whatever is left of the group (a code server still
    finishing, a run worker) and SIGKILL to what outlives ``term`` seconds more.
    ``before_term`` starts with the stop and gets up to BEFORE_TERM_SECONDS to finish before
    that SIGTERM, when anyone is left. Returns ``cmd``'s exit code, or 0 when stopped on request."""
    requests: list[int] = []

    def asked_to_stop(signum: int, _frame: object) -> None:
        requests.append(signum)

    previous = {sig: signal.signal(sig, asked_to_stop) for sig in STOP_SIGNALS}
    hook: _Hook | None = None
    try:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, process_group=0)
        try:
            while not requests and not _exited(proc, 0.5):
                pass
            if requests:
                console.print("[dim]Stopping Dagster… (Ctrl-C again to stop it at once)[/]")
                hook = _Hook(before_term) if before_term else None  # alongside the shutdown
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGINT)
                deadline = time.monotonic() + grace
                while len(requests) < 2 and time.monotonic() < deadline:
                    if _exited(proc, 0.2):
                        break
        finally:
            proc.poll()
            if before_term is not None and group_members(proc.pid):
                (hook or _Hook(before_term)).wait(BEFORE_TERM_SECONDS)
            end_process_group(proc, term)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if requests else proc.returncode


class _Hook:
    """A function run in a thread; its failure is reported, never raised: the processes
    are stopped either way."""

    def __init__(self, hook: Callable[[], object]) -> None:
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, args=(hook,), daemon=True)
        self.thread.start()

    @staticmethod
    def _run(hook: Callable[[], object]) -> None:
        try:
            hook()
        except Exception as exc:  # noqa: BLE001 - best effort before stopping
            console.print(f"[dim]before stopping: {type(exc).__name__}: {exc}[/]")

    def wait(self, budget: float) -> None:
        """Until it is done, or ``budget`` seconds after it started."""
        self.thread.join(max(0.0, self.started + budget - time.monotonic()))


def _exited(proc: subprocess.Popen, timeout: float) -> bool:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def end_process_group(proc: subprocess.Popen, term: float = TERM_SECONDS) -> None:
    """SIGTERM to every process left in ``proc``'s group, SIGKILL to those still there
    ``term`` seconds later; returns once the group is empty and ``proc`` reaped."""
    pgid = proc.pid
    for sig in (signal.SIGTERM, signal.SIGKILL):
        proc.poll()  # reap the leader if it is done: a zombie still counts as a member
        left = group_members(pgid)
        if not left:
            break
        console.print(f"[dim]{len(left)} Dagster process(es) still running: {sig.name}[/]")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + term
        while time.monotonic() < deadline:
            proc.poll()
            if not group_members(pgid):
                break
            time.sleep(0.1)
    proc.wait()


def group_members(pgid: int) -> list[int]:
    """The live processes of a process group (zombies, already dead, left out)."""
    proc_fs = Path("/proc")
    if not proc_fs.is_dir():  # no /proc: ask the kernel whether the group has anyone
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in proc_fs.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        # pid (comm) state ppid pgrp …: comm may hold spaces and parentheses
        state, _ppid, pgrp = stat.rpartition(")")[2].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members
