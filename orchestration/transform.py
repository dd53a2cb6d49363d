"""dbt, invoked in-process (dbtRunner) over the one project: by the Dagster dbt assets
(orchestration/defs/transform.py, which every `snapmart` tick runs too), by the benchmark
and by the tests.

The project is parsed once per process (``parsed_manifest``) and every invocation reuses
it: a tick runs several dbt steps (the asset graph splits dbt around the price fact, the
volume checks and the alerts), and each costs its work, not a parse.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion import clock
from orchestration import warehouse
from orchestration.runtime.environ import environment

PROJECT_DIR = warehouse.PROJECT_ROOT

# What profiles.yml reads: a parsed project names its target database in every relation.
PROFILE_ENV = (
    "SNAPMART_PG_HOST", "SNAPMART_PG_PORT", "SNAPMART_PG_USER", "SNAPMART_PG_PASSWORD",
    "SNAPMART_PG_DATABASE", "SNAPMART_PG_ROLE", "SNAPMART_DBT_THREADS",
)  # fmt: skip

_PREPARED: set[str] = set()  # warehouses (URLs) whose tables dbt reads are known to exist


def profile_env(info: warehouse.ConnectionInfo) -> dict[str, str]:
    """The connection as profiles.yml reads it (``env_var('SNAPMART_PG_…')``): dbt works
    as the transformer role (docs/roles.md) on the one login. Each invocation (and the
    parse) has it in its environment while it runs (orchestration/runtime/environ.py)."""
    return {
        "SNAPMART_PG_HOST": info.host,
        "SNAPMART_PG_PORT": str(info.port),
        "SNAPMART_PG_USER": info.user,
        "SNAPMART_PG_PASSWORD": info.password or "",
        "SNAPMART_PG_DATABASE": info.database,
        "SNAPMART_PG_ROLE": warehouse.TRANSFORMER_ROLE,
    }


def dbt_env(wh: warehouse.Warehouse | None = None) -> dict[str, str]:
    """What a dbt invocation on ``wh`` (by default the warehouse the environment names)
    runs with: its connection for profiles.yml; every source's raw tables (and the
    user-state and alerts tables) present (checked once per warehouse and process); the
    tick's clock published for the SQL that compares with "now" (ingestion/clock.py)."""
    from orchestration import metrics, user_state
    from orchestration.alerts import store
    from orchestration.ingest import ensure_raw_tables

    wh = wh or warehouse.current()
    info = wh.info
    prepared = info.url() in _PREPARED
    with warehouse.connect(info, autocommit=True) as conn:
        if not prepared:
            ensure_raw_tables(wh)
            user_state.ensure_tables(wh)
            store.ensure_schema(conn)
        clock.publish(conn)
        if not prepared:
            metrics.ensure_table(conn)
    _PREPARED.add(info.url())
    return profile_env(info)


def target_path() -> Path:
    """dbt's target folder (manifest, run results): DBT_TARGET_PATH, else ``target/``."""
    return Path(os.environ.get("DBT_TARGET_PATH", PROJECT_DIR / "target"))


@dataclass
class NodeResult:
    """One dbt node's outcome: name, resource type, status, message, seconds, failures."""

    name: str
    resource_type: str
    status: str
    message: str | None
    seconds: float
    failures: int | None


@dataclass
class BuildResult:
    """A dbt invocation's outcome: success, each node's result, the error that stopped it."""

    success: bool
    nodes: list[NodeResult] = field(default_factory=list)
    error: str | None = None

    def failed(self) -> list[NodeResult]:
        """The nodes that errored or failed."""
        return [n for n in self.nodes if n.status in ("error", "fail", "runtime error")]

    def counts(self) -> dict[str, int]:
        """How many nodes ended in each status."""
        out: dict[str, int] = {}
        for n in self.nodes:
            out[n.status] = out.get(n.status, 0) + 1
        return out


# Unit tests pin formulas to hand-worked fixtures: they say nothing about new data, so a
# tick (`snapmart refresh`, the Dagster jobs) skips them (≈ 1 s each, most of a small
# tick); `snapmart transform` and `make test` run them.
SKIP_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]

# A tick's data tests on the big facts look only at the rows it can have changed
# (macros/test_window.sql): the epoch the tick started at, read by dbt at run time (an
# environment variable, not a --vars value, which would make dbt re-parse the project).
TESTS_SINCE_ENV = "SNAPMART_TESTS_SINCE_LOAD"


def tests_since(epoch: float | None) -> dict[str, str | None]:
    """The invocation's environment for data tests of models with a ``tick_test_window``
    to see only rows loaded since ``epoch`` (and older rows sharing their times); None:
    all rows (the variable unset)."""
    return {TESTS_SINCE_ENV: None if epoch is None else f"{epoch:.6f}"}


def dbt_args(
    command: str,
    select: str | None = None,
    full_refresh: bool = False,
    exclude: str | None = None,
    unit_tests: bool = True,
) -> list[str]:
    """dbt's arguments for ``command`` on this project (project, profiles and target
    folders), with the selection, ``--full-refresh`` and, unless ``unit_tests``, the unit
    tests excluded."""
    args = [
        command,
        "--no-send-anonymous-usage-stats",
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
    if command in WRITING_COMMANDS:
        args += quiet_files()
    return args


WRITING_COMMANDS = ("build", "run", "test", "seed", "snapshot")


def quiet_files() -> list[str]:
    """What a build writes to disk beside the warehouse: dbt's log file at ``info`` (not
    its default ``debug``: a line per SQL statement, a tenth of a build's time), and no
    manifest.json or run_results.json (the invocation runs on the manifest parsed once;
    its results reach us as events). ``DBT_LOG_LEVEL_FILE`` and ``DBT_WRITE_JSON`` in
    the environment bring dbt's defaults back for debugging."""
    import os

    args = [] if os.environ.get("DBT_LOG_LEVEL_FILE") else ["--log-level-file", "info"]
    return args if os.environ.get("DBT_WRITE_JSON") else [*args, "--no-write-json"]


def project_files() -> list[Path]:
    """Every file the dbt project is parsed from (a newer one means a new parse)."""
    files = [PROJECT_DIR / "dbt_project.yml", PROJECT_DIR / "profiles.yml"]
    return files + [p for p in (PROJECT_DIR / "dbt_project").rglob("*") if p.is_file()]


_PARSED: dict[tuple[Any, ...], Any] = {}


def parsed_manifest(env: Mapping[str, str]) -> Any:
    """dbt's parsed project (a ``Manifest``) for the connection ``env`` (``dbt_env``),
    parsed at most once per process while the project's files, the connection
    (profiles.yml) and the target path stay the same, and handed to every invocation, as
    dbt's programmatic invocations allow (no copy: dbt 1.11's Manifest does not survive
    pickling or deepcopy)."""
    from dbt.cli.main import dbtRunner

    profile = {k: env.get(k, os.environ.get(k)) for k in PROFILE_ENV}
    key = (
        max(p.stat().st_mtime_ns for p in project_files()),
        tuple(profile.values()),
        str(target_path()),
    )
    if key not in _PARSED:
        with environment(env):
            res = dbtRunner().invoke([*dbt_args("parse"), "--quiet"])
        if not res.success:
            raise RuntimeError(f"dbt parse failed: {res.exception}")
        _PARSED.clear()
        _PARSED[key] = res.result
    return _PARSED[key]


# dbt's structured events a run reports per node: NodeFinished (the CLI's progress and
# counts) and the Log*Result events dagster-dbt turns into materializations and checks.
RESULT_EVENTS = frozenset(
    {"NodeFinished", "LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"}
)


@dataclass
class Invocation:
    """How one dbt invocation ended: success, the error that stopped it, its nodes."""

    success: bool = False
    error: str | None = None
    nodes: list[NodeResult] = field(default_factory=list)


def stream(
    args: list[str],
    tests_since_load: float | None = None,
    wh: warehouse.Warehouse | None = None,
) -> Iterator[dict[str, Any]]:
    """Run dbt in-process (in a worker thread) on the parsed project, on ``wh`` (by
    default the warehouse the environment names); yield each node's result events as
    dbt's JSON log writes them, as they happen; return an Invocation.

    A scheduled tick passes ``tests_since_load`` (when it started): the big facts' data
    tests need only look at what the tick loaded (macros/test_window.sql)."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    env = dbt_env(wh)
    events: queue.Queue[Any] = queue.Queue()
    done = object()
    out = Invocation()

    def callback(event: Any) -> None:  # called from dbt's threads
        if event.info.name in RESULT_EVENTS:
            raw = msg_to_dict(event)
            if event.info.name == "NodeFinished":
                out.nodes.append(result_node(raw))
            events.put(raw)

    def work() -> None:
        try:
            manifest = parsed_manifest(env)
            with environment({**env, **tests_since(tests_since_load)}):
                quiet = [] if "--log-level" in args else ["--quiet"]
                res = dbtRunner(manifest=manifest, callbacks=[callback]).invoke([*args, *quiet])
            out.success = bool(res.success)
            if res.exception is not None:
                out.error = f"{type(res.exception).__name__}: {res.exception}"
        except Exception as exc:  # noqa: BLE001 - reported as the invocation's error
            out.error = f"{type(exc).__name__}: {exc}"
        finally:
            events.put(done)

    worker = threading.Thread(target=work, name="dbt", daemon=True)
    worker.start()
    while (event := events.get()) is not done:
        yield event
    worker.join()
    return out


def run_dbt(
    command: str = "build",
    select: str | None = None,
    full_refresh: bool = False,
    on_node: Callable[[NodeResult], None] | None = None,
    exclude: str | None = None,
    unit_tests: bool = True,
    tests_since_load: float | None = None,
    wh: warehouse.Warehouse | None = None,
) -> BuildResult:
    """dbt build (or another command) on ``wh`` (by default the warehouse the environment
    names), reporting each node as it finishes."""
    args = dbt_args(command, select, full_refresh, exclude, unit_tests)
    events = stream(args, tests_since_load, wh)
    while True:
        try:
            event = next(events)
        except StopIteration as stop:
            result: Invocation = stop.value
            break
        if on_node and event["info"]["name"] == "NodeFinished":
            on_node(result_node(event))
    return BuildResult(success=result.success, nodes=result.nodes, error=result.error)


def result_node(event: dict[str, Any]) -> NodeResult:
    """A NodeFinished event (as a dict) as a NodeResult."""
    data, result = event["data"], event["data"].get("run_result", {})
    return NodeResult(
        name=data["node_info"]["node_name"],
        resource_type=data["node_info"]["resource_type"],
        status=str(result.get("status", "")),
        message=result.get("message") or None,
        seconds=float(result.get("execution_time") or 0.0),
        failures=result.get("num_failures") or None,
    )


def ensure_built(
    unique_ids: Iterable[str], wh: warehouse.Warehouse, parents_only: bool = False
) -> None:
    """Build the given dbt nodes (or, ``parents_only``, what they read) and their
    ancestors, those the warehouse does not hold yet.

    A source's tick (its Dagster job, `snapmart refresh --source`, a backfill) rebuilds
    only what lies downstream of that source, and reads things it does not own (seeds,
    other sources' views, dimensions): on a fresh warehouse those do not exist yet, and
    are built first, once, with their tests. On a built warehouse this is one catalogue
    query."""
    nodes = parsed_manifest(profile_env(wh.info)).nodes
    given = set(unique_ids)
    wanted: set[str] = set() if parents_only else set(given)
    frontier = list(given)
    while frontier:
        node = nodes.get(frontier.pop())
        for parent in getattr(getattr(node, "depends_on", None), "nodes", ()):  # seeds: none
            if parent in nodes and parent not in wanted and parent not in given:
                wanted.add(parent)
                frontier.append(parent)
    relations = {
        uid: (nodes[uid].schema, nodes[uid].alias or nodes[uid].name)
        for uid in wanted
        if nodes[uid].resource_type in ("model", "seed", "snapshot")
        and nodes[uid].config.materialized != "ephemeral"
    }
    if not relations:
        return
    from orchestration.runtime import locks

    # one process at a time (the lock names its holder when the wait runs out)
    with locks.setup(wh.info, "first-build"), wh.connect(autocommit=True) as conn:
        schemas, names = zip(*relations.values(), strict=True)
        existing = set(
            conn.execute(
                """select n.nspname, c.relname from pg_class as c
                join pg_namespace as n on n.oid = c.relnamespace
                where (n.nspname, c.relname) in (
                    select * from unnest(%s::text[], %s::text[]))""",
                (list(schemas), list(names)),
            ).fetchall()
        )
        missing = sorted(nodes[uid].name for uid, rel in relations.items() if rel not in existing)
        if not missing:
            return
        result = run_dbt("build", " ".join(missing), unit_tests=False, wh=wh)
        if not result.success:
            failed = ", ".join(n.name for n in result.failed()) or result.error
            raise RuntimeError(f"building what this run reads failed: {failed}")


def model_ids(names: Iterable[str], wh: warehouse.Warehouse) -> list[str]:
    """The unique ids of the project's models (or seeds) of these names."""
    wanted = set(names)
    return [
        uid for uid, n in parsed_manifest(profile_env(wh.info)).nodes.items() if n.name in wanted
    ]
