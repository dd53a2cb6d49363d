"""The analyst probe battery: what ``snapmart_analyst`` tries and must be refused
(docs/roles.md#what-the-analyst-cannot-do).

It logs in as the analyst, as a BI tool would with `snapmart db url`, and tries to write
and truncate every mart, create tables (in ``marts``, in ``public``, a schema, a
temporary one), drop a mart, become another role, read server files, connect to the
server's other databases, read every relation outside ``marts`` (raw, staging,
intermediate, reference, profiles, alerts, ops, ...), list them through
``information_schema`` and find a profile column in ``marts``. What to try is listed as
the login user, so a schema or table added later is probed too.

Every statement runs in a transaction that is rolled back, and writes touch no row
(``where false``): on a misconfigured warehouse a probe that goes through changes no
table (a ``COPY … TO`` file that went through would be the one thing left, on the
server). A probe is ``denied`` only when PostgreSQL refuses it for want of a privilege
(SQLSTATE 42501, or a refused connection); any other error is an ``error``, never
counted as denied.

PostgreSQL cannot hide the system catalogues: ``pg_class`` and ``pg_namespace`` are
readable by every role, so the analyst can list the names (not the contents) of raw
tables there. That probe is in the battery, reported ``allowed`` and marked
``visible_by_design``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

import psycopg
from psycopg import sql

from orchestration.runtime.connection import ConnectionInfo, WarehouseError
from orchestration.runtime.roles import (
    ANALYST_ROLE,
    LOADER_ROLE,
    MARTS_SCHEMA,
    SERVER_DATABASES,
    TRANSFORMER_ROLE,
)

Outcome = Literal["denied", "allowed", "error"]
PRIVILEGE_SQLSTATE = "42501"  # insufficient_privilege
PROBE_NAME = "snapmart_probe"  # what the DDL probes would create (nothing, when denied)
# Schemas every database has, holding PostgreSQL's own objects, not ours.
NOT_OURS = (
    "n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'"
)
_OUTSIDE = "table_schema not in ('marts', 'pg_catalog', 'information_schema')"
# What the analyst may not even list: information_schema shows only what a role holds a
# privilege on, so each query must return no row.
LISTINGS = {
    "information_schema.tables": (
        "select table_schema || '.' || table_name from information_schema.tables"
        f" where {_OUTSIDE} order by 1"
    ),
    "information_schema.columns": (
        "select distinct table_schema || '.' || table_name from information_schema.columns"
        f" where {_OUTSIDE} order by 1"
    ),
    "information_schema.schemata": (
        "select schema_name from information_schema.schemata where schema_name not in"
        " ('marts', 'pg_catalog', 'information_schema') and schema_name !~ '^pg_(toast|temp)'"
        " order by 1"
    ),
    "a profile column in marts": (
        "select table_name || '.' || column_name from information_schema.columns"
        " where table_schema = 'marts' and column_name = 'profile_id' order by 1"
    ),
}
# The system catalogues are readable by every role: raw table names (not contents) show.
CATALOG_LISTING = (
    "select n.nspname || '.' || c.relname from pg_class as c"
    " join pg_namespace as n on n.oid = c.relnamespace"
    " where n.nspname like 'raw\\_%' and c.relkind in ('r', 'p') order by 1"
)


@dataclass(frozen=True)
class ProbeResult:
    """One probe: its ``kind`` (write, ddl, temp, role, server, connect, read, listing,
    catalog), ``target`` (a relation, a database, a role), the statement tried, its
    ``outcome`` (denied, allowed, error) and ``detail`` (PostgreSQL's message, or what went
    through). ``visible_by_design``: allowed because PostgreSQL gives it to every role
    (the system catalogues), documented in docs/roles.md."""

    kind: str
    target: str
    statement: str
    outcome: Outcome
    detail: str
    visible_by_design: bool = False

    @property
    def denied(self) -> bool:
        """Whether PostgreSQL refused it for want of a privilege."""
        return self.outcome == "denied"


def analyst_info(
    info: ConnectionInfo, passwords: Mapping[str, str] | None = None
) -> ConnectionInfo:
    """How the analyst logs in to ``info``'s warehouse: with its password from the embedded
    server's ``passwords``, else none (an external server's trust, ``.pgpass`` or
    ``PGPASSWORD``)."""
    password = (passwords or {}).get(ANALYST_ROLE)
    return ConnectionInfo(info.host, info.port, ANALYST_ROLE, password, info.database)


def _message(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    text = (diag.message_primary if diag is not None else None) or str(exc)
    return " ".join(text.split())


def _try(
    conn: psycopg.Connection, kind: str, target: str, statement: sql.Composable
) -> ProbeResult:
    """Run ``statement`` as the analyst in a transaction that is rolled back whatever
    happens; denied when refused for want of a privilege."""
    text = statement.as_string(conn)
    try:
        with conn.transaction(force_rollback=True):
            cur = conn.execute(statement)
            rows = cur.rowcount
        return ProbeResult(kind, target, text, "allowed", f"went through ({rows} rows)")
    except psycopg.Error as exc:
        outcome: Outcome = "denied" if exc.sqlstate == PRIVILEGE_SQLSTATE else "error"
        return ProbeResult(kind, target, text, outcome, _message(exc))


def _rows(conn: psycopg.Connection, kind: str, target: str, query: str) -> ProbeResult:
    """A listing probe: denied when the analyst's query returns no row (PostgreSQL hides
    what it has no privilege on), allowed with the first names it does return."""
    try:
        with conn.transaction(force_rollback=True):
            found = [r[0] for r in conn.execute(query).fetchall()]
    except psycopg.Error as exc:
        outcome: Outcome = "denied" if exc.sqlstate == PRIVILEGE_SQLSTATE else "error"
        return ProbeResult(kind, target, query, outcome, _message(exc))
    if not found:
        return ProbeResult(kind, target, query, "denied", "no rows: nothing listed")
    shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    return ProbeResult(kind, target, query, "allowed", f"{len(found)} listed: {shown}")


def _connect(analyst: ConnectionInfo, database: str) -> ProbeResult:
    """Log in as the analyst to another ``database`` of the server."""
    url = ConnectionInfo(analyst.host, analyst.port, analyst.user, analyst.password, database).url()
    statement = f"connect to database {database}"
    try:
        with psycopg.connect(url, connect_timeout=10):
            return ProbeResult("connect", database, statement, "allowed", "connected")
    except psycopg.OperationalError as exc:
        text = _message(exc)
        # libpq reports the server's refusal as text only (no SQLSTATE on a failed login)
        denied = "permission denied for database" in text or (exc.sqlstate == PRIVILEGE_SQLSTATE)
        return ProbeResult("connect", database, statement, "denied" if denied else "error", text)


@dataclass(frozen=True)
class _Targets:
    marts: list[tuple[str, str]]  # (table, its first column): the write probes
    others: list[tuple[str, str]]  # (schema, relation) outside marts: the read probes
    databases: list[str]  # the server's databases the analyst must not reach


def _targets(info: ConnectionInfo) -> _Targets:
    """What to probe, listed as the login user: every mart table with a column, every
    relation outside ``marts`` and the system schemas, and the server's databases that are
    no warehouse (``postgres``, ``template1``, the warehouse's Dagster database)."""
    with psycopg.connect(info.url(), autocommit=True) as conn:
        marts = conn.execute(
            """
            select c.relname, a.attname
            from pg_class as c
            join pg_namespace as n on n.oid = c.relnamespace
            join pg_attribute as a on a.attrelid = c.oid and a.attnum = 1
            where n.nspname = %s and c.relkind in ('r', 'p')
            order by c.relname
            """,
            (MARTS_SCHEMA,),
        ).fetchall()
        others = conn.execute(
            f"""
            select n.nspname, c.relname
            from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and n.nspname <> %s
                and {NOT_OURS}
            order by n.nspname, c.relname
            """,
            (MARTS_SCHEMA,),
        ).fetchall()
        # The Dagster instance's database (orchestration/dagster_home.py) sits next to it.
        wanted = [*SERVER_DATABASES, f"{info.database}_dagster"]
        present = {
            r[0]
            for r in conn.execute(
                "select datname from pg_database where datname = any(%s)", (wanted,)
            ).fetchall()
        }
    return _Targets(marts, others, [d for d in wanted if d in present])


def analyst_probes(
    info: ConnectionInfo, passwords: Mapping[str, str] | None = None
) -> list[ProbeResult]:
    """Run the battery against ``info``'s warehouse (prepared, marts built): one
    ``ProbeResult`` per probe, in a stable order. ``passwords``: the embedded server's
    (``Warehouse.passwords()``), for the analyst's login; None on an external server,
    where the analyst logs in as libpq allows. WarehouseError when the analyst cannot
    log in to the warehouse at all (nothing would be probed)."""
    targets = _targets(info)
    analyst = analyst_info(info, passwords)
    try:
        conn = psycopg.connect(analyst.url(), connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise WarehouseError(
            f"Cannot log in as {ANALYST_ROLE} to {analyst.redacted()} to probe it: {_message(exc)}"
        ) from None
    results: list[ProbeResult] = []
    with conn:
        for table, column in targets.marts:
            rel = sql.Identifier(MARTS_SCHEMA, table)
            col = sql.Identifier(column)
            target = f"{MARTS_SCHEMA}.{table}"
            for statement in (
                sql.SQL("insert into {} select * from {} where false").format(rel, rel),
                sql.SQL("update {} set {} = {} where false").format(rel, col, col),
                sql.SQL("delete from {} where false").format(rel),
                sql.SQL("truncate {}").format(rel),
            ):
                results.append(_try(conn, "write", target, statement))
        create = sql.SQL("create table {} (i int)")
        others: list[tuple[str, str, sql.Composable]] = [
            ("ddl", f"{MARTS_SCHEMA}.{PROBE_NAME}", create.format(
                sql.Identifier(MARTS_SCHEMA, PROBE_NAME))),
            ("ddl", f"public.{PROBE_NAME}", create.format(sql.Identifier("public", PROBE_NAME))),
            ("ddl", f"schema {PROBE_NAME}", sql.SQL("create schema {}").format(
                sql.Identifier(PROBE_NAME))),
            ("temp", f"temporary table {PROBE_NAME}", sql.SQL(
                "create temporary table {} (i int)").format(sql.Identifier(PROBE_NAME))),
            ("server", "pg_read_file", sql.SQL("select pg_read_file('PG_VERSION')")),
            ("server", "copy to a server file", sql.SQL("copy (select 1) to {}").format(
                sql.Literal(f"/tmp/{PROBE_NAME}"))),
        ]  # fmt: skip
        if targets.marts:
            first = targets.marts[0][0]
            others.append(("ddl", f"{MARTS_SCHEMA}.{first}", sql.SQL("drop table {}").format(
                sql.Identifier(MARTS_SCHEMA, first))))  # fmt: skip
        for role in (LOADER_ROLE, TRANSFORMER_ROLE, info.user):  # the login: a superuser
            others.append(("role", role, sql.SQL("set role {}").format(sql.Identifier(role))))
        for schema, relation in targets.others:
            others.append((
                "read", f"{schema}.{relation}",
                sql.SQL("select 1 from {} limit 0").format(sql.Identifier(schema, relation)),
            ))  # fmt: skip
        for kind, target, statement in others:
            results.append(_try(conn, kind, target, statement))
        for target, query in LISTINGS.items():
            results.append(_rows(conn, "listing", target, query))
        catalog = _rows(conn, "catalog", "raw table names in pg_class", CATALOG_LISTING)
        # allowed is what PostgreSQL does (docs/roles.md), still counted as not denied
        results.append(replace(catalog, visible_by_design=catalog.outcome == "allowed"))
    for database in targets.databases:
        results.append(_connect(analyst, database))
    return results


def unreadable_marts(
    info: ConnectionInfo, passwords: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The positive control: every relation in ``marts`` the analyst cannot read, with
    PostgreSQL's message (empty when it reads them all)."""
    with psycopg.connect(info.url(), autocommit=True) as conn:
        relations = [
            r[0]
            for r in conn.execute(
                """
                select c.relname from pg_class as c
                join pg_namespace as n on n.oid = c.relnamespace
                where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm')
                order by 1
                """,
                (MARTS_SCHEMA,),
            ).fetchall()
        ]
    failed: dict[str, str] = {}
    with psycopg.connect(analyst_info(info, passwords).url(), autocommit=True) as conn:
        for relation in relations:
            try:
                conn.execute(
                    sql.SQL("select 1 from {} limit 1").format(
                        sql.Identifier(MARTS_SCHEMA, relation)
                    )
                )
            except psycopg.Error as exc:
                failed[relation] = _message(exc)
    return failed


def summary(results: list[ProbeResult]) -> dict[str, int]:
    """``analyst_probes`` (tried), ``analyst_probes_denied``, and
    ``analyst_probes_visible_by_design`` (allowed because PostgreSQL shows the system
    catalogues to every role)."""
    return {
        "analyst_probes": len(results),
        "analyst_probes_denied": sum(r.denied for r in results),
        "analyst_probes_visible_by_design": sum(r.visible_by_design for r in results),
    }
