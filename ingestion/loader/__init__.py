"""Landing → raw with dlt: the load half of every source, written once.

A source module declares, per landing endpoint, the raw table it feeds (name,
merge key, column types) and a ``parse`` function that turns one landing file
into rows and :class:`Reject`s. This package turns that into dlt resources that

* read only the files not loaded yet (``landing_files`` remembers each file's
  content hash, in the same load package as the rows, so state and data commit
  together),
* send every bad record, and every file that does not parse at all, to
  ``rejected_records`` with a reason, never blocking the good records,
* hand rows to dlt as Arrow tables, written as parquet and COPYed in binary through
  ADBC, because a row-dict normalizer is an order of magnitude slower at snapshot sizes,
* merge on the declared key, so loading the same bucket twice keeps one row —
  except for snapshot tables (``replace_by_file``): a snapshot is one file, so its
  rows are appended, and a file that comes back changed first has its old rows
  deleted (by ``captured_at`` and ``landing_file``, indexed). A merge would stage
  and compare every row against the whole history, a cost growing with history.

Files of hundreds of thousands of records can have a columnar parser
(``parse_columns``, see ingestion/columnar.py) returning an Arrow table directly;
everything lands as parquet and is COPYed in binary through ADBC.

The modules:

* ``specs``: what a source declares (``TableSpec``, ``EndpointSpec``, ``Reject``,
  ``FileRejected``) and the bookkeeping tables ``landing_files`` and ``rejected_records``;
* ``resource``: the dlt resource over an endpoint's landing files, its row checks and its
  reject and file rows;
* ``pipeline``: the pipeline per source, the loaded-file bookkeeping, the dlt source and
  one load (``run_load``);
* ``replace``: the rows a load replaces (copies of one observation, snapshots re-loaded);
* ``tables``: the raw tables' DDL (tables, columns, indexes);
* ``partitions``: monthly partitions.

Everything public is importable from ``ingestion.loader``.
"""

from __future__ import annotations

from ingestion.loader.partitions import (
    ensure_partitions,
    month_start,
    next_month,
    partition_name,
)
from ingestion.loader.pipeline import (
    LoadSummary,
    discard_incomplete_loads,
    finish_pending_loads,
    landing_rows,
    landing_source,
    loaded_files,
    make_pipeline,
    resumed_counts,
    run_load,
)
from ingestion.loader.replace import (
    collapse_copies,
    forget_changed_files,
    forget_times,
    superseded_files,
)
from ingestion.loader.resource import (
    BATCH_ROWS,
    FILE_FORMAT,
    PAYLOAD_LIMIT,
    file_reason,
    landing_resource,
    storable_text,
    with_file_columns,
)
from ingestion.loader.specs import (
    LANDING_FILES,
    POINTER,
    REJECTED_RECORDS,
    ColumnParser,
    EndpointSpec,
    FileRejected,
    Parser,
    Pending,
    Reject,
    Superseded,
    TableSpec,
)
from ingestion.loader.tables import (
    ensure_columns,
    ensure_indexes,
    ensure_tables,
)

__all__ = [
    "BATCH_ROWS",
    "ColumnParser",
    "EndpointSpec",
    "FILE_FORMAT",
    "FileRejected",
    "LANDING_FILES",
    "LoadSummary",
    "PAYLOAD_LIMIT",
    "POINTER",
    "Parser",
    "Pending",
    "REJECTED_RECORDS",
    "Reject",
    "Superseded",
    "TableSpec",
    "collapse_copies",
    "discard_incomplete_loads",
    "ensure_columns",
    "ensure_indexes",
    "ensure_partitions",
    "ensure_tables",
    "file_reason",
    "finish_pending_loads",
    "forget_changed_files",
    "forget_times",
    "landing_resource",
    "landing_rows",
    "landing_source",
    "loaded_files",
    "make_pipeline",
    "month_start",
    "next_month",
    "partition_name",
    "resumed_counts",
    "run_load",
    "storable_text",
    "superseded_files",
    "with_file_columns",
]
