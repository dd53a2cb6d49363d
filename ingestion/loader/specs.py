"""What a source declares to the loader: its raw tables (:class:`TableSpec`), its landing
endpoints and their parsers (:class:`EndpointSpec`), the :class:`Reject` and
:class:`FileRejected` a parser gives for what breaks the contract, and the loader's own
bookkeeping tables (``landing_files``, ``rejected_records``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingestion.landing import LandingFile

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


class FileRejected(ValueError):
    """A file that parsed but breaks the contract as a whole, at ``pointer`` (its bucket
    time, its chart error): every record in it would be wrong the same way."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(reason)
        self.pointer = pointer
