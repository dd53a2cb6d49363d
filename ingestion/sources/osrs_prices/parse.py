"""OSRS prices, landing → records: a parser per endpoint (and Arrow for the buckets),
and ``ENDPOINTS``, which says which parser fills which raw table (:mod:`.tables`).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingestion import columnar
from ingestion.column_checks import RECORD_ERRORS, time_problem
from ingestion.landing import LandingFile
from ingestion.loader import POINTER, EndpointSpec, FileRejected, Reject
from ingestion.sources.osrs_prices.tables import (
    BUCKET_SECONDS,
    BUCKET_TABLE,
    COMMON,
    FIRST_DAY,
    ITEMS,
    LATEST_PRICES,
    MAX_PRICE,
    bucket_table,
)


def _epoch(value: Any, name: str) -> datetime | None:
    """Epoch seconds → aware UTC; ValueError naming ``name`` for anything else, or for
    an epoch no calendar holds (``10**20``). Reality bounds are the loader's check."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} is not an epoch-seconds integer: {value!r}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"{name} is not a representable time: {value!r}") from None


def _price(record: dict[str, Any], name: str) -> int | None:
    """A price or volume: integer gp, null allowed, anything else is a contract breach."""
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} is not numeric: {value!r}")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{name} is not a finite number: {value!r}")
        value = round(value)
    if value < 0 or value > MAX_PRICE:
        raise ValueError(f"{name} is out of range: {value!r}")
    return int(value)


def _item_id(key: Any) -> int:
    try:
        item_id = int(key)
    except (TypeError, ValueError):
        raise ValueError(f"item id is not an integer: {key!r}") from None
    if item_id < 0:
        raise ValueError(f"item id is negative: {key!r}")
    if item_id > 2**63 - 1:
        raise ValueError(f"item id does not fit a 64-bit integer: {key!r}")
    return item_id


def parse_mapping(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    """Parser of ``/mapping``: an ``items`` row per item (id, name, examine, members, low and
    high alchemy and store value in gp, buy limit, icon), a Reject per bad entry. A body
    that is not a JSON array is a ValueError: the whole file is rejected
    (docs/landing.md#rejected-records)."""
    payload = file.read_json()
    if not isinstance(payload, list):
        raise ValueError("mapping is not a JSON array")
    for i, rec in enumerate(payload):
        pointer = f"/{i}"
        try:
            if not isinstance(rec, dict):
                raise ValueError("not an object")
            name = rec.get("name")
            if not isinstance(name, str) or not name.strip():
                raise ValueError("name is missing")
            yield {
                POINTER: pointer,
                "item_id": _item_id(rec.get("id")),
                "item_name": name,
                "examine": rec.get("examine"),
                "members": bool(rec.get("members")) if rec.get("members") is not None else None,
                "low_alch": _price(rec, "lowalch"),
                "high_alch": _price(rec, "highalch"),
                "store_value": _price(rec, "value"),
                "buy_limit": _price(rec, "limit"),
                "icon": rec.get("icon"),
            }
        except RECORD_ERRORS as exc:
            yield Reject(pointer, str(exc), rec)


def parse_latest(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    """Parser of ``/latest``: a ``latest_prices`` row per item of ``data`` (id, the last
    instant-buy ``high`` and instant-sell ``low`` price in gp, and when each traded, UTC
    from epoch seconds; null where it never traded), a Reject per bad entry. No ``data``
    object is a ValueError: the whole file is rejected (docs/landing.md#rejected-records)."""
    payload = file.read_json()
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise ValueError("no 'data' object")
    for key, rec in data.items():
        pointer = f"/data/{key}"
        try:
            if not isinstance(rec, dict):
                raise ValueError("not an object")
            yield {
                POINTER: pointer,
                "item_id": _item_id(key),
                "high": _price(rec, "high"),
                "high_time": _epoch(rec.get("highTime"), "highTime"),
                "low": _price(rec, "low"),
                "low_time": _epoch(rec.get("lowTime"), "lowTime"),
            }
        except RECORD_ERRORS as exc:
            yield Reject(pointer, str(exc), rec)


def _bucket_payload(file: LandingFile) -> tuple[dict[str, Any], datetime]:
    payload = file.read_json()
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise ValueError("no 'data' object")
    try:
        bucket_at = _epoch(payload.get("timestamp"), "timestamp")
    except ValueError as exc:
        raise FileRejected("/timestamp", str(exc)) from None
    if bucket_at is None:
        raise FileRejected("/timestamp", "no bucket 'timestamp'")
    problem = time_problem("timestamp", bucket_at, FIRST_DAY)
    if problem is not None:
        raise FileRejected("/timestamp", problem)
    step = BUCKET_SECONDS.get(file.endpoint)
    off = payload["timestamp"] % step if step else 0
    if off:
        raise FileRejected(
            "/timestamp",
            f"timestamp {payload['timestamp']} is {off} s off the {file.endpoint} grid",
        )
    return payload["data"], bucket_at


_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*(-?[0-9]{1,19})\b')


def bucket_time(file: LandingFile) -> datetime | None:
    """A bucket file's own ``timestamp``, found without parsing the body (every pending
    bucket is asked before the load, to find one bucket saved under two names); None
    when it cannot be read, and the parser then says why."""
    try:
        match = _TIMESTAMP.search(file.read_bytes())
        return datetime.fromtimestamp(int(match.group(1)), UTC) if match else None
    except (OSError, EOFError, ValueError, OverflowError, zlib.error):
        return None


def _bucket_row(key: Any, rec: Any, bucket_at: datetime) -> dict[str, Any]:
    """One item of a bucket, or ValueError with the reason (the reference validator)."""
    if not isinstance(rec, dict):
        raise ValueError("not an object")
    return {
        "item_id": _item_id(key),
        "bucket_at": bucket_at,
        "avg_high_price": _price(rec, "avgHighPrice"),
        "high_price_volume": _price(rec, "highPriceVolume") or 0,
        "avg_low_price": _price(rec, "avgLowPrice"),
        "low_price_volume": _price(rec, "lowPriceVolume") or 0,
    }


def parse_bucket(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    """Parser of a ``/5m`` or ``/1h`` bucket, record by record: a row per item (id, bucket
    time, average high and low price in gp, null when nothing traded, and their volumes, 0
    when absent), a Reject per bad item. A bucket time that is missing, outside reality or
    off the endpoint's grid is a FileRejected at ``/timestamp``; no ``data`` object a
    ValueError: the whole file is rejected (docs/landing.md#rejected-records)."""
    data, bucket_at = _bucket_payload(file)
    for key, rec in data.items():
        try:
            yield {**_bucket_row(key, rec, bucket_at), POINTER: f"/data/{key}"}
        except RECORD_ERRORS as exc:
            yield Reject(f"/data/{key}", str(exc), rec)


def _clean_bucket(keys: list[str], recs: list[Any]) -> dict[str, pa.Array] | None:
    """The columns of a bucket in which every item is clean, or None. Python's min/max
    over a few thousand ints beat Arrow's per-call overhead on files this small."""
    if not all(type(r) is dict for r in recs) or not all(
        k.isascii() and k.isdigit() and len(k) <= 18
        for k in keys  # 18 digits fit int64
    ):
        return None
    out = {"item_id": pa.array([int(k) for k in keys], pa.int64())}
    for column, name in _BUCKET_FIELDS.items():
        values = [r.get(name) for r in recs]
        present = [v for v in values if v is not None]
        if present and (
            not all(type(v) is int for v in present) or min(present) < 0 or max(present) > MAX_PRICE
        ):
            return None
        if column.endswith("_volume"):
            values = [0 if v is None else v for v in values]
        out[column] = pa.array(values, pa.int64())
    return out


def bucket_columns(file: LandingFile) -> tuple[pa.Table, list[Reject]]:
    """A bucket column by column. A year of 5m history is 105,000 files of thousands of
    items: validating item by item in Python cost more than the rest of the load (and
    4× a plain COPY), so Arrow checks whole columns and only the items that fail go
    back through ``_bucket_row`` for their reason. A file of floats or odd shapes takes
    the record-by-record path whole."""
    data, bucket_at = _bucket_payload(file)
    spec = BUCKET_TABLE
    keys, recs = list(data), list(data.values())
    n = len(keys)
    clean = _clean_bucket(keys, recs)
    if clean is not None:  # the usual file: no Arrow compute kernels per small file
        clean["bucket_at"] = pa.array([bucket_at] * n, pa.timestamp("us", tz="UTC"))
        names = [f.name for f in spec.arrow_schema() if f.name in clean]
        return pa.Table.from_arrays([clean[c] for c in names], names=names), []

    def build() -> dict[str, pa.Array]:
        return {
            "item_id": columnar.int_column(
                [int(k) if k.isascii() and k.isdigit() and len(k) <= 18 else None for k in keys]
            ),
            **{
                column: columnar.int_column([r.get(field) for r in recs])
                for column, field in _BUCKET_FIELDS.items()
            },
        }

    cols = columnar.python_columns(build)
    if cols is None:
        return columnar.rows_to_table(spec, parse_bucket(file), skip=COMMON)
    valid = columnar.all_of(
        [
            columnar.between(cols["item_id"], 0, 2**63 - 1),
            *(columnar.between(cols[c], 0, MAX_PRICE, nullable=True) for c in _BUCKET_FIELDS),
        ]
    )
    for volume in ("high_price_volume", "low_price_volume"):
        cols[volume] = pc.fill_null(cols[volume], 0)
    cols["bucket_at"] = pa.array([bucket_at] * n, pa.timestamp("us", tz="UTC"))
    return columnar.split_valid(
        spec,
        cols,
        valid,
        recs.__getitem__,
        lambda i, r: _bucket_row(keys[i], r, bucket_at),
        lambda i: f"/data/{keys[i]}",
    )


_BUCKET_FIELDS = {  # raw column → the API's field
    "avg_high_price": "avgHighPrice",
    "high_price_volume": "highPriceVolume",
    "avg_low_price": "avgLowPrice",
    "low_price_volume": "lowPriceVolume",
}

ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec("mapping", ITEMS, parse_mapping),
    EndpointSpec("latest", LATEST_PRICES, parse_latest),
    *(
        EndpointSpec(
            endpoint,
            bucket_table(f"prices_{endpoint}"),
            parse_bucket,
            parse_columns=bucket_columns,
            file_time=bucket_time,
            file_time_column="bucket_at",
        )
        for endpoint in ("5m", "1h")
    ),
)
