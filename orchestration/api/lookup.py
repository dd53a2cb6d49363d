"""What several route modules look up or page the same way: an item of ``dim_items`` (a
404 when there is none), and the cursor of a list sorted by a number, biggest first,
rows without one last (opportunities, the scanner, flips)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator

from orchestration.api.db import Marts, Row
from orchestration.api.problems import bad_parameter, not_found


def no_nul(value: str | None) -> str | None:
    """A text parameter's check: PostgreSQL text cannot hold NUL, so one holding it is a
    400 up front (psycopg would refuse it too, as an error the client could only see as a
    500). Use as ``AfterValidator(no_nul)`` in the parameter's ``Annotated``."""
    if value is not None and "\x00" in value:
        raise ValueError("must not hold a NUL character")
    return value


NoNul = AfterValidator(no_nul)

ITEM_FIELDS = (
    "item_id",
    "item_name",
    "source",
    "source_item_id",
    "category",
    "is_tracked",
    "attributes",
)

ItemId = Annotated[
    str,
    Path(
        description="dim_items.item_id: '<source>:<source_item_id>', e.g. osrs_prices:2 or "
        "binance:BTCUSDT.",
        max_length=300,
    ),
    NoNul,
]


def exact(value: float | None) -> Decimal | None:
    """A number the client wrote, as the exact decimal it reads as (0.1 stays 0.1)."""
    return None if value is None else Decimal(str(value))


def item(marts: Marts, item_id: str) -> Row:
    """The item's dim_items row (ITEM_FIELDS); a 404 Problem when there is none."""
    rows = marts.fetch(
        f"select {', '.join(ITEM_FIELDS)} from marts.dim_items where item_id = %s", (item_id,)
    )
    if not rows:
        raise not_found(f"item {item_id!r}")
    return rows[0]


# A list ordered by a numeric column, biggest first and nulls last, then by item_id: the
# order of the key (column is null, −column, item_id) ascending, so a row comparison with
# the cursor's key picks up after it. Rows without a value sort as one group after the
# others; the key's middle member is exact (a numeric, carried as text in the cursor).
DESC_TYPES = (int, str, str)


def desc_order(column: str, tiebreak: str = "item_id") -> str:
    """``order by`` terms: ``column`` biggest first, nulls last, then ``tiebreak``."""
    return f"{column} is null, -coalesce({column}, 0), {tiebreak}"


def desc_after(column: str, tiebreak: str = "item_id") -> str:
    """A condition true for the rows after the cursor (``%(after_null)s``,
    ``%(after_key)s``, ``%(after_id)s``; all null without a cursor: every row)."""
    return (
        f"(%(after_id)s::text is null or ({column} is null, -coalesce({column}, 0), {tiebreak})"
        " > (%(after_null)s::int::bool, %(after_key)s::numeric, %(after_id)s::text))"
    )


def desc_params(after: list[Any] | None) -> dict[str, Any]:
    """The parameters of ``desc_after`` for a decoded cursor (or None); a 400 naming
    ``cursor`` when its key is not a number."""
    if after is None:
        return {"after_null": None, "after_key": None, "after_id": None}
    is_null, key, item_id = after
    try:
        number = Decimal(key)
        # PostgreSQL's numeric holds up to 131072 digits before the point: far fewer here
        finite = number.is_finite() and abs(number.adjusted()) < 1000
    except ArithmeticError:
        finite = False
    if not finite or is_null not in (0, 1):
        raise bad_parameter("cursor", "not a cursor this API handed out")
    return {"after_null": 1 if is_null else 0, "after_key": key, "after_id": item_id}


def desc_key(value: Decimal | None, item_id: str) -> list[Any]:
    """The cursor key of a row whose sort column holds ``value``."""
    return [1 if value is None else 0, str(-(value or Decimal(0))), item_id]
