"""The rows a load replaces, found before it runs: the earlier of two copies of one
observation (:func:`collapse_copies`, :func:`forget_times`) and the rows of snapshots
loaded again (:func:`superseded_files`, :func:`forget_changed_files`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestion.landing import LandingFile, LoadedFile, snapshot_stem
from ingestion.loader.specs import EndpointSpec, Pending, Superseded, TableSpec
from ingestion.loader.tables import existing_tables


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
        existing = existing_tables(client, pipeline)
        for name, (column, ats) in times.items():
            if name not in existing or not ats:
                continue
            table = client.make_qualified_table_name(name)
            sql = f'delete from {table} where "{column}" = any(%s)'
            with client.execute_query(sql, sorted(ats)) as cur:
                deleted += max(cur.rowcount or 0, 0)
    return deleted


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
        existing = existing_tables(client, pipeline)
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
