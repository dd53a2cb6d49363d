"""The dlt resource over one endpoint's landing files (:func:`landing_resource`): parse
each pending file, check its rows, and hand dlt the rows, the rejects (with their
reasons) and a ``landing_files`` row per file, as Arrow tables."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import orjson
import pyarrow as pa

from ingestion.column_checks import latest_allowed, row_problem, table_problems, time_problem
from ingestion.landing import LandingFile, LoadedFile, pending_files
from ingestion.loader.specs import (
    LANDING_FILES,
    POINTER,
    REJECTED_RECORDS,
    EndpointSpec,
    FileRejected,
    Pending,
    Reject,
    Superseded,
    TableSpec,
)

# Parquet + ADBC: Arrow tables go to the database as binary COPY, untouched by a row
# normalizer. Table variants do not inherit run(loader_file_format=...), so every
# variant names it.
FILE_FORMAT = "parquet"
PAYLOAD_LIMIT = 100_000  # characters of a rejected payload kept in the table; the file keeps all
BATCH_ROWS = 100_000


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
        columns = extra.dlt_columns()
        if extra is spec.table and "captured_at" in columns and "captured_at" not in extra.nullable:
            # several captures of one key in one load (a replay, the tick after a crash): the
            # newest wins, as it does when ticks load them one by one; dlt's merge would
            # otherwise keep any of them
            columns["captured_at"] = {**columns["captured_at"], "dedup_sort": "desc"}
        resource.apply_hints(
            table_name=extra.name,
            write_disposition="merge",
            primary_key=list(extra.primary_key),
            columns=columns,
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
