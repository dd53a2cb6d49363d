"""Landing → raw with dlt: the load half of every source, written once.

A source module declares, per landing endpoint, the raw table it feeds (name,
merge key, column types) and a ``parse`` function that turns one landing file
into rows and :class:`Reject`s. This module turns that into dlt resources that

* read only the files not loaded yet (``landing_files`` remembers each file's
  content hash, in the same load package as the rows, so state and data commit
  together),
* send every bad record, and every file that does not parse at all, to
  ``rejected_records`` with a reason, never blocking the good records,
* hand rows to dlt as Arrow tables and load them with COPY (csv), because a
  row-dict normalizer is an order of magnitude slower at snapshot sizes,
* merge on the declared key, so loading the same bucket twice keeps one row.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.pipeline import LoadInfo

from ingestion.landing import LandingFile, LoadedFile, pending_files

PAYLOAD_LIMIT = 100_000  # characters of a rejected payload kept in the table; the file keeps all
BATCH_ROWS = 100_000

_ARROW_TYPES: dict[str, pa.DataType] = {
    "bigint": pa.int64(),
    "double": pa.float64(),
    "decimal": pa.float64(),
    "text": pa.string(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "json": pa.string(),
}


@dataclass(frozen=True)
class Reject:
    """A record that breaks the contract: where it was, why, and what it said."""

    record_pointer: str
    reason: str
    payload: Any = None


@dataclass(frozen=True)
class TableSpec:
    """One raw table: its merge key and typed columns (name → dlt data type)."""

    name: str
    primary_key: tuple[str, ...]
    columns: dict[str, str]
    nullable: frozenset[str] = field(default_factory=frozenset)
    indexes: tuple[tuple[str, ...], ...] = ()

    def dlt_columns(self) -> dict[str, dict[str, Any]]:
        cols = {
            name: {"data_type": dtype, "nullable": name in self.nullable}
            for name, dtype in self.columns.items()
        }
        return cols

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [
                pa.field(name, _ARROW_TYPES[dtype], nullable=name in self.nullable)
                for name, dtype in self.columns.items()
            ]
        )


Parser = Callable[[LandingFile], Iterable[dict[str, Any] | Reject]]


@dataclass(frozen=True)
class EndpointSpec:
    """A landing endpoint directory, the raw table it feeds, and how to parse its files."""

    endpoint: str
    table: TableSpec
    parse: Parser


LANDING_FILES = TableSpec(
    name="landing_files",
    primary_key=("path",),
    columns={
        "path": "text",
        "endpoint": "text",
        "sha256": "text",
        "bytes": "bigint",
        "modified_ns": "bigint",
        "captured_at": "timestamp",
        "loaded_at": "timestamp",
        "rows_loaded": "bigint",
        "rows_rejected": "bigint",
        "landing_file": "text",
    },
    nullable=frozenset({"modified_ns"}),
)

REJECTED_RECORDS = TableSpec(
    name="rejected_records",
    primary_key=("landing_file", "record_pointer"),
    columns={
        "landing_file": "text",
        "record_pointer": "text",
        "reason": "text",
        "payload": "text",
        "rejected_at": "timestamp",
        "captured_at": "timestamp",
    },
    nullable=frozenset({"payload", "captured_at"}),
)


def _payload_text(payload: Any) -> str | None:
    if payload is None:
        return None
    text = payload if isinstance(payload, str) else json.dumps(payload, default=str)
    return text[:PAYLOAD_LIMIT]


def _table(spec: TableSpec, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=spec.arrow_schema())


def landing_resource(
    source: str,
    spec: EndpointSpec,
    loaded: dict[str, LoadedFile],
    root: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> Any:
    """A dlt resource named after the raw table, reading its endpoint's pending files."""

    def read() -> Iterator[Any]:
        buffered: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        files: list[dict[str, Any]] = []
        loaded_at = datetime.now(UTC)

        def flush() -> Iterator[Any]:
            if buffered:
                yield dlt.mark.with_table_name(_table(spec.table, buffered), spec.table.name)
                buffered.clear()
            if rejected:
                yield dlt.mark.with_table_name(
                    _table(REJECTED_RECORDS, rejected), "rejected_records"
                )
                rejected.clear()
            if files:
                yield dlt.mark.with_table_name(_table(LANDING_FILES, files), "landing_files")
                files.clear()

        for item in pending_files(source, loaded, [spec.endpoint], root):
            if isinstance(item, tuple):  # a name that breaks the contract
                path, reason = item
                rel = f"{source}/{path.parent.name}/{path.name}"
                rejected.append(_reject_row(rel, None, Reject("$file", reason), loaded_at))
                files.append(_file_row(rel, path, None, loaded_at, 0, 1))
                continue
            n_ok = n_bad = 0
            try:
                for record in spec.parse(item):
                    if isinstance(record, Reject):
                        n_bad += 1
                        rejected.append(
                            _reject_row(item.relative, item.captured_at, record, loaded_at)
                        )
                    else:
                        record.setdefault("landing_file", item.relative)
                        record.setdefault("captured_at", item.captured_at)
                        buffered.append(record)
                        n_ok += 1
            except Exception as exc:  # a file that does not parse at all: keep what parsed before
                n_bad += 1
                raw = _safe_text(item)
                reason = f"unparseable {item.ext} file: {type(exc).__name__}: {exc}"
                rejected.append(
                    _reject_row(
                        item.relative, item.captured_at, Reject("$file", reason, raw), loaded_at
                    )
                )
            files.append(_file_row(item.relative, item.path, item, loaded_at, n_ok, n_bad))
            if progress:
                progress(spec.endpoint, 1)
            if len(buffered) >= BATCH_ROWS:
                yield from flush()
        yield from flush()

    # Each table gets its own variant of hints: variants start from the resource's
    # hints, so the resource itself carries none that belong to one table only.
    resource = dlt.resource(read, name=spec.table.name, write_disposition="merge")
    for extra in (spec.table, REJECTED_RECORDS, LANDING_FILES):
        resource.apply_hints(
            table_name=extra.name,
            write_disposition="merge",
            primary_key=list(extra.primary_key),
            columns=extra.dlt_columns(),
            create_table_variant=True,
        )
    return resource


def _safe_text(item: LandingFile) -> str:
    try:
        return item.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        return f"<unreadable: {exc}>"


def _reject_row(
    rel: str, captured_at: datetime | None, rej: Reject, at: datetime
) -> dict[str, Any]:
    return {
        "landing_file": rel,
        "record_pointer": rej.record_pointer,
        "reason": rej.reason,
        "payload": _payload_text(rej.payload),
        "rejected_at": at,
        "captured_at": captured_at,
    }


def _file_row(
    rel: str, path: Path, item: LandingFile | None, at: datetime, ok: int, bad: int
) -> dict[str, Any]:
    stat = path.stat()
    return {
        "path": rel,
        "endpoint": path.parent.name,
        "sha256": item.sha256() if item else "",
        "bytes": stat.st_size,
        "modified_ns": stat.st_mtime_ns,
        "captured_at": item.captured_at if item else at,
        "loaded_at": at,
        "rows_loaded": ok,
        "rows_rejected": bad,
        "landing_file": rel,
    }


# --------------------------------------------------------------------------- pipelines


def make_pipeline(source: str, credentials: str, pipelines_dir: Path | None = None) -> Any:
    """One dlt pipeline per source, writing dataset ``raw_<source>``."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    # Arrow rows skip dlt's row normalizer; ask it for the load id column anyway, since
    # incremental dbt models select "rows from loads newer than the last one seen".
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    return dlt.pipeline(
        pipeline_name=f"snapmart_{source}",
        destination=dlt.destinations.postgres(credentials=credentials),
        dataset_name=f"raw_{source}",
        pipelines_dir=str(pipelines_dir) if pipelines_dir else None,
        progress="log" if os.environ.get("SNAPMART_DLT_PROGRESS") else None,
    )


def loaded_files(pipeline: Any) -> dict[str, LoadedFile]:
    """path → what was loaded (hash, size, mtime) for every landing file in the dataset."""
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name("landing_files")
            rows = client.execute_sql(f"select path, sha256, bytes, modified_ns from {table}")
    except Exception as exc:  # no dataset or table yet: nothing loaded
        if "does not exist" in str(exc) or "UndefinedTable" in type(exc).__name__:
            return {}
        raise
    return {path: LoadedFile(sha, size, mtime) for path, sha, size, mtime in rows or []}


def landing_source(
    source: str,
    endpoints: Iterable[EndpointSpec],
    loaded: dict[str, LoadedFile],
    root: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> Any:
    resources = [landing_resource(source, spec, loaded, root, progress) for spec in endpoints]

    @dlt.source(name=source, max_table_nesting=0)
    def _source() -> Any:
        return resources

    return _source()


@dataclass
class LoadSummary:
    source: str
    files: int
    rows: dict[str, int]
    rejected: int
    info: LoadInfo | None

    @property
    def rows_loaded(self) -> int:
        return sum(self.rows.values())


def ensure_indexes(pipeline: Any, tables: Iterable[TableSpec]) -> None:
    """Indexes dlt does not declare: the load id (incremental models select on it) and
    each table's declared lookup columns. Idempotent and cheap once they exist."""
    with pipeline.sql_client() as client:
        existing = {
            row[0]
            for row in client.execute_sql(
                "select tablename from pg_tables where schemaname = %s", pipeline.dataset_name
            )
        }
        for spec in tables:
            if spec.name not in existing:
                continue
            table = client.make_qualified_table_name(spec.name)
            statements = [
                f'create index if not exists "{spec.name}__load_id" on {table} '
                f"((_dlt_load_id::numeric))",
            ]
            for cols in spec.indexes:
                name = f"{spec.name}__{'_'.join(cols)}"
                statements.append(
                    f'create index if not exists "{name}" on {table} ({", ".join(cols)})'
                )
            for statement in statements:
                client.execute_sql(statement)


_PG_TYPES = {
    "bigint": "bigint",
    "double": "double precision",
    "decimal": "numeric",
    "text": "varchar",
    "bool": "boolean",
    "timestamp": "timestamp with time zone",
    "date": "date",
    "json": "jsonb",
}


def ensure_tables(pipeline: Any, tables: Iterable[TableSpec]) -> list[str]:
    """Create, empty, each declared raw table that no load has created yet.

    dlt creates a table with its first rows; until a source has delivered any, the
    dbt staging views over it would not compile. dlt reflects existing tables
    (information_schema) before its own DDL, so it adopts these as they are.
    """
    created: list[str] = []
    with pipeline.sql_client() as client:
        client.execute_sql(f"create schema if not exists {client.fully_qualified_dataset_name()}")
        existing = {
            row[0]
            for row in client.execute_sql(
                "select tablename from pg_tables where schemaname = %s", pipeline.dataset_name
            )
        }
        for spec in [*tables, LANDING_FILES, REJECTED_RECORDS]:
            if spec.name in existing or spec.name in created:
                continue
            cols = [
                f'"{name}" {_PG_TYPES[dtype]}' + ("" if name in spec.nullable else " not null")
                for name, dtype in spec.columns.items()
            ]
            cols.append('"_dlt_load_id" varchar not null')
            table = client.make_qualified_table_name(spec.name)
            client.execute_sql(f"create table if not exists {table} ({', '.join(cols)})")
            created.append(spec.name)
    return created


def run_load(pipeline: Any, dlt_source: Any, tables: Iterable[TableSpec] = ()) -> LoadSummary:
    """Run one load and report what it did, from dlt's own trace."""
    tables = list(tables)
    info = pipeline.run(dlt_source, loader_file_format="csv")
    ensure_tables(pipeline, tables)
    ensure_indexes(pipeline, tables)
    counts: dict[str, int] = {}
    trace = pipeline.last_trace
    if trace and trace.last_normalize_info:
        counts = dict(trace.last_normalize_info.row_counts)
    rejected = counts.pop("rejected_records", 0)
    files = counts.pop("landing_files", 0)
    rows = {k: v for k, v in counts.items() if not k.startswith("_dlt")}
    return LoadSummary(dlt_source.name, files, rows, rejected, info)
