"""The dlt pipeline per source and its loads: which landing files a completed load
recorded (:func:`loaded_files`), what a failed load left (:func:`discard_incomplete_loads`),
the dlt source over the endpoints (:func:`landing_source`) and one load run
(:func:`run_load`, :class:`LoadSummary`)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import dlt
from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.pipeline import LoadInfo
from dlt.common.typing import TSecretStrValue
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from ingestion.landing import LoadedFile
from ingestion.loader.resource import FILE_FORMAT, landing_resource
from ingestion.loader.specs import (
    LANDING_FILES,
    REJECTED_RECORDS,
    EndpointSpec,
    Pending,
    TableSpec,
)
from ingestion.loader.tables import ensure_indexes, ensure_tables, existing_tables


@configspec(init=False)
class LibpqCredentials(PostgresCredentials):
    """dlt's PostgreSQL credentials with the password optional: a URL without one is
    handed to libpq as it is, and libpq does what PostgreSQL accepts (``trust``, ``peer``,
    ``PGPASSWORD``, ``~/.pgpass``), where dlt's own would refuse it for want of a
    password."""

    password: Optional[TSecretStrValue] = None  # noqa: UP045 - dlt reads the hint as written


def libpq_credentials(url: str) -> LibpqCredentials:
    """``url`` as resolved LibpqCredentials: dlt takes resolved credentials as they are,
    where it would resolve (and ask a password of) anything else."""
    return resolve_configuration(LibpqCredentials(), explicit_value=url)


def make_pipeline(source: str, credentials: str, pipelines_dir: Path | None = None) -> Any:
    """One dlt pipeline per source, writing dataset ``raw_<source>``, into the PostgreSQL
    the URL ``credentials`` names (a password in it is optional)."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    # Arrow rows skip dlt's row normalizer; ask it for the load id column anyway, since
    # incremental dbt models select "rows from loads newer than the last one seen".
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    return dlt.pipeline(
        pipeline_name=f"snapmart_{source}",
        destination=dlt.destinations.postgres(credentials=libpq_credentials(credentials)),
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


def finish_pending_loads(pipeline: Any) -> list[str]:
    """Load the packages an interrupted run left in the pipeline's working directory
    (extracted: normalized first; normalized: loaded, its completed jobs kept); returns
    their load ids ([]: none pending).

    Call it before a load picks its files: ``pipeline.run`` given data while a package is
    pending loads that package only and drops the data (dlt's rule), so the files landed
    since would wait for the next tick while the tick reported success. Resumed first,
    the packages' files count as loaded and the same tick loads everything else. dlt's
    errors (a package that fails again) propagate."""
    if not pipeline.has_pending_data:  # nothing, or only packages dlt flagged to clean up
        return []
    if pipeline.list_extracted_load_packages():
        pipeline.normalize()  # the file format was chosen at extract (parquet)
    packages = list(pipeline.list_normalized_load_packages())
    if packages:
        pipeline.load()
    return packages


def resumed_counts(
    pipeline: Any, load_ids: list[str], table_of: Mapping[str, str]
) -> dict[str, int]:
    """What the packages :func:`finish_pending_loads` loaded (``load_ids``) brought, in the
    shape of dlt's normalize ``row_counts``: each endpoint's rows under its table
    (``table_of``: endpoint → table), and ``landing_files`` and ``rejected_records``. From
    their landing_files rows (one query): the run that extracted them died before it
    counted them. {} for no ids."""
    if not load_ids:
        return {}
    with pipeline.sql_client() as client:
        files = client.make_qualified_table_name(LANDING_FILES.name)
        found = client.execute_sql(
            f"select endpoint, count(*), coalesce(sum(rows_loaded), 0),"
            f" coalesce(sum(rows_rejected), 0) from {files}"
            f" where _dlt_load_id = any(%s) group by endpoint",
            list(load_ids),
        )
    counts: Counter[str] = Counter()
    for endpoint, n_files, rows, rejected in found or []:
        counts[LANDING_FILES.name] += int(n_files)
        counts[REJECTED_RECORDS.name] += int(rejected)
        counts[table_of.get(endpoint, endpoint)] += int(rows)
    return dict(counts)


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
        existing = existing_tables(client, pipeline)
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


def run_load(
    pipeline: Any,
    dlt_source: Any,
    tables: Iterable[TableSpec] = (),
    also: Iterable[Mapping[str, int]] = (),
) -> LoadSummary:
    """Run one load and report what it did, from dlt's own trace, counting ``also`` (row
    counts of the same shape, e.g. :func:`resumed_counts`) with it."""
    tables = list(tables)
    info = pipeline.run(dlt_source, loader_file_format=FILE_FORMAT)
    ensure_tables(pipeline, tables)
    ensure_indexes(pipeline, tables)
    counts: Counter[str] = Counter()
    trace = pipeline.last_trace
    if trace and trace.last_normalize_info:
        counts.update(trace.last_normalize_info.row_counts)
    for extra in also:
        counts.update(extra)
    rejected = counts.pop("rejected_records", 0)
    files = counts.pop("landing_files", 0)
    rows = {k: v for k, v in counts.items() if not k.startswith("_dlt")}
    return LoadSummary(dlt_source.name, files, rows, rejected, info)
