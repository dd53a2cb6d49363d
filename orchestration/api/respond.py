"""The representations every route answers with: JSON (an envelope with ``data``) or CSV
(a header row, then one row per item), and their caching headers.

Caching (docs/api.md#caching): ``Last-Modified`` is the data's as-of time (the newest
``as_of`` / ``updated_at`` / tick of what was read), ``ETag`` that time and a digest of
the body (so two representations never share one), ``Cache-Control: max-age`` the
seconds to the next 5-minute boundary, when the next scheduled tick may have changed the
marts. ``If-None-Match`` (or, without it, ``If-Modified-Since``) answers 304."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlencode

import orjson
from fastapi import Request, Response

# The shortest schedule (exchanges, profiles: every 5 minutes): no mart changes between
# two of its boundaries, bar a manual `snapmart refresh`.
TICK_SECONDS = 300

Format = Literal["json", "csv"]


def json_value(value: Any) -> Any:
    """A value as JSON holds it: UTC times as ISO 8601 with ``Z``, days as ``YYYY-MM-DD``,
    whole numbers as integers, other decimals as numbers (doubles)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def csv_value(value: Any) -> str:
    """A value as a CSV cell: empty for null, exact decimals, times as in JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return json_value(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


def newest(rows: Sequence[dict[str, Any]], *fields: str) -> datetime | None:
    """The newest time among ``fields`` of ``rows`` (None when they hold none)."""
    times = [r[f] for r in rows for f in fields if isinstance(r.get(f), datetime)]
    return max(times) if times else None


def seconds_to_next_tick(now: datetime | None = None) -> int:
    """Seconds from ``now`` to the next TICK_SECONDS boundary (1 … TICK_SECONDS)."""
    epoch = int((now or datetime.now(UTC)).timestamp())
    return TICK_SECONDS - epoch % TICK_SECONDS


def next_link(request: Request, cursor: str) -> str:
    """The URL of the next page: this request's with ``cursor`` set."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", cursor))
    return str(request.url.replace(query=urlencode(params)))


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): ``*`` or any listed tag equal bar ``W/``."""
    tags = [t.strip() for t in header.split(",")]
    return any(t == "*" or t.removeprefix("W/") == etag for t in tags)


def _not_modified_since(header: str | None, as_of: datetime | None) -> bool:
    if header is None or as_of is None:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored (RFC 9110 §13.1.3)
    if since.tzinfo is None:  # asctime or zone-less forms: HTTP dates are GMT (RFC 9110 §5.6.7)
        since = since.replace(tzinfo=UTC)
    return as_of.replace(microsecond=0) <= since


def respond(
    request: Request,
    rows: Sequence[dict[str, Any]],
    *,
    columns: Sequence[str],
    fmt: Format = "json",
    as_of: datetime | None = None,
    extra: dict[str, Any] | None = None,
    next_cursor: str | None = None,
    max_age: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The answer for ``rows`` (dicts holding at least ``columns``, in that order).

    JSON: ``{**extra, "as_of": …, "next_cursor": …, "data": [{column: value}]}``. CSV: a
    header row of ``columns``, then the rows; ``extra`` is left out (routes put what
    matters of it in ``headers``). Either way a next page is also a ``Link: <…>;
    rel="next"`` header. ``max_age`` defaults to the seconds to the next tick. A GET whose
    ``If-None-Match`` names this ETag (or ``If-Modified-Since`` is not older than
    ``as_of``) gets 304 and no body."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_value(row[c]) for c in columns])
        body = buffer.getvalue().encode()
        media_type = "text/csv; charset=utf-8"
    else:
        document = {
            **(extra or {}),
            "as_of": json_value(as_of),
            "next_cursor": next_cursor,
            "data": [{c: json_value(row[c]) for c in columns} for row in rows],
        }
        body = orjson.dumps(document)
        media_type = "application/json"
    digest = hashlib.sha256(body).hexdigest()[:20]
    stamp = f"{int(as_of.timestamp()):x}" if as_of is not None else "0"
    out = {
        "ETag": f'"{stamp}-{digest}"',
        "Cache-Control": f"max-age={max_age if max_age is not None else seconds_to_next_tick()}",
        **(headers or {}),
    }
    if as_of is not None:
        out["Last-Modified"] = format_datetime(as_of.astimezone(UTC), usegmt=True)
    if next_cursor is not None:
        out["Link"] = f'<{next_link(request, next_cursor)}>; rel="next"'
    if request.method in ("GET", "HEAD"):
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None:
            fresh = _etag_matches(if_none_match, out["ETag"])
        else:
            fresh = _not_modified_since(request.headers.get("if-modified-since"), as_of)
        if fresh:
            return Response(status_code=304, headers=out)
    return Response(body, media_type=media_type, headers=out)
