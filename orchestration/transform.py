"""dbt, invoked in-process for the CLI (Dagster uses dagster-dbt over the same project)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ingestion import clock
from orchestration import warehouse

PROJECT_DIR = warehouse.PROJECT_ROOT


def dbt_env() -> None:
    """Connection from the one warehouse setting; every source's raw tables (and the
    user-state and alerts tables) present; the tick's clock published for the SQL that
    compares with "now" (ingestion/clock.py)."""
    from orchestration import metrics, user_state
    from orchestration.alerts import store
    from orchestration.ingest import ensure_raw_tables

    warehouse.ensure_warehouse()
    ensure_raw_tables()
    user_state.ensure_tables()
    store.ensure_schema()
    with warehouse.connect(autocommit=True) as conn:
        clock.publish(conn)
        metrics.ensure_table(conn)
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    os.environ.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR))


def target_path() -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH", PROJECT_DIR / "target"))


@dataclass
class NodeResult:
    name: str
    resource_type: str
    status: str
    message: str | None
    seconds: float
    failures: int | None


@dataclass
class BuildResult:
    success: bool
    nodes: list[NodeResult] = field(default_factory=list)
    error: str | None = None

    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in ("error", "fail", "runtime error")]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.nodes:
            out[n.status] = out.get(n.status, 0) + 1
        return out


# Unit tests pin formulas to hand-worked fixtures: they say nothing about new data, so a
# scheduled tick skips them (≈ 1 s each, most of a small tick); full builds, `snapmart
# transform` and `make test` run them.
SKIP_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]

# A tick's data tests on the big facts look only at the rows it can have changed
# (macros/test_window.sql): the epoch the tick started at, read by dbt at run time (an
# environment variable, not a --vars value, which would make dbt re-parse the project).
TESTS_SINCE_ENV = "SNAPMART_TESTS_SINCE_LOAD"


@contextmanager
def tests_since(epoch: float | None) -> Iterator[None]:
    """Data tests of models with a ``tick_test_window`` see only rows loaded since
    ``epoch`` (and older rows sharing their times) while the block runs; None: all rows."""
    saved = os.environ.pop(TESTS_SINCE_ENV, None)
    if epoch is not None:
        os.environ[TESTS_SINCE_ENV] = f"{epoch:.6f}"
    try:
        yield
    finally:
        os.environ.pop(TESTS_SINCE_ENV, None)
        if saved is not None:
            os.environ[TESTS_SINCE_ENV] = saved


def dbt_args(
    command: str,
    select: str | None = None,
    full_refresh: bool = False,
    exclude: str | None = None,
    unit_tests: bool = True,
) -> list[str]:
    args = [
        command,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target_path()),
    ]
    if select:
        args += ["--select", select]
    if exclude:
        args += ["--exclude", exclude]
    if full_refresh:
        args.append("--full-refresh")
    if not unit_tests:
        args += SKIP_UNIT_TESTS
    return args


def run_dbt(
    command: str = "build",
    select: str | None = None,
    full_refresh: bool = False,
    on_node: Callable[[NodeResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    exclude: str | None = None,
    unit_tests: bool = True,
    tests_since_load: float | None = None,
) -> BuildResult:
    """dbt build (or another command) through dbtRunner, reporting each node as it finishes.

    A scheduled tick passes ``unit_tests=False`` and ``tests_since_load`` (when it
    started): fixtures say nothing about new data, and the big facts' data tests need
    only look at what the tick loaded."""
    from dbt.cli.main import dbtRunner

    dbt_env()
    nodes: list[NodeResult] = []

    def callback(event) -> None:  # dbt's structured events
        name = event.info.name
        if name == "NodeFinished":
            ri = event.data.run_result
            node = NodeResult(
                name=event.data.node_info.node_name,
                resource_type=event.data.node_info.resource_type,
                status=str(ri.status),
                message=ri.message or None,
                seconds=float(ri.execution_time or 0.0),
                failures=ri.num_failures or None,
            )
            nodes.append(node)
            if on_node:
                on_node(node)
        elif name == "ConcurrencyLine" and on_start:
            on_start(int(event.data.node_count))

    runner = dbtRunner(callbacks=[callback])
    with tests_since(tests_since_load):
        res = runner.invoke(
            [*dbt_args(command, select, full_refresh, exclude, unit_tests), "--quiet"]
        )
    error = None
    if res.exception is not None:
        error = f"{type(res.exception).__name__}: {res.exception}"
    return BuildResult(success=bool(res.success), nodes=nodes, error=error)


def ensure_built() -> None:
    """A warehouse that was never built gets one full build first.

    A source's tick (Dagster job, backfill) rebuilds only what lies downstream of that
    source, and reads things it does not own (seeds, other sources' views, dimensions):
    on a fresh warehouse those do not exist yet, and the first scheduled tick would fail.
    """
    with warehouse.connect(autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(hashtext('snapmart.first_build'))")
        try:
            built = conn.execute("select to_regclass('marts.fct_price_observations')").fetchone()
            if built[0] is not None:
                return
            result = run_dbt("build")
            if not result.success:
                failed = ", ".join(n.name for n in result.failed()) or result.error
                raise RuntimeError(f"the first build of the warehouse failed: {failed}")
        finally:
            conn.execute("select pg_advisory_unlock(hashtext('snapmart.first_build'))")
