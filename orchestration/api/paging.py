"""Opaque cursors for the lists that page: the base64url of the last row's sort key (and
of the ordering it belongs to), handed back as ``next_cursor`` and read back here."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from contextvars import ContextVar
from typing import Any

from orchestration.api.problems import bad_parameter

# The list a request asks for: its path and its filters (every query parameter but the
# cursor, the page size and the format), set per request by ``bind`` (app.py's
# middleware). A cursor carries a digest of it, so one handed out for a market, an event
# or a filter is refused on another instead of silently skipping rows there.
_LIST: ContextVar[str] = ContextVar("snapmart_api_list", default="")
NOT_FILTERS = frozenset({"cursor", "limit", "format"})
# what the SQL a key goes into can hold: bigint, and numbers a double can
MAX_INT = 2**63 - 1
MAX_FLOAT = 1e300


def bind(path: str, query: list[tuple[str, str]]) -> None:
    """Bind this request's cursors to its list: ``path`` and the filters of ``query``."""
    filters = sorted((k, v) for k, v in query if k not in NOT_FILTERS)
    text = json.dumps([path, filters], separators=(",", ":"))
    _LIST.set(hashlib.sha256(text.encode()).hexdigest()[:16])


def encode(kind: str, key: list[Any]) -> str:
    """A cursor for the row after ``key`` (JSON-able values) in ordering ``kind`` of this
    request's list (:func:`bind`)."""
    raw = json.dumps({"k": kind, "l": _LIST.get(), "after": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def _in_range(value: Any) -> bool:
    """Whether a key value fits the SQL it goes into (no NUL, bigint, finite doubles)."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, int):
        return -MAX_INT <= value <= MAX_INT
    if isinstance(value, float):
        return abs(value) <= MAX_FLOAT
    return True


def decode(cursor: str | None, kind: str, types: tuple[type, ...]) -> list[Any] | None:
    """The sort key a cursor of ordering ``kind`` holds (values of ``types``), or None
    without one. Raises a 400 Problem naming ``cursor`` for anything this API did not hand out for
    that ordering (another sort order's cursor too)."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise bad_parameter("cursor", "not a cursor this API handed out") from None
    if not isinstance(data, dict) or data.get("k") != kind or data.get("l") != _LIST.get():
        raise bad_parameter("cursor", "a cursor of another list or sort order") from None
    key = data.get("after")
    if (
        not isinstance(key, list)
        or len(key) != len(types)
        # bool is an int to Python, never to the SQL the key goes into
        or not all(
            isinstance(v, t) and not isinstance(v, bool) and _in_range(v)
            for v, t in zip(key, types, strict=True)
        )
    ):
        raise bad_parameter("cursor", "not a cursor this API handed out")
    return key


def page(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The first ``limit`` rows of a query that asked for ``limit + 1``, and whether there
    are more after them."""
    return rows[:limit], len(rows) > limit
