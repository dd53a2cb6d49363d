"""The columnar WoW parsers agree with the record-by-record validator, row for row and
reason for reason, on clean files, on files with bad listings, and on files whose
oddities make them fall back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from ingestion.landing import LandingFile, write_atomic
from ingestion.loader import Reject
from ingestion.simulator.wow import WowMarket
from ingestion.sources.wow_auctions import parse as wow

AT = datetime(2026, 11, 22, 6, 7, tzinfo=UTC)


def _land(tmp_path, endpoint: str, key: str, payload: object) -> LandingFile:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return write_atomic("wow_auctions", endpoint, AT, body, key=key, root=tmp_path)


def _reference(parse, file) -> tuple[list[dict], list[tuple[str, str]]]:
    rows, rejects = [], []
    for item in parse(file):
        if isinstance(item, Reject):
            rejects.append((item.record_pointer, item.reason))
        else:
            rows.append(item)
    return rows, rejects


def _agree(columns, parse, file) -> tuple[pa.Table, list]:
    table, rejects = columns(file)
    rows, reasons = _reference(parse, file)
    assert table.to_pylist() == rows
    assert [(r.record_pointer, r.reason) for r in rejects] == reasons
    return table, rejects


GOOD = {"id": 1, "item": {"id": 210000}, "quantity": 5, "unit_price": 1200, "time_left": "SHORT"}

BAD_COMMODITIES = [
    GOOD,
    {**GOOD, "id": 2, "unit_price": -5},
    {**GOOD, "id": 3, "unit_price": None},
    {"id": 4, "item": {"id": 210000}, "quantity": 5, "time_left": "SHORT"},
    {**GOOD, "id": 5, "time_left": "FOREVER"},
    {**GOOD, "id": 6, "quantity": 0},
    {**GOOD, "id": 7, "item": {}},
    {**GOOD, "id": 8},
]


def test_clean_snapshot_takes_the_arrow_path_and_matches(tmp_path) -> None:
    snapshot = WowMarket(seed=3).commodities_snapshot("us", int(AT.timestamp()))
    file = _land(tmp_path, "commodities", "us", snapshot)
    assert wow._commodities_arrow(file) is not None
    table, rejects = _agree(wow.commodities_columns, wow.parse_commodities, file)
    assert rejects == [] and table.num_rows == len(snapshot["auctions"]) > 1000


def test_bad_listings_get_the_reference_reasons(tmp_path) -> None:
    file = _land(tmp_path, "commodities", "us", {"auctions": BAD_COMMODITIES})
    assert wow._commodities_arrow(file) is not None  # types are plain: still the fast path
    table, rejects = _agree(wow.commodities_columns, wow.parse_commodities, file)
    assert table.column("auction_id").to_pylist() == [1, 8]
    assert {r.reason for r in rejects} >= {
        "unit_price is out of range: -5",
        "unit_price is missing",
        "unknown time_left: 'FOREVER'",
        "id is missing",  # the item without an id
    }


@pytest.mark.parametrize(
    "odd",
    [
        {**GOOD, "id": 2, "unit_price": 1.5},  # a float: Arrow would truncate it
        {**GOOD, "id": 2, "unit_price": "1200"},  # a string among numbers
        {**GOOD, "id": 2, "quantity": True},  # a bool
        17,  # not an object at all
    ],
)
def test_odd_records_fall_back_and_still_agree(tmp_path, odd) -> None:
    file = _land(tmp_path, "commodities", "us", {"auctions": [GOOD, odd, {**GOOD, "id": 3}]})
    table, rejects = _agree(wow.commodities_columns, wow.parse_commodities, file)
    assert table.column("auction_id").to_pylist() == [1, 3]
    assert [r.record_pointer for r in rejects] == ["/auctions/1"]


def test_pretty_printed_snapshot_parses(tmp_path) -> None:
    file = _land(tmp_path, "commodities", "us", json.dumps({"auctions": [GOOD]}, indent=2).encode())
    table, _ = _agree(wow.commodities_columns, wow.parse_commodities, file)
    assert table.num_rows == 1


def test_realm_columns_match_with_pets_and_bad_listings(tmp_path) -> None:
    snapshot = WowMarket(seed=3).realm_snapshot(3676, int(AT.timestamp()))
    snapshot["auctions"] += [
        {"id": 91, "item": {"id": 19019}, "buyout": -5, "quantity": 1, "time_left": "LONG"},
        {"id": 92, "item": {"id": 19019}, "quantity": 1, "time_left": "LONG"},
        {"id": 93, "item": {"id": 19019}, "buyout": 100, "quantity": 1, "time_left": "NEVER"},
    ]
    file = _land(tmp_path, "connected_realm", "3676", snapshot)
    table, rejects = _agree(wow.realm_columns, wow.parse_realm, file)
    assert len(rejects) == 3
    assert table.filter(pa.compute.is_valid(table.column("pet_species_id"))).num_rows > 0
