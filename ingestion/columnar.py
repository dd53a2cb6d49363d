"""Column-at-a-time parsing for snapshot files of hundreds of thousands of records.

Validating record by record in Python costs more than the whole rest of a load. For
large, mostly clean files a parser pulls each field into a list, lets Arrow check
the types of a whole column at once and pyarrow.compute check the ranges, and only
goes back to its record-by-record validator for the few records that fail, so every
reject still gets its precise reason. Whatever the fast path cannot make sense of
(a record that is not an object, a column of mixed types) sends the whole file down
the record-by-record path: slower, never wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.column_checks import row_problem
from ingestion.loader import POINTER, Reject, TableSpec


class NotColumnar(Exception):
    """The fast path cannot take this file; parse it record by record."""


def int_column(values: Sequence[Any]) -> pa.Array:
    """An int64 column, or NotColumnar if any value is not an integer (or null).

    Arrow would truncate floats into int64 silently, so the type is inferred rather
    than imposed: only a column that infers as integers (or all nulls) passes.
    """
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise NotColumnar(str(exc)) from exc
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.int64())
    if not pa.types.is_integer(arr.type):
        raise NotColumnar(f"not integers: {arr.type}")
    return arr.cast(pa.int64())


def str_column(values: Sequence[Any]) -> pa.Array:
    """A string column, or NotColumnar if any value is not a string (or null)."""
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise NotColumnar(str(exc)) from exc
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.string())
    if not pa.types.is_string(arr.type):
        raise NotColumnar(f"not strings: {arr.type}")
    return arr


def python_columns(
    build: Callable[[], dict[str, pa.Array]],
) -> dict[str, pa.Array] | None:
    """``build()``'s columns, or None when the records do not fit the fast path (a record
    or nested object that is not an object, a column of mixed types)."""
    try:
        return build()
    except (AttributeError, NotColumnar):
        return None


def between(arr: pa.Array, low: int, high: int, *, nullable: bool = False) -> pa.Array:
    """Boolean mask: low ≤ value ≤ high; a null passes only where the column is optional."""
    ok = pc.and_(pc.greater_equal(arr, low), pc.less_equal(arr, high))
    return pc.fill_null(ok, nullable)


def all_of(masks: Iterable[pa.Array]) -> pa.Array:
    """The element-wise AND of one or more boolean masks of the same length (a null stays null).
    An empty ``masks`` is an IndexError."""
    masks = list(masks)
    out = masks[0]
    for mask in masks[1:]:
        out = pc.and_(out, mask)
    return out


def split_valid(
    spec: TableSpec,
    columns: dict[str, pa.Array],
    valid: pa.Array,
    record_at: Callable[[int], Any],
    row: Callable[[int, Any], dict[str, Any]],
    pointer: str | Callable[[int], str] = "/{}",
) -> tuple[pa.Table, list[Reject]]:
    """The valid rows as a table; each invalid record (``record_at(i)``) re-run through
    ``row(i, record)`` (the record-by-record validator, which raises ValueError) for its
    reason. ``pointer``: a format for the index, or the index → the record's pointer."""
    point = pointer.format if isinstance(pointer, str) else pointer
    names = [f.name for f in spec.arrow_schema() if f.name in columns]
    table = pa.Table.from_arrays([columns[n] for n in names], names=names)
    if pc.all(valid).as_py():
        return table, []
    rejects = []
    for i in pc.indices_nonzero(pc.invert(valid)).to_pylist():
        record = record_at(i)
        try:
            row(i, record)
            reason = "rejected by a column check"  # the two validators disagree: say so
        except ValueError as exc:
            reason = str(exc)
        rejects.append(Reject(point(i), reason, record))
    return table.filter(valid), rejects


def rows_to_table(
    spec: TableSpec, parsed: Iterable[dict[str, Any] | Reject], skip: Iterable[str] = ()
) -> tuple[pa.Table, list[Reject]]:
    """The record-by-record path's output in the fast path's shape; a row whose values
    do not fit their columns (ingestion/column_checks.py) is rejected, not loaded."""
    skip = set(skip)
    rows, rejects = [], []
    for n, item in enumerate(parsed):
        if isinstance(item, Reject):
            rejects.append(item)
            continue
        pointer = item.pop(POINTER, None) or f"$record/{n}"
        problem = row_problem(spec, item)
        if problem is None:
            rows.append(item)
        else:
            rejects.append(Reject(pointer, problem, item))
    schema = pa.schema([f for f in spec.arrow_schema() if f.name not in skip])
    return pa.Table.from_pylist(rows, schema=schema), rejects
