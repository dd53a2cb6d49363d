"""Every raw table has a Great Expectations suite, and the suites catch what they promise:
duplicate merge keys, values out of range or outside their set, timestamps from the
future (real GX 1.x against the real warehouse)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingestion.sources import SOURCES, binance, user_state
from ingestion.sources import get as get_source
from orchestration import quality, warehouse


def test_every_raw_table_of_every_source_has_a_suite() -> None:
    tables = {(f"raw_{s}", e.table.name) for s in SOURCES for e in get_source(s).ENDPOINTS}
    tables |= {("raw_user_state", t) for t in user_state.TABLES}  # the profiles folder
    suites = {(s.schema, s.table) for s in quality.SUITES}
    assert tables - suites == set()
    assert suites - tables == set()  # and no suite for a table that does not exist


def _table(db, rows: list[tuple], load_id: str) -> quality.RawSuite:
    with warehouse.connect(db) as conn:
        conn.execute("create schema if not exists raw_test")
        conn.execute(
            """create table if not exists raw_test.ticker_24hr (
                symbol text, last_price numeric, price_change_pct double precision,
                open_time timestamptz, close_time timestamptz, volume numeric,
                landing_file text, captured_at timestamptz, _dlt_load_id text)"""
        )
        conn.cursor().executemany(
            "insert into raw_test.ticker_24hr values (%s, %s, %s, %s, %s, %s, 'f', %s, %s)",
            [(*r, load_id) for r in rows],
        )
    return quality.RawSuite("raw_test", "ticker_24hr", binance.ticker_suite)


def test_ticker_suite_passes_good_rows_and_names_each_bad_one(db) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    day = timedelta(days=1)
    good = [
        ("BTCUSDT", 97_000.5, 1.25, now - day, now - timedelta(seconds=5), 1234.5, now),
        ("ETHUSDT", 3_500.0, -2.0, now - day, now - timedelta(seconds=5), 99.0, now),
    ]
    suite = _table(db, good, "1000.1")
    result = quality.validate_raw_table(suite, load_id="1000.1")
    assert result.success, result.failed

    later = now + timedelta(days=2)
    bad = [
        ("BTCUSDT", 97_000.5, 1.25, now - day, now, 1.0, now),
        ("BTCUSDT", 97_001.0, 1.30, now - day, now, 1.0, now),  # merge key twice
        ("SOLUSDT", 0, -150.0, now - day, now, -3.0, now),  # price 0, −150 %, volume < 0
        ("XRPUSDT", 0.5, 0.0, now, now - day, 1.0, later),  # closes before it opens; future
    ]
    _table(db, bad, "1000.2")
    result = quality.validate_raw_table(suite, load_id="1000.2")
    assert not result.success
    failed = {(f["expectation"], f["kwargs"].get("column", f["kwargs"].get("column_list")))
              for f in result.failed}  # fmt: skip
    assert failed == {
        ("expect_compound_columns_to_be_unique", "['captured_at', 'symbol']"),
        ("expect_column_values_to_be_between", "last_price"),
        ("expect_column_values_to_be_between", "price_change_pct"),
        ("expect_column_values_to_be_between", "volume"),
        ("expect_column_pair_values_a_to_be_greater_than_b", None),
        ("expect_column_max_to_be_between", "captured_at"),
    }
