"""Issue 19's examples of real-world bytes, each beside good records, loaded on a fresh
database: the bad record (or file) is rejected with a reason naming the field or the
byte, every good record loads, and nothing crashes. Right values worked out by hand."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest

from ingestion.landing import write_atomic
from orchestration import ingest, warehouse
from tests.conftest import query, scalar

AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
BUCKET = int(AT.timestamp())  # 1795327200, on the 5-minute grid


def _land(landing, source: str, endpoint: str, body, at=AT, key=None, ext="json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    if ext.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    return write_atomic(source, endpoint, at, data, key=key, root=landing, ext=ext)


def _rejects(db, source: str) -> dict[tuple[str, str], str]:
    """(endpoint/file name, record pointer) → reason."""
    rows = query(
        db, f"select landing_file, record_pointer, reason from raw_{source}.rejected_records"
    )
    return {(f.split("/", 1)[1], p): r for f, p, r in rows}


# ------------------------------------------------------------------ Dofus (items 1, 2, 4, 5)


@pytest.fixture(scope="module")
def dofus(db, landing):
    def batch(observations, captured="2026-11-22T06:00:00Z", server="Draconiros"):
        return {"server": server, "captured_at": captured, "observations": observations}

    good = {"ankama_id": 289, "item_name": "Wheat", "price_x1": 12}
    _land(
        landing, "dofus_market", "observations",
        batch([
            {"ankama_id": 1, "item_name": "Hop\u0000", "price_x1": 5},
            {"ankama_id": 2, "item_name": "Barley", "category": 42, "price_x1": 5},
            {"ankama_id": 3, "item_name": "Oats", "level": 10**20, "price_x1": 5},
            good,
        ]),
        key="Draconiros",
    )  # fmt: skip
    nan = b'{"server": "Imagiro", "captured_at": "2026-11-22T06:00:00Z", "observations": ['
    nan += b'{"ankama_id": 7, "item_name": "Flax", "price_x1": NaN},'
    nan += b'{"ankama_id": 8, "item_name": "Hemp", "price_x1": 30}]}'
    _land(landing, "dofus_market", "observations", b"\xef\xbb\xbf" + nan, key="Imagiro")
    for when, server in (("2100-01-01T00:00:00Z", "Orukam"), ("1900-01-01T00:00:00Z", "Tylezia")):
        at = datetime.fromisoformat(when.replace("Z", "+00:00"))
        _land(landing, "dofus_market", "observations", batch([good], when, server), at, server)
    summary = ingest.load_source("dofus_market")
    return summary


def test_dofus_bad_values_reject_only_their_record(db, dofus) -> None:
    assert query(
        db, "select server, ankama_id, item_name from raw_dofus_market.observations order by 1, 2"
    ) == [("Draconiros", 289, "Wheat"), ("Imagiro", 8, "Hemp")]
    rejects = _rejects(db, "dofus_market")
    batch = "observations/20261122T060000Z__Draconiros.json"
    assert rejects[(batch, "/observations/0")] == (
        "item_name contains a NUL character (U+0000) at offset 3"
    )
    assert rejects[(batch, "/observations/1")] == "category is not text: 42"
    assert rejects[(batch, "/observations/2")] == (
        "level does not fit a 64-bit integer: 100000000000000000000"
    )
    # a UTF-8 BOM is not the file's fault; a NaN literal is its record's
    assert rejects[("observations/20261122T060000Z__Imagiro.json", "/observations/0")] == (
        "price_x1 is not a finite number: nan"
    )


def test_dofus_captures_outside_reality_are_rejected(db, dofus) -> None:
    rejects = _rejects(db, "dofus_market")
    assert rejects[("observations/21000101T000000Z__Orukam.json", "$file")].startswith(
        "capture time 2100-01-01T00:00:00Z is later than the tick's clock + 10 minutes"
    )
    assert rejects[("observations/19000101T000000Z__Tylezia.json", "$file")] == (
        "capture time 1900-01-01T00:00:00Z is before the source's first day 2004-09-01"
    )
    assert dofus.rejected == 6  # 3 records of the first batch, the NaN one, two files


# ------------------------------------------------------------- OSRS prices (items 1, 4, 5)


@pytest.fixture(scope="module")
def osrs(db, landing):
    item = {"avgHighPrice": 190, "highPriceVolume": 5, "avgLowPrice": 180, "lowPriceVolume": 2}
    _land(
        landing, "osrs_prices", "mapping",
        [
            {"id": 2, "name": "Cannonball", "examine": 12345},
            {"id": 4151, "name": "Abyssal whip", "icon": {"url": "x"}},
            {"id": 10**20, "name": "Huge"},
            {"id": 561, "name": "Nature rune", "examine": "Used for alchemy.", "limit": 18000},
        ],
    )  # fmt: skip
    _land(
        landing, "osrs_prices", "latest",
        {"data": {"2": {"high": 190, "highTime": 10**20}, "561": {"high": 150, "highTime": BUCKET},
                  "565": {"high": 200, "highTime": BUCKET}}},
    )  # fmt: skip
    # the bucket's own time is what counts, whatever the file is called
    for n, ts in enumerate((4102444800, 0, -10000000000, BUCKET + 7)):
        _land(landing, "osrs_prices", "5m", {"data": {"2": item}, "timestamp": ts},
              at=datetime.fromtimestamp(BUCKET + 600 + 300 * n, UTC))  # fmt: skip
    good = {str(i): item for i in range(10, 303)}  # 293 good items
    _land(
        landing,
        "osrs_prices",
        "5m",
        {"data": {**good, "99999999999999999999": item}, "timestamp": BUCKET},
    )
    nan = b'{"data": {"2": {"avgHighPrice": NaN, "highPriceVolume": 1}, "6": {"avgHighPrice": 9,'
    nan += b' "highPriceVolume": Infinity}, "8": {"avgHighPrice": 7}}, "timestamp": 1795327500}'
    _land(landing, "osrs_prices", "5m", nan, at=datetime.fromtimestamp(BUCKET + 300, UTC))
    return ingest.load_source("osrs_prices")


def test_mapping_records_of_the_wrong_type_are_rejected_alone(db, osrs) -> None:
    assert query(db, "select item_id, item_name from raw_osrs_prices.items") == [
        (561, "Nature rune")
    ]
    rejects = _rejects(db, "osrs_prices")
    assert rejects[("mapping/20261122T060000Z.json", "/0")] == "examine is not text: 12345"
    assert rejects[("mapping/20261122T060000Z.json", "/1")] == "icon is not text: {'url': 'x'}"
    assert rejects[("mapping/20261122T060000Z.json", "/2")] == (
        "item id does not fit a 64-bit integer: 100000000000000000000"
    )


def test_latest_epoch_overflow_loses_only_its_record(db, osrs) -> None:
    assert query(db, "select item_id from raw_osrs_prices.latest_prices order by 1") == [
        (561,), (565,)
    ]  # fmt: skip
    assert _rejects(db, "osrs_prices")[("latest/20261122T060000Z.json", "/data/2")] == (
        "highTime is not a representable time: 100000000000000000000"
    )


def test_buckets_outside_reality_or_off_the_grid_are_rejected(db, osrs) -> None:
    by_file = {f: r for (f, p), r in _rejects(db, "osrs_prices").items() if p == "/timestamp"}
    assert len(by_file) == 4 and scalar(db, "select count(*) from raw_osrs_prices.prices_5m"
                                        " where item_id = 2") == 0  # fmt: skip
    assert by_file["5m/20261122T061000Z.json"].startswith(
        "timestamp 2100-01-01T00:00:00Z is later than the tick's clock + 10 minutes"
    )
    assert by_file["5m/20261122T061500Z.json"] == (
        "timestamp 1970-01-01T00:00:00Z is before the source's first day 2013-02-22"
    )
    assert by_file["5m/20261122T062000Z.json"] == (
        "timestamp 1653-02-10T06:13:20Z is before the source's first day 2013-02-22"
    )
    assert by_file["5m/20261122T062500Z.json"] == "timestamp 1795327207 is 7 s off the 5m grid"


def test_one_bad_bucket_item_keeps_the_other_293(db, osrs) -> None:
    n = scalar(
        db, "select count(*) from raw_osrs_prices.prices_5m where bucket_at = %s",
        (AT,),
    )  # fmt: skip
    assert n == 293
    assert _rejects(db, "osrs_prices")[
        ("5m/20261122T060000Z.json", "/data/99999999999999999999")
    ] == ("item id does not fit a 64-bit integer: '99999999999999999999'")


def test_nan_and_infinity_reject_their_records_only(db, osrs) -> None:
    at = datetime.fromtimestamp(BUCKET + 300, UTC)
    assert query(
        db, "select item_id, avg_high_price from raw_osrs_prices.prices_5m where bucket_at = %s",
        (at,),
    ) == [(8, 7)]  # fmt: skip
    rejects = _rejects(db, "osrs_prices")
    assert (
        rejects[("5m/20261122T060500Z.json", "/data/2")]
        == "avgHighPrice is not a finite number: nan"
    )
    assert rejects[("5m/20261122T060500Z.json", "/data/6")] == (
        "highPriceVolume is not a finite number: inf"
    )


# --------------------------------------------------------------- Vivid Seats (items 1, 3, 8)


@pytest.fixture(scope="module")
def tickets(db, landing):
    def listing(i, p, aip):
        return {"i": i, "s": "101", "r": "5", "q": 2, "p": p, "aip": aip, "l": "L", "n": None}

    _land(
        landing, "vividseats", "listings",
        {"tickets": [listing(1, 100, 125), listing(2, -5, 10), listing(3, 0, 0),
                     listing(4, 5000000, 5000001), listing(5, 30000000, 30000001)]},
        key="5100000", ext="json.gz",
    )  # fmt: skip
    garbage = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"not deflate at all" * 4
    write_atomic("vividseats", "listings", AT, garbage, key="5100037", ext="json.gz",
                 root=landing)  # fmt: skip
    _land(
        landing, "vividseats", "production",
        {"id": 5100000, "name": "Arctic Monkeys at TD Garden", "localDate": "2026-12-01T19:30:00",
         "venue": {"name": "TD Garden", "city": "Boston"}, "minPrice": 45, "maxPrice": 262000},
        key="5100000",
    )  # fmt: skip
    return ingest.load_source("vividseats")


def test_whole_dollar_prices_get_the_same_range_check(db, tickets) -> None:
    assert query(
        db, "select listing_id, price_cents, all_in_price_cents from raw_vividseats.listings"
    ) == [(1, 10000, 12500)]
    rejects = _rejects(db, "vividseats")
    name = "listings/20261122T060000Z__5100000.json.gz"
    assert rejects[(name, "/tickets/1")] == "price is not positive: -5"
    assert rejects[(name, "/tickets/2")] == "price is not positive: 0"
    assert rejects[(name, "/tickets/3")] == "price is above the plausible US$100,000: 5000000"
    assert rejects[(name, "/tickets/4")] == "price is above the plausible US$100,000: 30000000"


def test_a_corrupt_gzip_file_is_rejected_and_the_rest_loads(db, tickets) -> None:
    reason = _rejects(db, "vividseats")[("listings/20261122T060000Z__5100037.json.gz", "$file")]
    assert reason.startswith("not a valid gzip file")


def test_a_bad_price_range_nulls_that_field_only(db, tickets) -> None:
    assert query(
        db,
        "select production_id, production_name, local_date, venue_name, min_price_cents,"
        " max_price_cents from raw_vividseats.productions",
    ) == [(5100000, "Arctic Monkeys at TD Garden", "2026-12-01T19:30:00", "TD Garden", 4500, None)]
    assert _rejects(db, "vividseats")[
        ("production/20261122T060000Z__5100000.json", "/maxPrice")
    ] == ("maxPrice is above the plausible US$100,000: 262000 (field nulled)")


def test_a_replayed_older_production_record_never_replaces_a_newer_one(db, landing) -> None:
    from orchestration import transform

    def land_and_build(at: datetime, name: str) -> list[tuple]:
        record = {"id": 5100555, "name": name, "localDate": "2026-12-20T20:00:00",
                  "venue": {"name": "Fenway Park", "city": "Boston"}}  # fmt: skip
        _land(landing, "vividseats", "production", record, at=at, key="5100555")
        ingest.load_source("vividseats")
        result = transform.run_dbt("run", "stg_vividseats__productions int_tickets__events")
        assert result.error is None, result.error
        return query(
            db,
            "select production_name, record_at from intermediate.int_tickets__events"
            " where production_id = 5100555",
        )

    renamed = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
    assert land_and_build(renamed, "Dead & Company (rescheduled)") == [
        ("Dead & Company (rescheduled)", renamed)
    ]
    # an archive replayed later holds the record of a day before: the event keeps the
    # name its newest record gives it
    assert land_and_build(renamed - timedelta(days=1), "Dead & Company") == [
        ("Dead & Company (rescheduled)", renamed)
    ]


# ------------------------------------------------------------------------ Yahoo (item 11)


def test_a_chart_error_is_named_as_yahoos_own_words(db, landing) -> None:
    error = {"code": "Not Found", "description": "No data found, symbol may be delisted"}
    body = {"chart": {"result": None, "error": error}}
    _land(landing, "yahoo_finance", "chart", body, key="GONE")
    ingest.load_source("yahoo_finance")
    assert _rejects(db, "yahoo_finance")[("chart/20261122T060000Z__GONE.json", "/chart/error")] == (
        "Yahoo answered an error for GONE: Not Found: No data found, symbol may be delisted"
    )


# ------------------------------------------------------- one bucket under two names (item 6a)


def test_a_bucket_saved_twice_loads_once_the_later_copy_winning(db, landing, osrs) -> None:
    at = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)  # payload timestamp 1795176300
    item = {"avgHighPrice": 190, "highPriceVolume": 5, "avgLowPrice": 180, "lowPriceVolume": 2}
    body = {"data": {"2": item, "6": item}, "timestamp": int(at.timestamp())}
    _land(landing, "osrs_prices", "5m", body, at=at)
    later = {
        "data": {"2": {**item, "highPriceVolume": 6}, "6": item},
        "timestamp": body["timestamp"],
    }
    _land(landing, "osrs_prices", "5m", later, at=at.replace(second=7))
    ingest.load_source("osrs_prices")
    rows = "select item_id, high_price_volume from raw_osrs_prices.prices_5m where bucket_at = %s"
    assert query(db, rows + " order by 1", (at,)) == [(2, 6), (6, 5)]  # the later copy
    assert _rejects(db, "osrs_prices")[("5m/20261120T120500Z.json", "$file")] == (
        "a copy of the observation at 2026-11-20T12:05:00Z that"
        " osrs_prices/5m/20261120T120507Z.json holds too (the later copy is loaded)"
    )
    # a third copy arriving in a later tick replaces the rows loaded before
    third = {"data": {"2": {**item, "highPriceVolume": 7}}, "timestamp": body["timestamp"]}
    _land(landing, "osrs_prices", "5m", third, at=at.replace(second=9))
    ingest.load_source("osrs_prices")
    assert query(db, rows + " order by 1", (at,)) == [(2, 7)]


# ------------------------------------------- a file is loaded only with its rows (item 2)


def test_an_aborted_load_leaves_its_files_pending_not_loaded(db, landing, dofus) -> None:
    """A load package whose COPY the database refuses (a check constraint stands in for
    any refusal) records nothing as loaded: once the package is dropped, the next load
    removes what it left and loads its files again, every good record once."""
    from ingestion import loader

    def batch(minute: int, price: int) -> dict:
        return {
            "server": "Brumen", "captured_at": f"2026-11-22T07:{minute:02d}:00Z",
            "observations": [{"ankama_id": 1, "item_name": "Wheat", "price_x1": price},
                             {"ankama_id": 2, "item_name": "Hop", "price_x1": 7}],
        }  # fmt: skip

    with warehouse.connect(db, autocommit=True) as conn:
        conn.execute(
            "alter table raw_dofus_market.observations"
            " add constraint refuse_12345 check (price_x1 is distinct from 12345)"
        )
    for minute, price in ((1, 12345), (2, 9)):
        at = AT.replace(hour=7, minute=minute)
        _land(landing, "dofus_market", "observations", batch(minute, price), at, "Brumen")
    with pytest.raises(Exception, match="refuse_12345"):
        ingest.load_source("dofus_market")
    pipeline = ingest.pipeline_for("dofus_market")
    brumen = [p for p in loader.loaded_files(pipeline) if "Brumen" in p]
    assert brumen == []  # recorded in landing_files by the failed package, not loaded
    pipeline.drop_pending_packages()  # the package is aborted
    with warehouse.connect(db, autocommit=True) as conn:
        conn.execute("alter table raw_dofus_market.observations drop constraint refuse_12345")
    ingest.load_source("dofus_market")
    assert query(
        db, "select captured_at, ankama_id, price_x1 from raw_dofus_market.observations"
        " where server = 'Brumen' order by 1, 2",
    ) == [
        (AT.replace(hour=7, minute=1), 1, 12345), (AT.replace(hour=7, minute=1), 2, 7),
        (AT.replace(hour=7, minute=2), 1, 9), (AT.replace(hour=7, minute=2), 2, 7),
    ]  # fmt: skip
    assert len([p for p in loader.loaded_files(pipeline) if "Brumen" in p]) == 2
