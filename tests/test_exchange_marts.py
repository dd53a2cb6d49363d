"""Exchanges through the warehouse: one tick from the simulator, a re-run that adds
nothing, the next day's daily kline landing final, bad input rejected alone, and the
weekly tier recomputed here from the daily one."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from ingestion.landing import write_atomic
from ingestion.simulator.writer import write_exchanges, write_osrs_prices
from orchestration.cli import app
from tests.conftest import SIM_END, query, scalar

ASSETS = (
    "symbol,name,asset_type,provider,provider_symbol,currency\n"
    "BTC,Bitcoin,crypto,binance,BTCUSDT,USDT\n"
    "NOPE,Unknown coin,crypto,binance,NOPEUSDT,USDT\n"
    "ETH,Ether,crypto,binance,ETHUSDT,USDT\n"
    "AAPL,Apple Inc.,stock,yahoo_finance,AAPL,USD\n"
    "GONE,Delisted Corp,stock,yahoo_finance,GONE,USD\n"
    "SPY,SPDR S&P 500,etf,yahoo_finance,SPY,USD\n"
)
END = SIM_END - timedelta(days=1)
COUNTS = """
    select (select count(*) from raw_binance.klines),
           (select count(*) from raw_yahoo_finance.daily_bars),
           (select count(*) from marts.fct_price_observations),
           (select count(*) from marts.fct_prices_daily)
"""


def _refresh() -> str:
    result = CliRunner().invoke(
        app, ["refresh", "--replay", "--source", "binance", "--source", "yahoo_finance"]
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def tick(db, landing, tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "tracked_assets.csv"
    path.write_text(ASSETS)
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCES__BINANCE__HISTORY_DAYS", "400")
    mp.setenv("SOURCES__YAHOO_FINANCE__HISTORY_DAYS", "900")  # past what the daily tier keeps
    write_exchanges(seed=5, end=END, root=landing, assets_file=path)
    _refresh()
    yield path
    mp.undo()


def test_latest_prices_and_skipped_symbols(db, tick) -> None:
    latest = dict(query(db, "select symbol, price from marts.mart_latest_prices"))
    assert set(latest) == {"BTC", "ETH", "AAPL", "SPY"}  # the unknown two are skipped
    assert all(p > 0 for p in latest.values())
    reasons = [r[0] for r in query(db, "select reason from raw_yahoo_finance.rejected_records")]
    assert any("GONE" in r and "symbol may be delisted" in r for r in reasons)
    assert scalar(db, "select count(*) from raw_binance.klines where symbol = 'NOPEUSDT'") == 0


def test_rerun_adds_nothing_and_next_day_kline_is_final(db, landing, tick) -> None:
    before = query(db, COUNTS)[0]
    write_exchanges(seed=5, end=END, root=landing, assets_file=tick)  # the same tick again
    _refresh()
    assert query(db, COUNTS)[0] == before
    day = END.replace(hour=0, minute=0, second=0, microsecond=0)
    # END's day was still open at END: today's daily candle is the hourly roll-up of minutes
    assert (
        scalar(
            db,
            "select observations from marts.fct_prices_daily"
            " where item_id = 'binance:BTCUSDT' and bucket_start = %s",
            (day,),
        )
        > 1
    )
    write_exchanges(seed=5, end=END + timedelta(days=1), root=landing, assets_file=tick)
    _refresh()
    kline = query(
        db,
        "select open::numeric, close::numeric from raw_binance.klines"
        " where symbol = 'BTCUSDT' and kline_interval = '1d' and open_time = %s",
        (day,),
    )
    assert len(kline) == 1  # closed now, so fetched once, final
    candle = query(
        db,
        "select open, close, observations from marts.fct_prices_daily"
        " where item_id = 'binance:BTCUSDT' and bucket_start = %s",
        (day,),
    )
    assert candle == [(kline[0][0], kline[0][1], 1)]  # the exchange's own candle won


def test_wrong_arity_kline_is_rejected_and_the_rest_loads(db, landing, tick) -> None:
    page = [
        [1577836800000, "7", "8", "6", "7.5", "100", 1577923199999, "750", 9, "50", "375", "0"],
        [1577923200000, "7.5", "9", "7", "8"],
    ]
    write_atomic(
        "binance",
        "klines",
        SIM_END - timedelta(days=2000),
        json.dumps(page).encode(),
        key="ETHUSDT@1d",
    )
    _refresh()
    reasons = query(
        db,
        "select record_pointer, reason from raw_binance.rejected_records"
        " where landing_file like '%%ETHUSDT@1d%%'",
    )
    assert ("/1", "a kline has 12 fields, got 5") in reasons
    close = scalar(
        db,
        "select close from marts.fct_prices_daily where item_id = 'binance:ETHUSDT'"
        " and bucket_start = '2020-01-01'",
    )
    assert close == Decimal("7.5")


def test_weekly_tier_recomputed_from_daily(db, tick) -> None:
    daily = query(
        db,
        "select bucket_start, open, high, low, close, volume from marts.fct_prices_daily"
        " where item_id = 'yahoo_finance:SPY' order by bucket_start",
    )
    weeks: dict = {}
    for start, o, h, lo, c, v in daily:
        monday = (start - timedelta(days=start.weekday())).replace(hour=0)
        w = weeks.setdefault(monday, [o, h, lo, c, Decimal(0)])
        w[1], w[2], w[3] = max(w[1], h), min(w[2], lo), c
        w[4] += v
    got = {
        r[0]: list(r[1:])
        for r in query(
            db,
            "select bucket_start, open, high, low, close, volume from marts.fct_prices_weekly"
            " where item_id = 'yahoo_finance:SPY'",
        )
    }
    assert len(got) > 50 and got == weeks


def test_prune_keeps_every_range(db, landing, tick) -> None:
    """Retention shrunk to the ranges' own spans (hourly 1 day for the 1d range, daily
    366 days for 1y) still deletes rows, and every range of every item is unchanged."""
    write_osrs_prices(3, seed=5, n_items=4, end=END, root=landing)  # three days of hours
    result = CliRunner().invoke(app, ["refresh", "--replay", "--source", "osrs_prices"])
    assert result.exit_code == 0, result.output
    history = "select * from marts.mart_asset_history order by 1, 2, 3, 4, 5"
    before = query(db, history)
    result = CliRunner().invoke(app, ["prune", "--hourly-days", "1", "--daily-days", "366"])
    assert result.exit_code == 0, result.output
    assert "marts.fct_prices_hourly" in result.output
    assert query(db, history) == before
    oldest_day, newest_day = query(
        db,
        "select min(bucket_start), max(bucket_start) from marts.fct_prices_daily"
        " where item_id = 'yahoo_finance:SPY'",
    )[0]
    assert newest_day - oldest_day <= timedelta(days=366)  # the days older than that went
    assert scalar(
        db,
        "select min(bucket_start) from marts.fct_prices_weekly where item_id = 'yahoo_finance:SPY'",
    ) < newest_day - timedelta(days=800)  # ... and the weeks still hold them
    spans = query(
        db,
        "select max(bucket_start) - min(bucket_start) from marts.fct_prices_hourly"
        " group by market_id, item_id",
    )
    assert len(spans) > 4 and max(s[0] for s in spans) <= timedelta(days=1)  # per item
