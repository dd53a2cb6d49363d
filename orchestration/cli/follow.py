"""A Dagster run as the CLI shows it: progress bars while it works, drawn from the run's
event log as orchestration/runs.py follows it, and the plain summary after, from what the
assets reported in their materializations and check results (orchestration/defs/)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.progress import Progress, TaskID
from rich.table import Table

from orchestration.cli.exit_codes import ExitCode, most_severe
from orchestration.cli.output import console, err
from orchestration.defs.raw_events import FETCH_FAILED, FETCH_OK, NEW_ROWS, PROGRESS
from orchestration.runtime.locks import is_busy

DBT_OPS = ("dbt_price_facts", "dbt_incremental_facts", "dbt_models")
ALERT_STEPS = ("user_state_raw", "alerts__fct_alert_events", "alerts__alert_deliveries")
FAILED_NODE = "dbt "  # dbt steps log each failed node as "dbt <status>: <type> <name>: …"
# The dbt view of the profile lines the catalogue does not know (orchestration/user_state.py);
# its materialization lists them (orchestration/defs/run_metadata.py).
REJECTED_PROFILE_LINES = "int_user_state__rejected_lines"


def value(metadata: dict[str, Any], name: str, default: Any = None) -> Any:
    """The plain value of metadata entry ``name`` (a Dagster MetadataValue or a raw
    value), or ``default`` when the entry is missing."""
    entry = metadata.get(name)
    return default if entry is None else getattr(entry, "value", entry)


def blocking_check_error(error: Any) -> bool:
    """Whether a step failed because a blocking asset check of it failed (Dagster's
    ``DagsterAssetCheckFailedError``), not for a reason of its own."""
    while error is not None:
        if error.cls_name == "DagsterAssetCheckFailedError":
            return True
        error = error.cause
    return False


def innermost(error: Any) -> str:
    """The user's exception of a step failure, not Dagster's wrappers around it."""
    while error is not None and error.cause is not None:
        error = error.cause
    if error is None:
        return "failed"
    return error.message.strip().splitlines()[-1][:500] if error.message.strip() else "failed"


@dataclass
class SourceLoad:
    """One source's load as its raw assets reported it: files fetched (None: not fetched,
    a replay) and loaded, rows per raw table, rows rejected, seconds per phase."""

    fetched: int | None = None
    files: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class RunView:
    """Follows one run's event log records (``__call__``, from the follower's thread)."""

    bar: Progress
    dbt_total: int = 0
    check_total: int = 0
    loads: dict[str, SourceLoad] = field(default_factory=dict)
    dbt: Counter[str] = field(default_factory=Counter)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # table → metadata
    # how many loaded profile lines the catalogue does not know, as dbt listed them
    profile_lines_rejected: int = 0
    alerts: dict[str, Any] | None = None
    deliveries: dict[str, Any] | None = None
    unknown_deliveries: int = 0
    checks_failed: list[str] = field(default_factory=list)
    blocked: bool = False
    failures: list[str] = field(default_factory=list)  # failed steps, with why
    # why the run failed outside any step (its resources, the executor), when it did
    run_failure: str | None = None
    # steps that failed for another reason than a blocking check of theirs or a busy lock
    other_failures: int = 0
    # steps that could not get their lock in SNAPMART_LOCK_WAIT_SECONDS
    busy: int = 0
    # source → the request its fetch could not get (one line, the FetchError's)
    fetch_failed: dict[str, str] = field(default_factory=dict)
    no_new_rows: list[str] = field(default_factory=list)  # sources whose load brought none
    dbt_failed: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict)
    _tasks: dict[str, TaskID] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def exit_code(self, success: bool) -> ExitCode:
        """The command's exit code for this run (README.md#exit-codes): FETCH_FAILED when a
        source's fetch failed (the run itself succeeds: what arrived is loaded and built),
        CHECK_FAILED when a blocking check failed, BUSY when a step could not get its lock,
        FAILED when a step failed for another reason (or the run failed with no step to
        blame), the most severe when several."""
        codes = [ExitCode.OK]
        if self.fetch_failed:
            codes.append(ExitCode.FETCH_FAILED)
        if self.blocked:
            codes.append(ExitCode.CHECK_FAILED)
        if self.busy:
            codes.append(ExitCode.BUSY)
        if self.other_failures or (not success and not self.blocked and not self.busy):
            codes.append(ExitCode.FAILED)
        return most_severe(codes)

    def done(self, success: bool) -> None:
        """The run is over: a run that succeeded fills its bars (the totals are estimates:
        dbt runs tests Dagster does not count); one that failed leaves them where it got."""
        with self._lock:
            for name, task in self._tasks.items():
                if success:
                    self._finish(name)
                else:
                    self.bar.stop_task(task)

    def __call__(self, record: Any) -> None:
        """Take one event log record (an ``EventLogEntry``): a Dagster event moves the
        bars and fills the summary, a log line (load progress, failed dbt nodes) too."""
        with self._lock:
            if record.dagster_event is None:
                self._log(record)
            else:
                self._event(record, record.dagster_event)

    # ------------------------------------------------------------------ progress
    def _task(self, name: str, description: str, total: int | None = None) -> TaskID:
        if name not in self._tasks:
            self._tasks[name] = self.bar.add_task(description, total=total)
        return self._tasks[name]

    def _finish(self, name: str) -> None:
        task = self._tasks.get(name)
        if task is not None:
            current = self.bar.tasks[task]
            done = current.completed if current.total is None else current.total
            self.bar.update(task, total=max(done, current.completed) or 1, completed=done or 1)

    @staticmethod
    def _kind(step: str) -> str:
        if step.endswith("_raw") and step != "user_state_raw":
            return "load"
        if step.startswith(DBT_OPS):
            return "dbt"
        if step in ALERT_STEPS:
            return "alerts"
        return "checks"

    def _event(self, record: Any, event: Any) -> None:
        step = record.step_key or ""
        kind = self._kind(step) if step else ""
        if event.is_step_start:
            self._started[step] = record.timestamp
            if kind == "load":
                source = step.removesuffix("_raw")
                self._task(step, f"Loading {source}")
            elif kind == "dbt":
                self._task("dbt", "dbt build", self.dbt_total or None)
            elif kind == "checks":
                self._task("checks", "Checks (raw suites, volumes, deliveries)", self.check_total)
            elif kind == "alerts":
                self._task("alerts", "Profiles and alerts", len(ALERT_STEPS))
        elif event.is_step_success or event.is_step_failure:
            started = self._started.pop(step, record.timestamp)
            label = {"load": None, "dbt": "dbt build", "checks": "checks"}.get(
                kind, "profiles + alerts"
            )
            if label:
                self.seconds[label] = self.seconds.get(label, 0.0) + record.timestamp - started
            if kind == "load":
                self._finish(step)
            elif kind == "alerts":
                self.bar.advance(self._task("alerts", "Profiles and alerts"))
            if event.is_step_failure:
                error = event.step_failure_data.error
                why = innermost(error)
                self.failures.append(f"{step}: {why}")
                if blocking_check_error(error):
                    self.blocked = True
                elif is_busy(why):
                    self.busy += 1
                else:
                    self.other_failures += 1
                self.dbt_failed = self.dbt_failed or kind == "dbt"
                # dbt's nodes and the checks say their own; a busy lock is said once, at the end
                if kind in ("load", "alerts") and not is_busy(why):
                    self.bar.console.print(f"  [red]failed[/] {step}: {why}")
        elif event.is_run_failure or event.is_resource_init_failure:
            # outside any step's own failure: its resources, the executor, the instance;
            # the run's own failure names the cause when it has one, a resource's else
            error = getattr(event.event_specific_data, "error", None)
            why = innermost(error) if error is not None else record.user_message or "failed"
            if error is not None or self.run_failure is None:
                self.run_failure = f"{step}: {why}" if step else why
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            self._materialized(event.asset_key, dict(event.materialization.metadata))
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            self._checked(event.event_specific_data)

    def _materialized(self, key: Any, metadata: dict[str, Any]) -> None:
        schema, table = key.path[0], key.path[-1]
        if "status" in metadata and "unique_id" in metadata:  # a dbt model or seed
            self.dbt[str(value(metadata, "status"))] += 1
            self.bar.advance(self._task("dbt", "dbt build", self.dbt_total or None))
            if table == REJECTED_PROFILE_LINES and "rejected_lines" in metadata:
                self.profile_lines_rejected = int(value(metadata, "rows", 0) or 0)
                for line in value(metadata, "rejected_lines") or []:
                    err.print(f"[yellow]profile line rejected:[/] {line['reason']}")
        elif schema == "raw_user_state":
            self.profiles[table] = {k: value(metadata, k) for k in metadata}
        elif schema.startswith("raw_"):
            load = self.loads.setdefault(schema.removeprefix("raw_"), SourceLoad())
            load.rows[table] = int(value(metadata, "rows_loaded_in_run", 0) or 0)
            load.files = int(value(metadata, "files_loaded_in_run", 0) or 0)
            load.rejected = int(value(metadata, "rows_rejected_in_run", 0) or 0)
            if "files_fetched" in metadata:
                load.fetched = int(value(metadata, "files_fetched") or 0)
            if value(metadata, "fetch_error"):  # also when the run has no fetch_ok check
                self.fetch_failed[schema.removeprefix("raw_")] = str(value(metadata, "fetch_error"))
            for stage in ("fetch", "load"):
                if f"{stage}_seconds" in metadata:
                    load.seconds[stage] = float(value(metadata, f"{stage}_seconds"))
        elif key.path == ["alerts", "fct_alert_events"]:
            self.alerts = {k: value(metadata, k) for k in metadata}
        elif key.path == ["alerts", "alert_deliveries"]:
            self.deliveries = {k: value(metadata, k) for k in metadata}

    def _checked(self, check: Any) -> None:
        metadata = dict(check.metadata)
        name = check.check_name
        where = ".".join(check.asset_key.path)
        if "status" in metadata and "unique_id" in metadata:  # a dbt test
            self.dbt[str(value(metadata, "status"))] += 1
            self.bar.advance(self._task("dbt", "dbt build", self.dbt_total or None))
            return
        self.bar.advance(self._task("checks", "Checks", self.check_total))
        source = check.asset_key.path[0].removeprefix("raw_")
        if name == FETCH_OK and not check.passed:
            self.fetch_failed[source] = check.description or value(metadata, "error", "")
            return
        if name == NEW_ROWS:
            if not check.passed and source not in self.no_new_rows:
                self.no_new_rows.append(source)
            return
        if check.passed:
            return
        if name.startswith("gx_"):
            failures = value(metadata, "failures", []) or []
            self.checks_failed.append(
                f"{where}: " + "; ".join(f"{f['expectation']} {f['kwargs']}" for f in failures)
            )
            self.blocked = True
        elif name == "alert_deliveries_unknown":
            self.unknown_deliveries = int(value(metadata, "unknown", 0) or 0)
        else:
            self.checks_failed.append(f"{where}: {name}: {value(metadata, 'anomalous', '')}")
            self.blocked = self.blocked or bool(getattr(check, "blocking", False))

    def _log(self, record: Any) -> None:
        message = record.user_message or ""
        progress = PROGRESS.match(message)
        if message.startswith(FETCH_FAILED):
            return  # said once, at the end (orchestration/cli/tick.py's conclude)
        if progress and record.step_key:
            done, total = int(progress["done"]), int(progress["total"])
            task = self._task(record.step_key, f"Loading {progress['source']}")
            self.bar.update(task, total=total or 1, completed=done if total else 1)
        elif record.level >= 40 and message.startswith(FAILED_NODE):  # logging.ERROR
            status, _, rest = message.removeprefix(FAILED_NODE).partition(": ")
            kind = rest.split(" ", 1)[0]
            if kind != "test":  # a failed test has its check result; a model does not
                self.dbt[status] += 1
            self.bar.console.print(f"  [red]{status}[/] {rest[:300]}")
        elif record.level >= 30 and record.step_key and self._kind(record.step_key) != "dbt":
            err.print(f"[yellow]{record.step_key}:[/] {message[:500]}")


def print_summary(view: RunView) -> None:
    """What the run did: rows per source, dbt's counts, profiles and alerts, failures,
    and where the time went."""
    table = Table(title="Tick summary", show_lines=False)
    table.add_column("source")
    table.add_column("fetched files", justify="right")
    table.add_column("loaded files", justify="right")
    table.add_column("rows loaded", justify="right")
    table.add_column("rejected", justify="right")
    for source, load in view.loads.items():
        rows = {t: n for t, n in load.rows.items() if n}
        table.add_row(
            source,
            "–" if load.fetched is None else str(load.fetched),
            str(load.files),
            ", ".join(f"{k} {v:,}" for k, v in sorted(rows.items())) or "0",
            str(load.rejected),
        )
    if view.loads:
        console.print(table)
    if view.dbt:
        console.print("dbt: " + ", ".join(f"{v} {k}" for k, v in sorted(view.dbt.items())))
    against_catalogue = view.profile_lines_rejected
    if view.profiles:
        rows = {t: value(m, "rows", 0) for t, m in view.profiles.items()}
        rejected = max(value(m, "lines_rejected", 0) or 0 for m in view.profiles.values())
        console.print(
            f"profiles: {rows.get('profiles', 0)} loaded, {rows.get('alert_rules', 0)} "
            f"alert rules, {rows.get('bank_items', 0)} bank lines, "
            f"{rejected + against_catalogue} line(s) rejected"
        )
    elif against_catalogue:
        console.print(f"profiles: {against_catalogue} line(s) rejected")
    if view.alerts is not None and view.deliveries is not None:
        ev, dl = view.alerts, view.deliveries
        console.print(
            f"alerts: {ev['new_events']} new event(s) from {ev['rules']} rule(s) "
            f"({ev['suppressed_by_cooldown']} held back by cooldowns); deliveries: "
            f"{dl['sent']} sent, {dl['still_pending']} pending, {dl['failed']} failed"
        )
    if view.unknown_deliveries:
        console.print(
            f"[red]{view.unknown_deliveries} delivery(ies) now unknown[/] (a run stopped"
            " between sending and recording): see `snapmart alerts status`"
        )
    for failure in view.checks_failed:
        console.print(f"[red]check failed:[/] {failure}")
    seconds = {}
    for source, load in view.loads.items():
        for stage, s in load.seconds.items():
            seconds[f"{stage} {source}"] = s
    seconds.update(view.seconds)
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items())
    if timing:
        console.print(f"[dim]{timing}[/]")
