"""Landing → raw with dlt, on a real PostgreSQL: counts, idempotence, rejects, nulls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingestion.landing import LandingFile, iter_landing_files, write_atomic
from ingestion.simulator.writer import write_osrs_prices
from orchestration import ingest
from tests.conftest import SIM_END, query, scalar


def _expected_rows(root: Path) -> dict[str, int]:
    """Count records straight from the landing files: what the raw tables must hold."""
    counts = {"items": 0, "latest_prices": 0, "prices_5m": 0, "prices_1h": 0}
    table = {"mapping": "items", "latest": "latest_prices", "5m": "prices_5m", "1h": "prices_1h"}
    for f in iter_landing_files("osrs_prices", root=root):
        assert isinstance(f, LandingFile)
        payload = json.loads(f.read_text())
        n = len(payload) if f.endpoint == "mapping" else len(payload["data"])
        counts[table[f.endpoint]] += n
    return counts


@pytest.fixture(scope="module")
def loaded(db, landing):
    write_osrs_prices(0.5, seed=11, n_items=40, end=SIM_END, root=landing)
    expected = _expected_rows(landing)
    first = ingest.load_source("osrs_prices")
    return expected, first


def test_row_counts_per_table_match_the_landing_files(db, loaded) -> None:
    expected, first = loaded
    for table, n in expected.items():
        assert scalar(db, f"select count(*) from raw_osrs_prices.{table}") == n, table
    assert first.rows == expected
    assert first.rejected == 0


def test_loading_again_adds_nothing(db, loaded) -> None:
    before = {t: scalar(db, f"select count(*) from raw_osrs_prices.{t}") for t in loaded[0]}
    again = ingest.load_source("osrs_prices")
    assert again.rows == {} and again.files == 0
    after = {t: scalar(db, f"select count(*) from raw_osrs_prices.{t}") for t in loaded[0]}
    assert before == after


def test_null_prices_stay_null(db, loaded) -> None:
    nulls = scalar(db, "select count(*) from raw_osrs_prices.prices_5m where avg_low_price is null")
    zero_volume = scalar(
        db, "select count(*) from raw_osrs_prices.prices_5m where low_price_volume = 0"
    )
    assert nulls > 0 and nulls == zero_volume


def test_a_refetched_bucket_merges_instead_of_duplicating(db, loaded, landing) -> None:
    f = next(
        f for f in iter_landing_files("osrs_prices", ["5m"], landing) if isinstance(f, LandingFile)
    )
    payload = json.loads(f.read_text())
    item = next(iter(payload["data"]))
    payload["data"][item]["highPriceVolume"] += 1000  # late trades, same bucket
    write_atomic("osrs_prices", "5m", f.captured_at, json.dumps(payload).encode(), root=landing)
    before = scalar(db, "select count(*) from raw_osrs_prices.prices_5m")
    ingest.load_source("osrs_prices")
    assert scalar(db, "select count(*) from raw_osrs_prices.prices_5m") == before
    vol = scalar(
        db,
        "select high_price_volume from raw_osrs_prices.prices_5m"
        " where item_id = %s and bucket_at = %s",
        (int(item), f.captured_at),
    )
    assert vol == payload["data"][item]["highPriceVolume"]


def test_bad_records_are_rejected_and_good_ones_loaded(db, loaded, landing) -> None:
    at = SIM_END.replace(hour=9)
    write_atomic("osrs_prices", "latest", at, b'{"data": {"2": {"high": 19', root=landing)
    bucket = {
        "data": {
            "2": {
                "avgHighPrice": 190,
                "highPriceVolume": 5,
                "avgLowPrice": 188,
                "lowPriceVolume": 4,
            },
            "314": {
                "avgHighPrice": "3gp",
                "highPriceVolume": 1,
                "avgLowPrice": 3,
                "lowPriceVolume": 1,
            },
        },
        "timestamp": int(at.timestamp()),
    }
    write_atomic("osrs_prices", "5m", at, json.dumps(bucket).encode(), root=landing)
    (landing / "osrs_prices" / "5m" / "not-a-capture.json").write_text("{}")
    summary = ingest.load_source("osrs_prices")
    assert summary.rows == {"prices_5m": 1}
    rejects = {
        (r[0].rsplit("/", 1)[-1], r[1]): r[2]
        for r in query(
            db, "select landing_file, record_pointer, reason from raw_osrs_prices.rejected_records"
        )
    }
    assert rejects[("20261122T090000Z.json", "/data/314")] == "avgHighPrice is not numeric: '3gp'"
    truncated = rejects[("20261122T090000Z.json", "$file")]
    assert truncated.startswith("not valid JSON: ")  # the byte offset follows
    assert "does not follow" in rejects[("not-a-capture.json", "$file")]
    payload = scalar(
        db,
        "select payload from raw_osrs_prices.rejected_records where record_pointer = '/data/314'",
    )
    assert json.loads(payload)["avgHighPrice"] == "3gp"
    assert (
        scalar(
            db,
            "select avg_high_price from raw_osrs_prices.prices_5m"
            " where item_id = 2 and bucket_at = %s",
            (at,),
        )
        == 190
    )
    # and re-running keeps one reject per record
    ingest.load_source("osrs_prices")
    assert scalar(db, "select count(*) from raw_osrs_prices.rejected_records") == 3
