"""Great Expectations 1.x suites on raw tables, run over an ephemeral GX context.

The suites live with their sources (``ingestion/sources/<source>/checks.py``, each
package's ``SUITES``); :data:`SUITES` gathers those of every registered source.

``dagster-ge`` only speaks GX 0.x, so Dagster sees these through ``@asset_check``s
(see definitions.py) that call :func:`validate_raw_table`. Each suite validates
every dlt load not yet passed (since the ``ops.raw_checks_passed`` watermark), one
load at a time: a tick's checks cost the loads not yet passed, not the table's
history, and a bad load blocks every later tick until it is fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ingestion import sources
from orchestration import warehouse


@dataclass(frozen=True)
class RawSuite:
    """Expectations for one raw table, built fresh per run (some depend on 'now')."""

    schema: str
    table: str
    expectations: Callable[[], list[Any]]
    blocking: bool = True
    description: str = ""


def _registered_suites() -> tuple[RawSuite, ...]:
    """Every registered source's suites (its package's ``SUITES``, ``checks.py``), on the
    tables of its schema ``raw_<source>``."""
    return tuple(
        RawSuite(f"raw_{name}", s.table, s.expectations, s.blocking, s.description)
        for name in sources.ALL_SOURCES
        for s in sources.get(name).SUITES
    )


SUITES: tuple[RawSuite, ...] = _registered_suites()


@dataclass
class SuiteResult:
    """What validating one raw table found: rows validated, whether every load passed, each
    failed expectation (type, arguments, unexpected count and up to five examples, observed
    value, the load), the newest load id, and why nothing was validated, if so."""

    schema: str
    table: str
    success: bool
    rows: int
    failed: list[dict[str, Any]] = field(default_factory=list)
    load_id: str | None = None
    skipped_reason: str | None = None


def _newest_load(info: warehouse.ConnectionInfo, schema: str, table: str) -> tuple[str | None, int]:
    """The newest dlt load that put rows in the table, and how many.

    Candidates come newest first from the dataset's small ``_dlt_loads`` table; each
    is probed through the load-id index (btree or BRIN), so this never scans history.
    """
    from psycopg import sql

    with warehouse.connect(info) as conn:
        exists = conn.execute(
            "select 1 from information_schema.tables where table_schema = %s and table_name = %s",
            (schema, table),
        ).fetchone()
        if not exists:
            return None, 0
        ident = sql.Identifier(schema, table)
        loads = conn.execute(
            sql.SQL(
                "select load_id from {} where status = 0 order by load_id::numeric desc limit 200"
            ).format(sql.Identifier(schema, "_dlt_loads"))
        ).fetchall()
        for (load_id,) in loads:
            rows = conn.execute(
                sql.SQL("select count(*) from {} where _dlt_load_id::numeric = %s").format(ident),
                (load_id,),
            ).fetchone()[0]
            if rows:
                return str(load_id), int(rows)
        return None, 0


PASSED_DDL = """
create schema if not exists ops;
create table if not exists ops.raw_checks_passed (
    schema_name text not null,
    table_name text not null,
    load_id numeric not null,
    passed_at timestamptz not null default now(),
    primary key (schema_name, table_name)
);
"""


def _passed_through(info: warehouse.ConnectionInfo, suite: RawSuite) -> str | None:
    """The newest load of the table whose rows passed the suite (None: never checked)."""
    with warehouse.connect(info, autocommit=True) as conn:
        conn.execute(PASSED_DDL)
        row = conn.execute(
            "select load_id::text from ops.raw_checks_passed"
            " where schema_name = %s and table_name = %s",
            (suite.schema, suite.table),
        ).fetchone()
    return row[0] if row else None


def record_passed(
    suite: RawSuite, load_id: str, info: warehouse.ConnectionInfo | None = None
) -> None:
    """Remember that the table's loads up to ``load_id`` passed the suite."""
    info = info or warehouse.current().info
    with warehouse.connect(info, autocommit=True) as conn:
        conn.execute(PASSED_DDL)
        conn.execute(
            "insert into ops.raw_checks_passed (schema_name, table_name, load_id)"
            " values (%s, %s, %s::numeric) on conflict (schema_name, table_name) do update"
            " set load_id = greatest(ops.raw_checks_passed.load_id, excluded.load_id),"
            " passed_at = now()",
            (suite.schema, suite.table, load_id),
        )


def _unpassed_loads(
    info: warehouse.ConnectionInfo, suite: RawSuite, passed: str, limit: int = 200
) -> list[tuple[str, int]]:
    """(load id, rows) of the completed loads newer than ``passed`` that put rows in the
    table, oldest first (at most ``limit``, the newest). Each is probed through the
    load-id index, as :func:`_newest_load` does."""
    from psycopg import sql

    table = sql.Identifier(suite.schema, suite.table)
    with warehouse.connect(info) as conn:
        loads = conn.execute(
            sql.SQL(
                "select load_id from {} where status = 0 and load_id::numeric > %s::numeric"
                " order by load_id::numeric desc limit %s"
            ).format(sql.Identifier(suite.schema, "_dlt_loads")),
            (passed, limit),
        ).fetchall()
        out = []
        for (candidate,) in loads:
            rows = conn.execute(
                sql.SQL("select count(*) from {} where _dlt_load_id::numeric = %s").format(table),
                (candidate,),
            ).fetchone()[0]
            if rows:
                out.append((str(candidate), int(rows)))
    return out[::-1]


def validate_raw_table(
    suite: RawSuite, load_id: str | None = None, info: warehouse.ConnectionInfo | None = None
) -> SuiteResult:
    """Validate rows of the table against the suite: those of ``load_id`` when given,
    else each load newer than the last one that passed (``ops.raw_checks_passed``),
    load by load, recording the newest of an unbroken run of passes.

    A load that fails stays unpassed, so the next tick validates it again beside its own
    load and is blocked again: a bad load stays out of the marts until it is fixed (its
    rows deleted or corrected), not only for the tick that loaded it. A table never
    checked starts with its newest load. One load at a time, as each tick would have
    checked it: the cost is that of the loads not yet passed, never of the history. In
    ``info`` (by default the warehouse the environment names)."""
    info = info or warehouse.current().info
    if load_id is not None:
        return _validate_load(info, suite, load_id, -1)
    newest, rows = _newest_load(info, suite.schema, suite.table)
    if newest is None:
        return SuiteResult(suite.schema, suite.table, True, 0, skipped_reason="no rows loaded yet")
    passed = _passed_through(info, suite)
    loads = [(newest, rows)]
    if passed is not None and float(passed) < float(newest):
        loads = _unpassed_loads(info, suite, passed) or loads
    elif passed is not None:
        loads = []  # the newest load passed already: nothing new to look at
    total = SuiteResult(suite.schema, suite.table, True, 0, load_id=newest)
    unbroken = True
    for candidate, n in loads:
        result = _validate_load(info, suite, candidate, n)
        total.rows += n
        if result.success and unbroken:
            record_passed(suite, candidate, info)
        else:
            unbroken = False
        if not result.success:
            total.success = False
            total.failed += [{**f, "load_id": candidate} for f in result.failed]
    return total


def _validate_load(
    info: warehouse.ConnectionInfo, suite: RawSuite, load_id: str, rows: int
) -> SuiteResult:
    """The suite over the rows of one dlt load."""
    import great_expectations as gx
    from psycopg import sql

    table = sql.Identifier(suite.schema, suite.table)
    condition = sql.SQL("_dlt_load_id::numeric = {}::numeric").format(sql.Literal(load_id))
    context = gx.get_context(mode="ephemeral")
    _quiet(context)
    datasource = context.data_sources.add_postgres(name="warehouse", connection_string=info.url())
    with warehouse.connect(info) as conn:
        query = sql.SQL("select * from {} where {}").format(table, condition).as_string(conn)
    asset = datasource.add_query_asset(name=f"{suite.table}_load", query=query)
    batch = asset.add_batch_definition_whole_table("load").get_batch()
    gx_suite = gx.ExpectationSuite(name=f"{suite.schema}.{suite.table}")
    for expectation in suite.expectations():
        gx_suite.add_expectation(expectation)
    result = batch.validate(gx_suite)
    failed = []
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            failed.append(
                {
                    "expectation": cfg.type,
                    "kwargs": {k: str(v) for k, v in cfg.kwargs.items() if k != "batch_id"},
                    "unexpected_count": (r.result or {}).get("unexpected_count"),
                    "partial_unexpected": [
                        str(v) for v in ((r.result or {}).get("partial_unexpected_list") or [])[:5]
                    ],
                    "observed_value": str((r.result or {}).get("observed_value")),
                }
            )
    return SuiteResult(
        suite.schema, suite.table, bool(result.success), rows, failed, load_id=load_id
    )


def _quiet(context: Any) -> None:
    """No tqdm bars from inside a Dagster step or our own progress display."""
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
    except Exception:  # older/newer GX without the knob: bars are cosmetic
        pass


def suites_for(schema: str) -> list[RawSuite]:
    """The registered suites on the tables of one schema (``raw_<source>``)."""
    return [s for s in SUITES if s.schema == schema]
