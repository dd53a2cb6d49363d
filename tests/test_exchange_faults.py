"""Issue 19 on the exchanges, replayed from landing files shaped like Yahoo's and
Binance's answers through `snapmart refresh --replay` (incremental ticks, as a deployment
runs them) on a fresh database. Right values worked out by hand in the comments.

* 6(b) Yahoo sends the newest session twice (Friday 14:30 and 21:00 UTC, same prices,
  900,000 then 950,000 shares), in one answer or in the next tick's: one observation,
  950,000 shares, the week's volume right. A Binance kline off its UTC grid (a second
  daily candle for a day) is rejected with the reason.
* 7 A 4:1 split between two incremental Yahoo fetches: the earlier bars go on the new
  scale in every tier and mart (change_24h_pct 0, not -75 %), raw keeps what Yahoo sent;
  an answer fetched after the split (already adjusted by Yahoo) is not adjusted twice;
  a tick without a split leaves history alone; a full rebuild agrees with the ticks.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from ingestion import assets
from ingestion.landing import write_atomic
from ingestion.loader import Reject
from ingestion.sources import yahoo_finance
from orchestration import transform
from orchestration.cli import app
from tests.conftest import query, scalar

ASSETS = (
    "symbol,name,asset_type,provider,provider_symbol,currency\n"
    "BTC,Bitcoin,crypto,binance,BTCUSDT,USDT\n"
    "SPLT,Split Corp,stock,yahoo_finance,SPLT,USD\n"
    "FRSH,Fetched After Corp,stock,yahoo_finance,FRSH,USD\n"
    "RPT,Repeat Corp,stock,yahoo_finance,RPT,USD\n"
    "RPT2,Repeat Later Corp,stock,yahoo_finance,RPT2,USD\n"
)
CONFIG_AT = datetime(2026, 11, 9, 12, tzinfo=UTC)


def _at(day: int, hour: int = 14, minute: int = 30) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _chart(symbol: str, bars: list[tuple], split: tuple | None = None) -> tuple[datetime, bytes]:
    """A Yahoo v8 chart answer: bars are (stamp, open, high, low, close, volume); a split
    is (stamp, numerator, denominator), keyed by its bar's epoch as Yahoo keys it."""
    stamps = [int(b[0].timestamp()) for b in bars]
    quote = {
        k: [b[i + 1] for b in bars]
        for i, k in enumerate(("open", "high", "low", "close", "volume"))
    }
    result = {
        "meta": {"currency": "USD", "symbol": symbol, "gmtoffset": -18000,
                 "exchangeTimezoneName": "America/New_York"},
        "timestamp": stamps,
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": quote["close"]}]},
    }  # fmt: skip
    if split:
        ts = int(split[0].timestamp())
        result["events"] = {
            "splits": {
                str(ts): {"date": ts, "numerator": split[1], "denominator": split[2],
                          "splitRatio": f"{split[1]}:{split[2]}"}
            }
        }  # fmt: skip
    body = json.dumps({"chart": {"result": [result], "error": None}}).encode()
    return bars[0][0], body


def _land_chart(landing, symbol: str, bars: list[tuple], split: tuple | None = None) -> None:
    # named as the fetch names it: the answer's first bar time
    at, body = _chart(symbol, bars, split)
    write_atomic("yahoo_finance", "chart", at, body, key=symbol, root=landing)


def _refresh() -> None:
    result = CliRunner().invoke(
        app, ["refresh", "--replay", "--source", "binance", "--source", "yahoo_finance"]
    )
    assert result.exit_code == 0, result.output


# SPLT before its split: Mon 11-09 … Fri 11-13, (open, high, low, close) = close − 2,
# close + 1, close − 3, close; closes 396, 398, 400, 402, 404; 1,000 shares a day.
SPLT_WEEK = [(_at(9 + i), c - 2, c + 1, c - 3, c, 1000) for i, c in enumerate(range(396, 405, 2))]
# Mon 11-16: 101 on the new scale (404 / 4), 4,000 shares, with the 4:1 split.
SPLT_SPLIT_DAY = [(_at(16), 101, 102, 100, 101, 4000)]
# RPT's week 11-16 … 11-20; Friday sent twice, same prices, the close copy with more shares.
RPT_WEEK = [
    (_at(16), 49.5, 50.5, 49, 50, 800_000),
    (_at(17), 50, 51, 49.5, 50.5, 850_000),
    (_at(18), 50.5, 51.5, 50, 51, 700_000),
    (_at(19), 51, 52, 50.5, 51.5, 750_000),
    (_at(20), 51.5, 52.5, 51, 52, 900_000),
]
RPT_FRIDAY_CLOSE = (_at(20, 21, 0), 51.5, 52.5, 51, 52, 950_000)


def _kline(open_at: datetime, o: str, h: str, lo: str, c: str, v: str) -> list:
    ms = int(open_at.timestamp() * 1000)
    return [ms, o, h, lo, c, v, ms + 86_400_000 - 1, "0", 5, "0", "0", "0"]


@pytest.fixture(scope="module")
def ticks(db, landing, tmp_path_factory) -> dict[str, float]:
    """Tick 1: the first answers. Tick 2: SPLT's split day and RPT2's Friday again.
    Tick 3: one more SPLT session, no split. Returns each tick's newest Yahoo load id."""
    config = tmp_path_factory.mktemp("config") / "tracked_assets.csv"
    config.write_text(ASSETS)
    for source in ("binance", "yahoo_finance"):
        assets.archive_assets(source, CONFIG_AT, root=landing, path=config)
    newest = "select max(_dlt_load_id)::numeric from raw_yahoo_finance.daily_bars"

    _land_chart(landing, "SPLT", SPLT_WEEK)
    # FRSH fetched once, after its split: Yahoo already put 11-12 and 11-13 on the new scale
    _land_chart(
        landing, "FRSH",
        [(_at(12), 100, 101, 99.5, 100.5, 4000), (_at(13), 100.5, 101.25, 100.25, 101, 4000),
         (_at(16), 101, 102, 100, 101, 4000)],
        split=(_at(16), 4, 1),
    )  # fmt: skip
    _land_chart(landing, "RPT", [*RPT_WEEK, RPT_FRIDAY_CLOSE])  # both copies in one answer
    _land_chart(landing, "RPT2", RPT_WEEK)  # Friday at 14:30 only, for now
    page = [
        _kline(_at(18, 0, 0), "90", "96", "89", "95", "10"),
        _kline(_at(19, 0, 0), "95", "101", "94", "100", "10"),
        _kline(_at(20, 0, 0), "100", "110", "95", "105", "10"),
        # opened at 08:00 UTC (a timeZone=+8 day): a second candle for 11-20
        _kline(_at(20, 8, 0), "104", "108", "101", "106", "7"),
    ]
    write_atomic(
        "binance", "klines", _at(18, 0, 0), json.dumps(page).encode(), key="BTCUSDT@1d",
        root=landing,
    )  # fmt: skip
    _refresh()
    loads = {"tick1": scalar(db, newest)}
    loads["tick1_change"] = scalar(
        db, "select change_24h_pct from marts.mart_latest_prices where symbol = 'SPLT'"
    )

    _land_chart(landing, "SPLT", SPLT_SPLIT_DAY, split=(_at(16), 4, 1))
    _land_chart(landing, "RPT2", [RPT_FRIDAY_CLOSE])  # the next fetch sends Friday again
    _refresh()
    loads["tick2"] = scalar(db, newest)

    _land_chart(landing, "SPLT", [(_at(17), 101, 103, 100.5, 102, 3000)])
    _refresh()
    loads["tick3"] = scalar(db, newest)
    return loads


def _daily(db, item: str) -> dict:
    rows = query(
        db,
        "select bucket_start, open, high, low, close, volume, observations"
        " from marts.fct_prices_daily where item_id = %s order by bucket_start",
        (item,),
    )
    return {r[0].date().isoformat(): r[1:] for r in rows}


# ------------------------------------------------------------------------- item 7


def test_split_puts_earlier_prices_on_the_new_scale(db, ticks) -> None:
    # before the split arrived: (404 − 402) / 402 × 100 = 0.4975 %
    assert ticks["tick1_change"] == Decimal("0.4975")
    latest = query(
        db,
        "select price, change_24h_pct from marts.mart_latest_prices where symbol = 'SPLT'",
    )
    # tick 3 brought 11-17 at 102: (102 − 101) / 101 × 100 = 0.990099 → 0.9901 %
    assert latest == [(Decimal("102"), Decimal("0.9901"))]
    daily = _daily(db, "yahoo_finance:SPLT")
    # Fri 11-13: (402, 405, 401, 404) / 4 = (100.5, 101.25, 100.25, 101), 1,000 × 4 shares
    assert daily["2026-11-13"] == (
        Decimal("100.5"),
        Decimal("101.25"),
        Decimal("100.25"),
        Decimal("101"),
        4000,
        1,
    )
    assert [daily[d][3] for d in sorted(daily)] == [
        Decimal(x) for x in ("99", "99.5", "100", "100.5", "101", "101", "102")
    ]  # 396 / 4 … 404 / 4, then 11-16 at 101 and 11-17 at 102 as sent
    # so the session after the split is 0 % against the one before: 101 vs 404 / 4
    assert (daily["2026-11-16"][3] - daily["2026-11-13"][3]) / daily["2026-11-13"][3] == 0


def test_split_reaches_every_tier_and_mart_but_not_raw(db, ticks) -> None:
    weeks = query(
        db,
        "select bucket_start::date, open, high, low, close, volume from marts.fct_prices_weekly"
        " where item_id = 'yahoo_finance:SPLT' order by 1",
    )
    # week of 11-09: open 394 / 4 = 98.5, high 405 / 4 = 101.25, low 393 / 4 = 98.25,
    # close 101, volume 5 × 4,000 = 20,000; week of 11-16: 101, 103, 100, 102, 3,000 + 4,000
    assert weeks == [
        (date(2026, 11, 9), Decimal("98.5"), Decimal("101.25"), Decimal("98.25"), 101, 20000),
        (date(2026, 11, 16), 101, 103, 100, 102, 7000),
    ]
    month = query(
        db,
        "select open, high, low, close, volume from marts.fct_prices_monthly"
        " where item_id = 'yahoo_finance:SPLT'",
    )
    assert month == [(Decimal("98.5"), Decimal("103"), Decimal("98.25"), Decimal("102"), 27000)]
    history = query(
        db,
        "select bucket_start::date::text, close, volume from marts.mart_asset_history"
        " where item_id = 'yahoo_finance:SPLT' and range_name = '1y'"
        " and bucket_start < '2026-11-14'"
        " order by 1",
    )
    assert history[-1] == ("2026-11-13", Decimal("101"), 4000)
    assert len(history) == 5
    observed = query(
        db,
        "select price, volume from marts.fct_price_observations"
        " where item_id = 'yahoo_finance:SPLT' and observed_at = %s",
        (_at(13),),
    )
    assert observed == [(Decimal("101"), 4000)]
    # raw keeps Yahoo's answer as it came
    assert query(
        db,
        "select close, volume, split_numerator from raw_yahoo_finance.daily_bars"
        " where symbol = 'SPLT' and bar_at = %s",
        (_at(13),),
    ) == [(Decimal("404"), 1000, None)]
    assert query(
        db,
        "select split_numerator, split_denominator from raw_yahoo_finance.daily_bars"
        " where symbol = 'SPLT' and bar_at = %s",
        (_at(16),),
    ) == [(4, 1)]


def test_an_answer_fetched_after_the_split_is_not_adjusted_twice(db, ticks) -> None:
    daily = _daily(db, "yahoo_finance:FRSH")
    # Yahoo sent 11-12 and 11-13 already ÷ 4, in the answer that holds the split itself
    assert {d: (v[3], v[4]) for d, v in daily.items()} == {
        "2026-11-12": (Decimal("100.5"), 4000),
        "2026-11-13": (Decimal("101"), 4000),
        "2026-11-16": (Decimal("101"), 4000),
    }
    assert scalar(
        db, "select change_24h_pct from marts.mart_latest_prices where symbol = 'FRSH'"
    ) == Decimal("0")  # (101 − 101) / 101


def test_only_a_split_rewrites_history(db, ticks) -> None:
    """Tick 2 (the split) moved all six SPLT sessions into its load, so the price fact
    and the tiers rewrote them; tick 3 (one new session, no split) touched that one."""
    per_load = dict(
        query(
            db,
            "select load_id, count(*) from intermediate.int_exchanges__yahoo_sessions"
            " where provider_symbol = 'SPLT' group by load_id",
        )
    )
    assert per_load == {ticks["tick2"]: 6, ticks["tick3"]: 1}
    assert (
        scalar(
            db,
            "select count(*) from marts.fct_price_observations"
            " where item_id = 'yahoo_finance:SPLT' and load_id = %s",
            (ticks["tick3"],),
        )
        == 1
    )


def test_a_split_keyed_off_its_bar_still_lands(tmp_path) -> None:
    """Yahoo keys a split by its bar's stamp; one keyed at 05:00 UTC (midnight in New
    York) goes on that day's 14:30 bar, and one on a day the answer has no bar comes as
    an empty bar of its own, so the earlier prices still get put on the new scale."""
    at, body = _chart("SPLT", [(_at(16), 101, 102, 100, 101, 4000)], split=(_at(16, 5, 0), 4, 1))
    answer = json.loads(body)
    ts = str(int(_at(18).timestamp()))
    answer["chart"]["result"][0]["events"]["splits"][ts] = {"numerator": 2, "denominator": 1}
    f = write_atomic(
        "yahoo_finance", "chart", at, json.dumps(answer).encode(), key="SPLT", root=tmp_path
    )
    rows = [r for r in yahoo_finance.parse_chart(f) if not isinstance(r, Reject)]
    got = [(r["bar_at"], r["close"], r["split_numerator"], r["split_denominator"]) for r in rows]
    assert got == [(_at(16), 101, 4, 1), (_at(18), None, 2, 1)]


# ------------------------------------------------------------------------ item 6(b)


@pytest.mark.parametrize("symbol", ["RPT", "RPT2"])  # one answer / the next tick's answer
def test_a_repeated_session_is_one_observation(db, ticks, symbol: str) -> None:
    item = f"yahoo_finance:{symbol}"
    friday = query(
        db,
        "select observed_at, volume from marts.fct_price_observations"
        " where item_id = %s and observed_at >= %s",
        (item, _at(20, 0, 0)),
    )
    assert friday == [(_at(20), 950_000)]  # one observation, the later copy's volume
    daily = _daily(db, item)
    assert daily["2026-11-20"] == (
        Decimal("51.5"),
        Decimal("52.5"),
        Decimal("51"),
        Decimal("52"),
        950_000,
        1,
    )
    # the week: 800,000 + 850,000 + 700,000 + 750,000 + 950,000 = 4,050,000
    # (the two copies summed gave 4,950,000: 900,000 too many)
    week = query(
        db,
        "select volume, observations, close from marts.fct_prices_weekly where item_id = %s",
        (item,),
    )
    assert week == [(4_050_000, 5, Decimal("52"))]
    # raw keeps both copies as Yahoo sent them
    assert (
        scalar(
            db,
            "select count(*) from raw_yahoo_finance.daily_bars where symbol = %s and bar_at >= %s",
            (symbol, _at(20, 0, 0)),
        )
        == 2
    )


def test_an_off_grid_kline_is_rejected_not_a_second_candle(db, ticks) -> None:
    reasons = query(
        db,
        "select record_pointer, reason from raw_binance.rejected_records"
        " where landing_file like '%%BTCUSDT@1d%%'",
    )
    assert reasons == [("/3", "open time 2026-11-20T08:00:00.000Z is not on the 1d grid (UTC)")]
    daily = _daily(db, "binance:BTCUSDT")
    # 11-20's own kline alone: open 100, high 110, low 95, close 105, volume 10
    assert daily["2026-11-20"] == (
        Decimal("100"),
        Decimal("110"),
        Decimal("95"),
        Decimal("105"),
        10,
        1,
    )


# ------------------------------------------------------------- full rebuild agrees


def test_a_full_rebuild_agrees_with_the_ticks(db, ticks) -> None:
    """The three incremental ticks and a full rebuild of the exchange models and the price
    tiers give the same candles (this also runs the models' unit tests)."""
    tiers = """
        select '{t}', market_id, item_id, bucket_start, open, high, low, close, volume,
               observations
        from marts.{t} where market_id = 'yahoo-us'
    """
    both = " union all ".join(
        tiers.format(t=t) for t in ("fct_prices_daily", "fct_prices_weekly", "fct_prices_monthly")
    )
    obs = (
        "select item_id, observed_at, price, price_open, price_high, price_low, volume"
        " from marts.fct_price_observations where market_id = 'yahoo-us'"
    )
    before = sorted(query(db, both)), sorted(query(db, obs))
    built = transform.run_dbt(
        "build",
        "stg_yahoo_finance__daily_bars int_exchanges__splits int_exchanges__yahoo_sessions"
        " int_exchanges__observations int_markets__price_observations fct_price_observations"
        " fct_prices_daily fct_prices_weekly fct_prices_monthly",
        full_refresh=True,
    )
    assert built.success, [(n.name, n.message) for n in built.failed()]
    unit = [n for n in built.nodes if n.resource_type == "unit_test"]
    assert len(unit) >= 3 and all(n.status == "pass" for n in unit)
    assert (sorted(query(db, both)), sorted(query(db, obs))) == before
    assert len(before[1]) == 7 + 3 + 5 + 5  # SPLT, FRSH, RPT, RPT2 sessions
