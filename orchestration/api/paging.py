"""Opaque cursors for the lists that page: the base64url of the last row's sort key (and
of the ordering it belongs to), handed back as ``next_cursor`` and read back here."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from orchestration.api.problems import bad_parameter


def encode(kind: str, key: list[Any]) -> str:
    """A cursor for the row after ``key`` (JSON-able values) in ordering ``kind``."""
    raw = json.dumps({"k": kind, "after": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


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
    if not isinstance(data, dict) or data.get("k") != kind:
        raise bad_parameter("cursor", "a cursor of another list or sort order") from None
    key = data.get("after")
    if (
        not isinstance(key, list)
        or len(key) != len(types)
        # bool is an int to Python, never to the SQL the key goes into
        or not all(
            isinstance(v, t) and not isinstance(v, bool) for v, t in zip(key, types, strict=True)
        )
    ):
        raise bad_parameter("cursor", "not a cursor this API handed out")
    return key


def page(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The first ``limit`` rows of a query that asked for ``limit + 1``, and whether there
    are more after them."""
    return rows[:limit], len(rows) > limit
