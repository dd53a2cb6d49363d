"""Dofus marketplace, landing → records: a batch → a row per observation (its server
and capture time from the batch itself); ``ENDPOINTS`` says which table it fills."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ingestion.column_checks import RECORD_ERRORS
from ingestion.landing import LandingFile
from ingestion.loader import POINTER, EndpointSpec, Reject
from ingestion.sources.dofus_market.tables import OBSERVATIONS

MAX_KAMAS = 10**12


def parse_time(text: Any) -> datetime:
    """A batch's ``captured_at`` (ISO 8601 with a zone, ``Z`` allowed) as an aware UTC datetime;
    ValueError for anything else, a time without a zone included."""
    if not isinstance(text, str):
        raise ValueError(f"captured_at is not a timestamp: {text!r}")
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"captured_at is not ISO 8601: {text!r}") from None
    if ts.tzinfo is None:
        raise ValueError(f"captured_at has no time zone: {text!r}")
    return ts.astimezone(UTC)


def _lot(rec: dict[str, Any], name: str) -> int | None:
    value = rec.get(name)
    if value is None or value == 0:
        return None  # no lot of this size on sale
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} is not numeric: {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} is not a finite number: {value!r}")
    if value < 0 or value > MAX_KAMAS or value != int(value):
        raise ValueError(f"{name} is not a whole, positive number of kamas: {value!r}")
    return int(value)


def _level(value: Any) -> int | None:
    """An item's level: absent or a whole number; anything else is the record's fault
    (the column would otherwise turn a misread field into a silent null)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"level is not a whole number: {value!r}")
    return value


def parse_batch(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    """Parser of a capture client's batch: one ``observations`` row per item seen (server,
    capture time, client, item id and name, category, level, and the total price in kamas
    of a lot of 1, 10 and 100, None when no such lot was on sale: ``null`` or ``0``), a
    Reject per bad item. A body that is not an object, or lacks the server, a zoned
    ``captured_at`` or the ``observations`` array, is a ValueError: the whole file is
    rejected (docs/landing.md#rejected-records)."""
    payload = file.read_json()
    if not isinstance(payload, dict):
        raise ValueError("a batch is a JSON object")
    server = payload.get("server")
    if not isinstance(server, str) or not server.strip():
        raise ValueError("batch has no server")
    captured_at = parse_time(payload.get("captured_at"))
    observations = payload.get("observations")
    if not isinstance(observations, list):
        raise ValueError("batch has no 'observations' array")
    for i, rec in enumerate(observations):
        try:
            if not isinstance(rec, dict):
                raise ValueError("not an object")
            name = rec.get("item_name")
            if not isinstance(name, str) or not name.strip():
                raise ValueError("item_name is missing")
            ankama_id = rec.get("ankama_id")
            if isinstance(ankama_id, bool) or not isinstance(ankama_id, int) or ankama_id <= 0:
                raise ValueError(f"ankama_id is not a positive integer: {ankama_id!r}")
            yield {
                POINTER: f"/observations/{i}",
                "server": server.strip(),
                "captured_at": captured_at,
                "client": payload.get("client"),
                "ankama_id": ankama_id,
                "item_name": name.strip(),
                "category": rec.get("category"),
                "level": _level(rec.get("level")),
                "price_x1": _lot(rec, "price_x1"),
                "price_x10": _lot(rec, "price_x10"),
                "price_x100": _lot(rec, "price_x100"),
            }
        except RECORD_ERRORS as exc:
            yield Reject(f"/observations/{i}", str(exc), rec)


ENDPOINTS: tuple[EndpointSpec, ...] = (EndpointSpec("observations", OBSERVATIONS, parse_batch),)
