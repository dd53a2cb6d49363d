"""Parsing OSRS Wiki payloads: nulls kept, contract breaches rejected with a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingestion.landing import write_atomic
from ingestion.loader import POINTER, Reject
from ingestion.sources import osrs_prices as src

AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def _file(tmp_path: Path, endpoint: str, payload: object | bytes):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return write_atomic("osrs_prices", endpoint, AT, body, root=tmp_path)


def test_bucket_keeps_null_prices_and_rejects_non_numeric(tmp_path: Path) -> None:
    f = _file(
        tmp_path,
        "5m",
        {
            "data": {
                "2": {
                    "avgHighPrice": 190,
                    "highPriceVolume": 5,
                    "avgLowPrice": None,
                    "lowPriceVolume": 0,
                },
                "314": {
                    "avgHighPrice": "cheap",
                    "highPriceVolume": 1,
                    "avgLowPrice": 3,
                    "lowPriceVolume": 1,
                },
                "561": {
                    "avgHighPrice": True,
                    "highPriceVolume": 1,
                    "avgLowPrice": 3,
                    "lowPriceVolume": 1,
                },
                "565": {
                    "avgHighPrice": -5,
                    "highPriceVolume": 1,
                    "avgLowPrice": 3,
                    "lowPriceVolume": 1,
                },
                "abc": {
                    "avgHighPrice": 1,
                    "highPriceVolume": 1,
                    "avgLowPrice": 1,
                    "lowPriceVolume": 1,
                },
            },
            "timestamp": 1795327200,
        },
    )
    out = list(src.parse_bucket(f))
    rows = _rows(out)
    rejects = {r.record_pointer: r.reason for r in out if isinstance(r, Reject)}
    assert rows == [
        {
            "item_id": 2,
            "bucket_at": datetime.fromtimestamp(1795327200, UTC),
            "avg_high_price": 190,
            "high_price_volume": 5,
            "avg_low_price": None,
            "low_price_volume": 0,
        }
    ]
    assert rejects["/data/314"] == "avgHighPrice is not numeric: 'cheap'"
    assert rejects["/data/561"] == "avgHighPrice is not numeric: True"
    assert rejects["/data/565"] == "avgHighPrice is out of range: -5"
    assert rejects["/data/abc"] == "item id is not an integer: 'abc'"


def _rows(out: list) -> list[dict]:
    """The parsed rows without the pointer the loader takes off them."""
    return [{k: v for k, v in r.items() if k != POINTER} for r in out if not isinstance(r, Reject)]


def test_truncated_json_raises_for_the_loader_to_reject(tmp_path: Path) -> None:
    f = _file(tmp_path, "latest", b'{"data": {"2": {"high": 19')
    with pytest.raises(json.JSONDecodeError):
        list(src.parse_latest(f))


def test_bucket_without_timestamp_is_a_file_error(tmp_path: Path) -> None:
    f = _file(tmp_path, "1h", {"data": {}})
    with pytest.raises(ValueError, match="timestamp"):
        list(src.parse_bucket(f))


def test_mapping_limit_may_be_missing(tmp_path: Path) -> None:
    f = _file(
        tmp_path,
        "mapping",
        [
            {
                "id": 13190,
                "name": "Old school bond",
                "members": False,
                "lowalch": 1,
                "highalch": 2,
                "value": 3,
                "limit": 100,
                "icon": "b.png",
                "examine": "x",
            },
            {
                "id": 20997,
                "name": "Twisted bow",
                "members": True,
                "lowalch": 1,
                "highalch": 2,
                "value": 3,
                "icon": "t.png",
                "examine": "y",
            },
            {"id": 1, "members": True},
        ],
    )
    out = list(src.parse_mapping(f))
    assert [r["buy_limit"] for r in out if not isinstance(r, Reject)] == [100, None]
    assert [r.reason for r in out if isinstance(r, Reject)] == ["name is missing"]


def test_latest_epoch_times_become_utc(tmp_path: Path) -> None:
    f = _file(
        tmp_path,
        "latest",
        {"data": {"4151": {"high": 1700000, "highTime": 1795327000, "low": None, "lowTime": None}}},
    )
    (row,) = _rows(list(src.parse_latest(f)))
    assert row["high_time"] == datetime(2026, 11, 22, 5, 56, 40, tzinfo=UTC)
    assert row["low"] is None and row["low_time"] is None


def _bucket_agrees(f) -> tuple[list[dict], list[tuple[str, str]]]:
    """bucket_columns (the load path) and parse_bucket (the reference) agree exactly."""
    table, rejects = src.bucket_columns(f)
    reference = list(src.parse_bucket(f))
    rows = _rows(reference)
    reasons = [(r.record_pointer, r.reason) for r in reference if isinstance(r, Reject)]
    assert table.to_pylist() == rows
    assert [(r.record_pointer, r.reason) for r in rejects] == reasons
    return rows, reasons


GOOD_ITEM = {"avgHighPrice": 190, "highPriceVolume": 5, "avgLowPrice": 180, "lowPriceVolume": 2}


@pytest.mark.parametrize(
    ("data", "n_rows", "n_rejects"),
    [
        # clean: the plain-Python fast path, a missing volume becomes 0 as in the reference
        ({"2": GOOD_ITEM, "6": {**GOOD_ITEM, "avgLowPrice": None, "lowPriceVolume": None}}, 2, 0),
        # out-of-range values: the Arrow path, rejects re-validated for their reason
        ({"2": GOOD_ITEM, "4": {**GOOD_ITEM, "avgHighPrice": -5},
          "8": {**GOOD_ITEM, "lowPriceVolume": 2**31}, "9x": GOOD_ITEM}, 1, 3),
        # mixed types (a string price, a float, a non-object): the record-by-record path
        ({"2": GOOD_ITEM, "3": {**GOOD_ITEM, "avgHighPrice": "cheap"},
          "5": {**GOOD_ITEM, "avgHighPrice": 190.4}, "7": [1, 2]}, 2, 2),
        ({}, 0, 0),
    ],
)  # fmt: skip
def test_columnar_buckets_match_the_reference_validator(tmp_path, data, n_rows, n_rejects) -> None:
    f = _file(tmp_path, "5m", {"data": data, "timestamp": 1795327200})
    rows, reasons = _bucket_agrees(f)
    assert (len(rows), len(reasons)) == (n_rows, n_rejects)


def test_columnar_buckets_match_on_a_simulated_bucket(tmp_path) -> None:
    from ingestion.simulator.osrs_ge import GEMarket

    payload = GEMarket(seed=5, n_items=400).bucket("5m", 1795327200)
    rows, reasons = _bucket_agrees(_file(tmp_path, "5m", payload))
    assert len(rows) == len(payload["data"]) > 300 and not reasons
