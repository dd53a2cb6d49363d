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
* merge on the declared key, so loading the same bucket twice keeps one row —
  except for snapshot tables (``replace_by_file``): a snapshot is one file, so its
  rows are appended, and a file that comes back changed first has its old rows
  deleted (by ``captured_at`` and ``landing_file``, indexed). A merge would stage
  and compare every row against the whole history, a cost growing with history.

Files of hundreds of thousands of records can have a columnar parser
(``parse_columns``, see ingestion/columnar.py) returning an Arrow table directly;
everything lands as parquet and is COPYed in binary through ADBC.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dlt
import orjson
import pyarrow as pa
from dlt.common.pipeline import LoadInfo

from ingestion.column_checks import latest_allowed, row_problem, table_problems, time_problem
from ingestion.landing import LandingFile, LoadedFile, pending_files, snapshot_stem

# Parquet + ADBC: Arrow tables go to the database as binary COPY, untouched by a row
# normalizer. Table variants do not inherit run(loader_file_format=...), so every
# variant names it.
FILE_FORMAT = "parquet"
PAYLOAD_LIMIT = 100_000  # characters of a rejected payload kept in the table; the file keeps all
BATCH_ROWS = 100_000
# A parser may name where a row came from in the file (a JSON pointer) under this key:
# the loader takes it off the row and uses it if the row's values turn out not to fit.
POINTER = "_pointer"

_ARROW_TYPES: dict[str, pa.DataType] = {
    "bigint": pa.int64(),
    "int": pa.int32(),
    "double": pa.float64(),
    "decimal": pa.decimal128(38, 9),  # dlt's default precision: exact prices, COPY to numeric
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
    replace_by_file: bool = False  # snapshot table: append, re-load a file by deleting its rows
    # A snapshot table too big to repeat the landing path on every row names the column
    # holding the file's key instead: a file's rows are (captured_at, key_column).
    key_column: str | None = None
    # Range-partitioned by month on this timestamp column: old months drop whole.
    partition_by: str | None = None
    # Observation times checked against reality (ingestion/column_checks.py): not
    # before ``first_day`` (the source's), not later than the tick's clock + 10 min.
    observed: tuple[str, ...] = ()
    first_day: date | None = None

    def dlt_columns(self) -> dict[str, dict[str, Any]]:
        """The columns as dlt column hints (``data_type``, ``nullable``); ``int`` becomes dlt's
        bigint with precision 32, which PostgreSQL creates as ``integer``."""
        cols: dict[str, dict[str, Any]] = {}
        for name, dtype in self.columns.items():
            col: dict[str, Any] = {"data_type": dtype, "nullable": name in self.nullable}
            if dtype == "int":
                col.update(data_type="bigint", precision=32)
            cols[name] = col
        return cols

    def arrow_schema(self) -> pa.Schema:
        """The columns as an Arrow schema, in declaration order: the types the parsers' tables
        carry (timestamps as microseconds, UTC; decimals as decimal128(38, 9); json as text)."""
        return pa.schema(
            [
                pa.field(name, _ARROW_TYPES[dtype], nullable=name in self.nullable)
                for name, dtype in self.columns.items()
            ]
        )


Parser = Callable[[LandingFile], Iterable[dict[str, Any] | Reject]]
ColumnParser = Callable[[LandingFile], tuple[pa.Table, list[Reject]]]


@dataclass(frozen=True)
class EndpointSpec:
    """A landing endpoint directory, the raw table it feeds, and how to parse its files
    (record by record, and optionally column by column for large files)."""

    endpoint: str
    table: TableSpec
    parse: Parser
    parse_columns: ColumnParser | None = None
    # For files whose records are all observed at one time the file states itself (a
    # price bucket's ``timestamp``): that time, read cheaply (None when unreadable), and
    # the column holding it. Two files of one time are copies of one observation saved
    # under two names: the later capture is loaded, the earlier recorded as superseded.
    file_time: Callable[[LandingFile], datetime | None] | None = None
    file_time_column: str | None = None


@dataclass(frozen=True)
class Superseded:
    """A landing file another file of the same observation replaces (a bucket saved
    twice under two names): recorded as loaded with no rows, and why."""

    file: LandingFile
    reason: str


Pending = LandingFile | tuple[Path, str] | Superseded


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


def storable_text(text: str) -> str:
    r"""Text PostgreSQL will take: NUL written as the escape ``\u0000`` and lone
    surrogates backslash-escaped, so a reject row quoting a bad value cannot itself
    fail the load."""
    text = text.replace("\x00", "\\u0000")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _payload_text(payload: Any) -> str | None:
    if payload is None:
        return None
    text = payload if isinstance(payload, str) else json.dumps(payload, default=str)
    return storable_text(text[:PAYLOAD_LIMIT])


def _table(spec: TableSpec, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=spec.arrow_schema())


def landing_resource(
    source: str,
    spec: EndpointSpec,
    loaded: dict[str, LoadedFile],
    root: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
    pending: list[Pending] | None = None,
) -> Any:
    """A dlt resource named after the raw table, reading its endpoint's pending files
    (``pending`` when the caller already listed them, else listed here)."""

    def read() -> Iterator[Any]:
        buffered: list[dict[str, Any]] = []
        # Parsed tables of small files (a 5m bucket) go to dlt together: each item
        # yielded costs dlt a buffer write, so 100k one-file tables cost more than
        # their rows.
        tables: list[pa.Table] = []
        table_rows = [0]
        rejected: list[dict[str, Any]] = []
        files: list[dict[str, Any]] = []
        loaded_at = datetime.now(UTC)
        latest = latest_allowed()

        def flush() -> Iterator[Any]:
            if tables:
                yield dlt.mark.with_table_name(pa.concat_tables(tables), spec.table.name)
                tables.clear()
                table_rows[0] = 0
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

        todo = (
            pending_files(source, loaded, [spec.endpoint], root)
            if pending is None
            else [p for p in pending if _endpoint_of(p) == spec.endpoint]
        )
        snapshots_seen: set[tuple] = set()
        for item in todo:
            if isinstance(item, tuple):  # a name that breaks the contract
                path, reason = item
                rel = f"{source}/{path.parent.name}/{path.name}"
                rejected.append(_reject_row(rel, None, Reject("$file", reason), loaded_at))
                files.append(_file_row(rel, path, None, loaded_at, 0, 1))
                continue
            if isinstance(item, Superseded):  # a copy of an observation a later file holds
                file = item.file
                reject = Reject("$file", item.reason)
                rejected.append(_reject_row(file.relative, file.captured_at, reject, loaded_at))
                files.append(_file_row(file.relative, file.path, file, loaded_at, 0, 1))
                continue
            n_ok = n_bad = 0
            if spec.table.replace_by_file:
                if item.snapshot in snapshots_seen:  # another copy of a snapshot in this run
                    files.append(_file_row(item.relative, item.path, item, loaded_at, 0, 0))
                    continue
                snapshots_seen.add(item.snapshot)
            problem = _capture_problem(spec.table, item, latest)
            if problem is not None:  # every row would carry the impossible capture time
                rejected.append(
                    _reject_row(item.relative, None, Reject("$file", problem), loaded_at)
                )
                files.append(_file_row(item.relative, item.path, item, loaded_at, 0, 1))
                continue
            if spec.parse_columns is not None:
                try:
                    table, rejects = spec.parse_columns(item)
                    if table is not None and table.num_rows:
                        table, rejects = _checked_table(spec.table, table, rejects)
                except Exception as exc:  # the file does not parse at all
                    table, rejects = None, [_unparseable(item, exc)]
                for rej in rejects:
                    rejected.append(_reject_row(item.relative, item.captured_at, rej, loaded_at))
                n_bad = len(rejects)
                if table is not None and table.num_rows:
                    n_ok = table.num_rows
                    tables.append(with_file_columns(spec.table, table, item))
                    table_rows[0] += n_ok
                files.append(_file_row(item.relative, item.path, item, loaded_at, n_ok, n_bad))
                if progress:
                    progress(spec.endpoint, 1)
                if table_rows[0] >= BATCH_ROWS:
                    yield from flush()
                continue
            try:
                for n, record in enumerate(spec.parse(item)):
                    if not isinstance(record, Reject):
                        record.setdefault("landing_file", item.relative)
                        record.setdefault("captured_at", item.captured_at)
                        pointer = record.pop(POINTER, None) or f"$record/{n}"
                        problem = row_problem(spec.table, record, latest)
                        if problem is None:
                            buffered.append(record)
                            n_ok += 1
                            continue
                        record = Reject(pointer, problem, record)
                    n_bad += 1
                    rejected.append(_reject_row(item.relative, item.captured_at, record, loaded_at))
            except Exception as exc:  # a file that does not parse at all: keep what parsed before
                n_bad += 1
                rejected.append(
                    _reject_row(item.relative, item.captured_at, _unparseable(item, exc), loaded_at)
                )
            files.append(_file_row(item.relative, item.path, item, loaded_at, n_ok, n_bad))
            if progress:
                progress(spec.endpoint, 1)
            if len(buffered) >= BATCH_ROWS:
                yield from flush()
        yield from flush()

    # Each table gets its own variant of hints: variants start from the resource's
    # hints, so the resource itself carries none that belong to one table only.
    resource = dlt.resource(
        read, name=spec.table.name, write_disposition="merge", file_format=FILE_FORMAT
    )
    for extra in (spec.table, REJECTED_RECORDS, LANDING_FILES):
        if extra.replace_by_file:
            resource.apply_hints(
                table_name=extra.name,
                write_disposition="append",
                columns=extra.dlt_columns(),
                file_format=FILE_FORMAT,
                create_table_variant=True,
            )
            continue
        resource.apply_hints(
            table_name=extra.name,
            write_disposition="merge",
            primary_key=list(extra.primary_key),
            columns=extra.dlt_columns(),
            file_format=FILE_FORMAT,
            create_table_variant=True,
        )
    return resource


def _capture_problem(spec: TableSpec, item: LandingFile, latest: datetime) -> str | None:
    """Why a file's capture time (its name's, which every row inherits) is outside
    reality, when the table checks ``captured_at``; else None."""
    if "captured_at" not in spec.observed:
        return None
    return time_problem("capture time", item.captured_at, spec.first_day, latest)


def _checked_table(
    spec: TableSpec, table: pa.Table, rejects: list[Reject]
) -> tuple[pa.Table, list[Reject]]:
    """A columnar parser's table less the rows whose values do not fit their columns
    (ingestion/column_checks.py), each rejected with the column and its row number."""
    valid, reasons = table_problems(spec, table)
    if valid is None:
        return table, rejects
    bad = [
        Reject(f"$row/{i}", reason, None) for i, reason in enumerate(reasons) if reason is not None
    ]
    return table.filter(valid), [*rejects, *bad]


def _endpoint_of(item: Pending) -> str:
    if isinstance(item, tuple):
        return item[0].parent.name
    return item.file.endpoint if isinstance(item, Superseded) else item.endpoint


def collapse_copies(
    pending: list[Pending], endpoints: Iterable[EndpointSpec]
) -> tuple[list[Pending], dict[str, tuple[str, set[datetime]]]]:
    """Pending files with the earlier of two copies of one observation replaced by a
    :class:`Superseded` marker (files are oldest capture first, so the later copy
    wins), and, per table, (time column, the observation times about to load): rows
    already loaded at those times are replaced (:func:`forget_times`). Only endpoints
    with a ``file_time`` take part."""
    timed = {e.endpoint: e for e in endpoints if e.file_time is not None}
    if not timed:
        return pending, {}
    newest: dict[tuple[str, datetime], LandingFile] = {}
    for item in pending:
        if isinstance(item, LandingFile) and item.endpoint in timed:
            at = timed[item.endpoint].file_time(item)
            if at is not None:
                newest[(item.endpoint, at)] = item  # a later copy overwrites an earlier one
    winners = {id(f): key for key, f in newest.items()}
    out: list[Pending] = []
    for item in pending:
        if isinstance(item, LandingFile) and item.endpoint in timed and id(item) not in winners:
            at = timed[item.endpoint].file_time(item)
            if at is not None:
                later = newest[(item.endpoint, at)]
                stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                reason = f"a copy of the observation at {stamp} that {later.relative} holds too"
                out.append(Superseded(item, f"{reason} (the later copy is loaded)"))
                continue
        out.append(item)
    times: dict[str, tuple[str, set[datetime]]] = {}
    for endpoint, at in newest:
        spec = timed[endpoint]
        column = spec.file_time_column or "captured_at"
        times.setdefault(spec.table.name, (column, set()))[1].add(at)
    return out, times


def forget_times(pipeline: Any, times: dict[str, tuple[str, set[datetime]]]) -> int:
    """Delete the rows already loaded at observation times about to load again (from
    another file of the same observation): one observation per natural key, the later
    copy winning. An index probe per time: a tick's cost follows its new files."""
    deleted = 0
    with pipeline.sql_client() as client:
        existing = _existing_tables(client, pipeline)
        for name, (column, ats) in times.items():
            if name not in existing or not ats:
                continue
            table = client.make_qualified_table_name(name)
            sql = f'delete from {table} where "{column}" = any(%s)'
            with client.execute_query(sql, sorted(ats)) as cur:
                deleted += max(cur.rowcount or 0, 0)
    return deleted


class FileRejected(ValueError):
    """A file that parsed but breaks the contract as a whole, at ``pointer`` (its bucket
    time, its chart error): every record in it would be wrong the same way."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(reason)
        self.pointer = pointer


def file_reason(exc: BaseException) -> str:
    """The real cause of a file-level failure, in one line: the byte offset of bad
    JSON or UTF-8, a broken gzip stream, or the contract breach the parser named."""
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at byte {exc.pos} (line {exc.lineno})"
    if isinstance(exc, orjson.JSONDecodeError):
        return f"not valid JSON: {exc}"
    if isinstance(exc, UnicodeDecodeError):
        byte = exc.object[exc.start : exc.start + 1].hex()
        return f"not UTF-8 text: byte 0x{byte} at offset {exc.start}"
    if isinstance(exc, gzip.BadGzipFile | zlib.error | EOFError):
        return f"not a valid gzip file: {exc or type(exc).__name__}"
    if isinstance(exc, ValueError):  # the parser's own words for a contract breach
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _unparseable(item: LandingFile, exc: Exception) -> Reject:
    pointer = exc.pointer if isinstance(exc, FileRejected) else "$file"
    return Reject(pointer, file_reason(exc), _safe_text(item))


def with_file_columns(spec: TableSpec, table: pa.Table, item: LandingFile) -> pa.Table:
    """Add the landing file and capture time to a parsed table, in the spec's order."""
    n = table.num_rows
    extra = {
        "landing_file": pa.array([item.relative] * n, pa.string()),
        "captured_at": pa.array([item.captured_at] * n, pa.timestamp("us", tz="UTC")),
    }
    schema = spec.arrow_schema()
    arrays = [
        table.column(f.name) if f.name in table.column_names else extra[f.name] for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _safe_text(item: LandingFile) -> str:
    """The file as text for a reject's payload; never raises (a broken gzip stream is
    why the file is being rejected, so it cannot be read again here)."""
    try:
        return item.read_bytes().decode("utf-8", errors="replace")
    except Exception as exc:  # the reason is already recorded; the payload says what it can
        return f"<not readable as text: {file_reason(exc)}>"


def _reject_row(
    rel: str, captured_at: datetime | None, rej: Reject, at: datetime
) -> dict[str, Any]:
    return {
        "landing_file": rel,
        "record_pointer": storable_text(rej.record_pointer),
        "reason": storable_text(rej.reason),
        "payload": _payload_text(rej.payload),
        "rejected_at": at,
        "captured_at": captured_at,
    }


def _file_row(
    rel: str, path: Path, item: LandingFile | None, at: datetime, ok: int, bad: int
) -> dict[str, Any]:
    stat = path.stat()
    try:
        sha256 = item.sha256() if item else ""
    except OSError:  # gone or unreadable since it was listed: the next tick sees it again
        sha256 = ""
    return {
        "path": rel,
        "endpoint": path.parent.name,
        "sha256": sha256,
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


def _landing_rows(pipeline: Any) -> list[tuple]:
    """(path, sha256, bytes, modified_ns, load id, load completed) per landing_files row.
    A load completed when dlt wrote its row in ``_dlt_loads``, which it does only after
    every table of the package committed."""
    try:
        with pipeline.sql_client() as client:
            files = client.make_qualified_table_name("landing_files")
            loads = client.make_qualified_table_name("_dlt_loads")
            return (
                client.execute_sql(
                    f"select f.path, f.sha256, f.bytes, f.modified_ns, f._dlt_load_id,"
                    f" exists (select 1 from {loads} as l"
                    f"         where l.load_id = f._dlt_load_id and l.status = 0)"
                    f" from {files} as f"
                )
                or []
            )
    except Exception as exc:  # no dataset or table yet: nothing loaded
        if "does not exist" in str(exc) or "UndefinedTable" in type(exc).__name__:
            return []
        raise


def loaded_files(pipeline: Any, rows: list[tuple] | None = None) -> dict[str, LoadedFile]:
    """path → what was loaded (hash, size, mtime) for every landing file in the dataset
    whose load completed: a file is loaded only together with its rows. A row of a load
    that failed half-way (its package aborted) does not count, so its file is pending
    again (:func:`discard_incomplete_loads` removes what that load left)."""
    return {
        path: LoadedFile(sha, size, mtime, load_id)
        for path, sha, size, mtime, load_id, complete in (
            _landing_rows(pipeline) if rows is None else rows
        )
        if complete
    }


def landing_rows(pipeline: Any) -> list[tuple]:
    """landing_files as read once per load: pass it to :func:`discard_incomplete_loads`
    and :func:`loaded_files` so a tick reads the table once."""
    return _landing_rows(pipeline)


def discard_incomplete_loads(pipeline: Any, tables: Iterable[TableSpec], rows: list[tuple]) -> int:
    """Delete every row that a load which never completed left in the source's tables.

    Only when dlt holds no package still to load (a pending one is resumed, not
    discarded). Found through landing_files (one row per file) and the load-id
    indexes, so the cost follows the failed load, not the history."""
    if pipeline.list_normalized_load_packages() or pipeline.list_extracted_load_packages():
        return 0
    ids = {row[4] for row in rows if not row[5]}  # recorded files, load never completed
    if not ids:
        return 0
    deleted = 0
    with pipeline.sql_client() as client:
        existing = _existing_tables(client, pipeline)
        names = [t.name for t in tables] + [LANDING_FILES.name, REJECTED_RECORDS.name]
        for name in dict.fromkeys(names):
            if name not in existing:
                continue
            table = client.make_qualified_table_name(name)
            for load_id in ids:
                sql = f"delete from {table} where _dlt_load_id::numeric = %s::numeric"
                with client.execute_query(sql, load_id) as cur:
                    deleted += max(cur.rowcount or 0, 0)
    return deleted


def landing_source(
    source: str,
    endpoints: Iterable[EndpointSpec],
    loaded: dict[str, LoadedFile],
    root: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
    pending: list[Pending] | None = None,
) -> Any:
    """A dlt source named after the snapmart source, with one resource per endpoint
    (``landing_resource``): running it loads the endpoints' pending landing files."""
    resources = [
        landing_resource(source, spec, loaded, root, progress, pending) for spec in endpoints
    ]

    @dlt.source(name=source, max_table_nesting=0)
    def _source() -> Any:
        return resources

    return _source()


@dataclass
class LoadSummary:
    """What one load did (``run_load``): landing files recorded, rows per raw table, records
    rejected, and dlt's LoadInfo (None when nothing ran)."""

    source: str
    files: int
    rows: dict[str, int]
    rejected: int
    info: LoadInfo | None

    @property
    def rows_loaded(self) -> int:
        """Rows loaded into the raw tables, all tables together (rejects and bookkeeping not
        counted)."""
        return sum(self.rows.values())


def _existing_tables(client: Any, pipeline: Any) -> set[str]:
    return {
        row[0]
        for row in client.execute_sql(
            "select tablename from pg_tables where schemaname = %s", pipeline.dataset_name
        )
    }


def ensure_indexes(pipeline: Any, tables: Iterable[TableSpec]) -> None:
    """Indexes dlt does not declare: the load id (incremental models select on it) and
    each table's declared lookup columns. Idempotent and cheap once they exist."""
    with pipeline.sql_client() as client:
        existing = _existing_tables(client, pipeline)
        for spec in tables:
            if spec.name not in existing:
                continue
            table = client.make_qualified_table_name(spec.name)
            if spec.replace_by_file:
                # Append-only in load order: a BRIN index finds a load's rows (and the
                # unsummarized newest pages) at almost no cost per inserted row, where
                # a btree on the load id would double the cost of a snapshot's COPY.
                dataset = client.fully_qualified_dataset_name()
                statements = [
                    f'drop index if exists {dataset}."{spec.name}__load_id"',
                    f'create index if not exists "{spec.name}__load_id_brin" on {table} '
                    "using brin ((_dlt_load_id::numeric)) with (autosummarize = on)",
                ]
            else:
                statements = [
                    f'create index if not exists "{spec.name}__load_id" on {table} '
                    f"((_dlt_load_id::numeric))",
                ]
            if spec.partition_by:  # within a month, a time range without a btree's cost
                statements.append(
                    f'create index if not exists "{spec.name}__{spec.partition_by}_brin" '
                    f"on {table} using brin ({spec.partition_by}) with (autosummarize = on)"
                )
            for cols in spec.indexes:
                name = f"{spec.name}__{'_'.join(cols)}"
                statements.append(
                    f'create index if not exists "{name}" on {table} ({", ".join(cols)})'
                )
            for statement in statements:
                client.execute_sql(statement)


_PG_TYPES = {
    "bigint": "bigint",
    "int": "integer",
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
        existing = _existing_tables(client, pipeline)
        for spec in [*tables, LANDING_FILES, REJECTED_RECORDS]:
            if spec.name in existing or spec.name in created:
                continue
            cols = [
                f'"{name}" {_PG_TYPES[dtype]}' + ("" if name in spec.nullable else " not null")
                for name, dtype in spec.columns.items()
            ]
            cols.append('"_dlt_load_id" varchar not null')
            table = client.make_qualified_table_name(spec.name)
            partitioned = f" partition by range ({spec.partition_by})" if spec.partition_by else ""
            client.execute_sql(
                f"create table if not exists {table} ({', '.join(cols)}){partitioned}"
            )
            created.append(spec.name)
    return created


def ensure_columns(pipeline: Any, tables: Iterable[TableSpec]) -> list[str]:
    """Add each declared column an existing raw table lacks (``table.column``), empty and
    nullable: a table created before the column was declared, which no load has written
    to since (dlt adds a column only to a table it loads rows into), still shows every
    column to dbt's staging views."""
    added: list[str] = []
    specs = list(tables)
    with pipeline.sql_client() as client:
        existing: dict[str, set[str]] = {}
        for table, column in client.execute_sql(
            "select table_name, column_name from information_schema.columns"
            " where table_schema = %s",
            pipeline.dataset_name,
        ):
            existing.setdefault(table, set()).add(column)
        for spec in specs:
            if spec.name not in existing:
                continue
            for name, dtype in spec.columns.items():
                if name not in existing[spec.name]:
                    client.execute_sql(
                        f"alter table {client.make_qualified_table_name(spec.name)}"
                        f' add column if not exists "{name}" {_PG_TYPES[dtype]}'
                    )
                    added.append(f"{spec.name}.{name}")
    return added


def month_start(ts: datetime) -> datetime:
    """Midnight UTC on the first of ``ts``'s month (in UTC): the lower bound of its monthly
    partition."""
    return ts.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(start: datetime) -> datetime:
    """The first of the month after ``start`` (a month start, as ``month_start`` gives): the
    upper bound, exclusive, of its partition."""
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def partition_name(spec: TableSpec, month: datetime) -> str:
    """The name of a partitioned table's partition for one month: ``<table>_pYYYYMM``."""
    return f"{spec.name}_p{month:%Y%m}"


def ensure_partitions(
    pipeline: Any, tables: Iterable[TableSpec], captures: Iterable[datetime]
) -> list[str]:
    """The monthly partitions the captures about to load fall into (the parent table
    takes no rows of its own: a month without its partition would fail the load)."""
    months = sorted({month_start(ts) for ts in captures})
    targets = [t for t in tables if t.partition_by]
    if not months or not targets:
        return []
    made: list[str] = []
    with pipeline.sql_client() as client:
        dataset = client.fully_qualified_dataset_name()
        for spec in targets:
            parent = client.make_qualified_table_name(spec.name)
            for month in months:
                name = partition_name(spec, month)
                start, end = month.isoformat(), next_month(month).isoformat()
                client.execute_sql(
                    f'create table if not exists {dataset}."{name}" partition of {parent} '
                    f"for values from ('{start}') to ('{end}')"
                )
                made.append(name)
    return made


def superseded_files(
    pending: Iterable[LandingFile | tuple[Path, str]], loaded: dict[str, LoadedFile]
) -> dict[str, str | None]:
    """Loaded files whose snapshot is about to be loaded again, → the load that loaded
    them: the same path with new content, or another copy of the same capture. Matched
    on the names' stems, so a tick does not parse every loaded name."""
    stems = {snapshot_stem(f.relative) for f in pending if isinstance(f, LandingFile)}
    if not stems:
        return {}
    return {path: v.load_id for path, v in loaded.items() if snapshot_stem(path) in stems}


def forget_changed_files(
    pipeline: Any,
    tables: Iterable[TableSpec],
    changed: dict[str, str | None],
) -> int:
    """Delete the rows of snapshots about to be loaded again (``superseded_files``).

    ``changed`` maps a landing path to the dlt load that loaded it (landing_files
    remembers it); the load-id index finds the file's rows without scanning history.
    A crash between this and the load leaves the file pending (landing_files still
    has the old hash), so the next run loads it: nothing is lost.
    """
    targets = [t for t in tables if t.replace_by_file]
    if not changed or not targets:
        return 0
    deleted = 0
    with pipeline.sql_client() as client:
        existing = _existing_tables(client, pipeline)
        for spec in targets:
            if spec.name not in existing:
                continue
            table = client.make_qualified_table_name(spec.name)
            for path, load_id in changed.items():
                condition, args = _file_rows(spec, path)
                if load_id is not None:
                    condition = f"_dlt_load_id::numeric = %s::numeric and {condition}"
                    args = (load_id, *args)
                with client.execute_query(f"delete from {table} where {condition}", *args) as cur:
                    deleted += max(cur.rowcount or 0, 0)
    return deleted


def _file_rows(spec: TableSpec, path: str) -> tuple[str, tuple]:
    """The SQL condition picking one landing file's rows out of a snapshot table."""
    if spec.key_column is None:
        return "landing_file = %s", (path,)
    file = LandingFile.parse(Path(path))
    return f'captured_at = %s and "{spec.key_column}" = %s', (file.captured_at, file.key)


def run_load(pipeline: Any, dlt_source: Any, tables: Iterable[TableSpec] = ()) -> LoadSummary:
    """Run one load and report what it did, from dlt's own trace."""
    tables = list(tables)
    info = pipeline.run(dlt_source, loader_file_format=FILE_FORMAT)
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
