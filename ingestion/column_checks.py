"""What a raw column accepts, checked per record before a row reaches dlt.

Every source declares its raw tables' column types (``TableSpec.columns``); a parser
turns API records into rows. Whatever the parser let through, a row only goes on when
each value fits its column: text is text (valid UTF-8, no NUL, which PostgreSQL
refuses in ``text``), integers fit int64 (int32 for ``int``), numbers are finite and
fit ``numeric(38, 9)``, timestamps are aware datetimes, and a required column is not
null. A row that breaks one of these is rejected with a reason naming the column, so
one odd record can neither crash a load nor, by failing a COPY, lose the good rows
loaded beside it.

Observation times (``TableSpec.observed``) must also lie in reality: not before the
source's first day (``TableSpec.first_day``) and not later than the tick's clock plus
:data:`FUTURE_SLACK` (a capture client's clock may run a little fast). A year-2100
bucket or a 1900 capture is a misread field, and one such row would make every mart's
``as_of`` wrong.

The same check runs on the Arrow tables of the columnar parsers
(:func:`table_problems`), where Arrow has already settled the types and only NUL in
text, nulls in required columns and observation times are left to find.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingestion import clock

INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)
DECIMAL_LIMIT = Decimal(10) ** 29  # numeric(38, 9): 29 digits before the point
FUTURE_SLACK = timedelta(minutes=10)

# Exceptions a parser's per-record guard catches: a record that makes Python raise any
# of these is that record's fault, never the file's (``int("1e400")`` is a ValueError,
# ``datetime.fromtimestamp(10**20)`` an OverflowError, ``None + 1`` a TypeError).
RECORD_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    OverflowError,
    ArithmeticError,
    KeyError,
    IndexError,
    AttributeError,
    OSError,  # datetime.fromtimestamp of an epoch the platform cannot represent
)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _text_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"is not text: {_describe(value)}"
    offset = value.find("\x00")
    if offset >= 0:
        return f"contains a NUL character (U+0000) at offset {offset}"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"is not valid UTF-8 text (a lone surrogate at offset {exc.start})"
    return None


def _int_problem(value: Any, bounds: tuple[int, int]) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"is not an integer: {_describe(value)}"
    if not bounds[0] <= value <= bounds[1]:
        bits = 64 if bounds == INT64 else 32
        return f"does not fit a {bits}-bit integer: {_describe(value)}"
    return None


def _number_problem(value: Any, decimal: bool) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return f"is not a number: {_describe(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"is not a finite number: {_describe(value)}"
    if isinstance(value, Decimal) and not value.is_finite():
        return f"is not a finite number: {_describe(value)}"
    if decimal and abs(Decimal(value)) >= DECIMAL_LIMIT:
        return f"is too large for numeric(38, 9): {_describe(value)}"
    if not decimal and isinstance(value, int) and abs(value) > 2**1023:
        return f"is too large for a double: {_describe(value)}"
    return None


def value_problem(dtype: str, value: Any) -> str | None:
    """Why ``value`` (not None) does not fit a column of dlt type ``dtype``, or None."""
    if dtype in ("text", "json"):
        return _text_problem(value)
    if dtype == "bigint":
        return _int_problem(value, INT64)
    if dtype == "int":
        return _int_problem(value, INT32)
    if dtype in ("double", "decimal"):
        return _number_problem(value, dtype == "decimal")
    if dtype == "bool":
        return None if isinstance(value, bool) else f"is not true/false: {_describe(value)}"
    if dtype == "timestamp":
        if not isinstance(value, datetime) or value.tzinfo is None:
            return f"is not a UTC timestamp: {_describe(value)}"
        return None
    if dtype == "date":
        if not isinstance(value, date) or isinstance(value, datetime):
            return f"is not a date: {_describe(value)}"
        return None
    return None


def latest_allowed() -> datetime:
    """The latest observation time a tick accepts: its clock plus :data:`FUTURE_SLACK`."""
    return clock.now() + FUTURE_SLACK


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_problem(
    name: str, ts: datetime, first_day: date | None, latest: datetime | None = None
) -> str | None:
    """Why observation time ``ts`` (aware) is outside reality, naming ``name``; or None."""
    if first_day is not None and ts < datetime.combine(first_day, time(), UTC):
        return f"{name} {_iso(ts)} is before the source's first day {first_day}"
    latest = latest or latest_allowed()
    if ts > latest:
        return f"{name} {_iso(ts)} is later than the tick's clock + 10 minutes ({_iso(latest)})"
    return None


def row_problem(spec: Any, row: dict[str, Any], latest: datetime | None = None) -> str | None:
    """The first column of ``row`` that breaks its declared type (``spec`` is a
    loader ``TableSpec``), as ``"<column> <why>"``, or an observation time outside
    reality; None when every value fits. Columns the row leaves out are the loader's to
    fill (landing file, capture time) and are checked once filled."""
    for name, dtype in spec.columns.items():
        if name not in row:
            continue
        value = row[name]
        if value is None:
            if name not in spec.nullable:
                return f"{name} is missing (null)"
            continue
        problem = value_problem(dtype, value)
        if problem is not None:
            return f"{name} {problem}"
    for name in spec.observed:
        value = row.get(name)
        if isinstance(value, datetime):
            problem = time_problem(name, value, spec.first_day, latest)
            if problem is not None:
                return problem
    return None


def table_problems(spec: Any, table: pa.Table) -> tuple[pa.Array | None, list[str | None]]:
    """For an Arrow table of parsed rows: a boolean mask of the rows that fit (None when
    all do) and, per row, the reason it does not (None where it fits). Arrow has
    already typed the columns; what is left is NUL in text, null in required columns,
    non-finite doubles (Arrow keeps NaN) and observation times outside reality."""
    n = table.num_rows
    reasons: list[str | None] = [None] * n
    bad_any = False
    latest = latest_allowed()
    for name in table.column_names:
        dtype = spec.columns.get(name)
        if dtype is None:
            continue
        col = table.column(name)
        checks: list[tuple[Any, Any]] = []
        if name not in spec.nullable and col.null_count:
            checks.append((pc.is_null(col), f"{name} is missing (null)"))
        if dtype in ("text", "json") and pa.types.is_string(col.type):
            nul = pc.fill_null(pc.match_substring(col, "\x00"), False)
            checks.append((nul, f"{name} contains a NUL character (U+0000)"))
        if dtype == "double" and pa.types.is_floating(col.type):
            finite = pc.is_finite(col)
            checks.append((pc.invert(pc.fill_null(finite, True)), f"{name} is not finite"))
        if name in spec.observed and pa.types.is_timestamp(col.type):
            first = datetime.combine(spec.first_day or date(1, 1, 1), time(), UTC)
            outside = pc.or_(
                pc.less(col, pa.scalar(first, col.type)),
                pc.greater(col, pa.scalar(latest, col.type)),
            )
            checks.append((pc.fill_null(outside, False), None))
        for mask, reason in checks:
            if not pc.any(mask).as_py():
                continue
            bad_any = True
            for i in pc.indices_nonzero(mask).to_pylist():
                if reasons[i] is None:
                    reasons[i] = reason or time_problem(
                        name, col[i].as_py(), spec.first_day, latest
                    )
    if not bad_any:
        return None, reasons
    return pa.array([r is None for r in reasons], pa.bool_()), reasons
