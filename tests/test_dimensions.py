"""Dimensions follow the facts, not today's config (issue 19, item 10).

Landing archives replayed without their tracked-assets / tracked-events lists, and
configs that drop a symbol or an event after it has history: every entity that has
facts keeps its dimension row (dim_items, the exchanges' asset dimension, dim_events)
and its marts, and ``is_tracked`` says whether the config still fetches it. Every file
here is written by hand, so each expected value is worked out in the comments.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from ingestion.landing import write_atomic
from orchestration.cli import app
from tests.conftest import query

EXCHANGES = ("--source", "binance", "--source", "yahoo_finance")
ASSET_HEADER = "symbol,name,asset_type,provider,provider_symbol,currency\n"


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _day(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=UTC)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _kline(day: datetime, o: str, h: str, lo: str, c: str, v: str) -> list:
    """A closed Binance daily kline (12 fields, GET /api/v3/klines)."""
    close = day + timedelta(days=1) - timedelta(milliseconds=1)
    return [_ms(day), o, h, lo, c, v, _ms(close), "0", 10, "0", "0", "0"]


def _klines(symbol: str, rows: list[list]) -> None:
    first = datetime.fromtimestamp(rows[0][0] / 1000, UTC)
    write_atomic("binance", "klines", first, json.dumps(rows).encode(), key=f"{symbol}@1d")


def _ticker(at: datetime, prices: dict[str, tuple[str, str]]) -> None:
    """GET /api/v3/ticker/24hr for some symbols: {symbol: (lastPrice, priceChangePercent)}."""
    body = [
        {
            "symbol": s,
            "lastPrice": last,
            "priceChangePercent": pct,
            "openTime": _ms(at - timedelta(days=1)),
            "closeTime": _ms(at),
            "volume": "1",
        }
        for s, (last, pct) in prices.items()
    ]
    write_atomic("binance", "ticker_24hr", at, json.dumps(body).encode())


def _chart(symbol: str, bars: list[tuple[datetime, float, float, float, float, int]]) -> None:
    """A Yahoo chart answer (v8/finance/chart) with daily bars stamped 14:30 UTC."""
    stamps = [int(b[0].timestamp()) for b in bars]
    quote = {
        name: [b[i] for b in bars]
        for i, name in enumerate(("open", "high", "low", "close", "volume"), start=1)
    }
    body = {
        "chart": {
            "result": [
                {
                    "meta": {"currency": "USD", "symbol": symbol},
                    "timestamp": stamps,
                    "indicators": {
                        "quote": [quote],
                        "adjclose": [{"adjclose": quote["close"]}],
                    },
                }
            ],
            "error": None,
        }
    }
    write_atomic("yahoo_finance", "chart", bars[0][0], json.dumps(body).encode(), key=symbol)


def _assets(provider: str, at: datetime, lines: str) -> None:
    """An archived version of this provider's lines of config/tracked_assets.csv."""
    write_atomic(provider, "tracked_assets", at, (ASSET_HEADER + lines).encode(), ext="csv")


def _item(db, item_id: str) -> tuple | None:
    rows = query(
        db,
        "select item_name, category, attributes ->> 'symbol', attributes ->> 'currency',"
        " is_tracked, (attributes ->> 'is_tracked')::boolean"
        " from marts.dim_items where item_id = %s",
        (item_id,),
    )
    return rows[0] if rows else None


def _months(db, item_id: str) -> list[tuple]:
    return query(
        db,
        "select bucket_start::date, open, high, low, close, volume from marts.mart_asset_history"
        " where item_id = %s and range_name = 'all' order by bucket_start",
        (item_id,),
    )


def _latest(db, item_id: str) -> tuple | None:
    rows = query(
        db,
        "select symbol, price, change_24h_pct, is_tracked from marts.mart_latest_prices"
        " where item_id = %s",
        (item_id,),
    )
    return rows[0] if rows else None


# --------------------------------------------------------------------------- exchanges


@pytest.fixture(scope="module")
def replayed(db, landing):
    """An exchange archive with klines, a ticker and bars but no tracked_assets file."""
    _klines(
        "SOLUSDT",
        [
            _kline(_day(2025, 3, 3), "140", "150", "135", "145", "1000"),
            _kline(_day(2025, 3, 4), "145", "155", "144", "150", "800"),
        ],
    )
    _ticker(_day(2025, 3, 5), {"SOLUSDT": ("150.5", "2.5")})
    _chart(
        "MSFT",
        [
            (_day(2025, 3, 3, 14, 30), 398, 402, 396, 400, 1_000_000),
            (_day(2025, 3, 4, 14, 30), 401, 406, 399, 404, 1_200_000),
        ],
    )
    _run("refresh", "--replay", *EXCHANGES)
    return {
        "sol": _item(db, "binance:SOLUSDT"),
        "msft": _item(db, "yahoo_finance:MSFT"),
        "sol_months": _months(db, "binance:SOLUSDT"),
        "msft_months": _months(db, "yahoo_finance:MSFT"),
    }


@pytest.fixture(scope="module")
def removed(db, replayed):
    """Then a config tracks BTC, ETH, AAPL and SPY for a quarter, and its next version
    drops ETH and SPY (the fetch stops asking the ticker about ETH)."""
    _assets(
        "binance",
        _day(2025, 1, 1),
        "BTC,Bitcoin,crypto,binance,BTCUSDT,USDT\nETH,Ether,crypto,binance,ETHUSDT,USDT\n",
    )
    _assets(
        "yahoo_finance",
        _day(2025, 1, 1),
        "AAPL,Apple Inc.,stock,yahoo_finance,AAPL,USD\n"
        "SPY,SPDR S&P 500,etf,yahoo_finance,SPY,USD\n",
    )
    _klines(
        "ETHUSDT",
        [
            _kline(_day(2025, 1, 10), "3000", "3100", "2900", "3050", "10"),
            _kline(_day(2025, 2, 10), "2700", "2800", "2600", "2650", "20"),
            _kline(_day(2025, 3, 10), "2000", "2100", "1900", "2050", "30"),
        ],
    )
    _klines("BTCUSDT", [_kline(_day(2025, 3, 10), "80000", "82000", "79000", "81000", "5")])
    _chart("SPY", [(_day(2025, 3, 6, 14, 30), 570, 575, 565, 572, 50_000_000),
                   (_day(2025, 3, 7, 14, 30), 572, 580, 571, 577.72, 60_000_000)])  # fmt: skip
    _chart("AAPL", [(_day(2025, 3, 7, 14, 30), 235, 240, 234, 239, 40_000_000)])
    _ticker(_day(2025, 3, 11), {"BTCUSDT": ("81000", "1.25"), "ETHUSDT": ("2050", "-3.5")})
    _run("refresh", "--replay", *EXCHANGES)
    before = {"eth": _item(db, "binance:ETHUSDT"), "spy": _item(db, "yahoo_finance:SPY")}
    _assets("binance", _day(2025, 4, 1), "BTC,Bitcoin,crypto,binance,BTCUSDT,USDT\n")
    _assets("yahoo_finance", _day(2025, 4, 1), "AAPL,Apple Inc.,stock,yahoo_finance,AAPL,USD\n")
    _ticker(_day(2025, 4, 1), {"BTCUSDT": ("82000", "1.0")})
    _run("refresh", "--replay", *EXCHANGES)
    return before


def test_replayed_archive_without_a_config_keeps_its_assets(db, replayed) -> None:
    # SOLUSDT ends with Binance's quote asset USDT: symbol SOL, currency USDT, and the
    # symbol is the only name there is; Binance lists only crypto
    assert replayed["sol"] == ("SOL", "crypto", "SOL", "USDT", False, False)
    # MSFT: Yahoo's symbol is ours, the chart meta says USD; stock or ETF is unknown
    assert replayed["msft"] == ("MSFT", None, "MSFT", "USD", False, False)


def test_replayed_assets_have_their_history(db, replayed) -> None:
    # March 2025 from the two daily klines: open 140 (the 3rd), high max(150, 155) = 155,
    # low min(135, 144) = 135, close 150 (the 4th), volume 1000 + 800 = 1800
    assert replayed["sol_months"] == [
        (_day(2025, 3, 1).date(), Decimal(140), Decimal(155), Decimal(135), Decimal(150),
         Decimal(1800)),
    ]  # fmt: skip
    # the two bars: open 398, high 406, low 396, close 404, volume 2,200,000
    assert replayed["msft_months"] == [
        (_day(2025, 3, 1).date(), Decimal(398), Decimal(406), Decimal(396), Decimal(404),
         Decimal(2_200_000)),
    ]  # fmt: skip


def test_replayed_assets_have_their_latest_price(db, replayed) -> None:
    """Needs mart_latest_prices to keep untracked assets and say so (is_tracked)."""
    # Binance: the ticker's lastPrice 150.5, priceChangePercent 2.5
    assert _latest(db, "binance:SOLUSDT") == ("SOL", Decimal("150.5"), Decimal("2.5"), False)
    # Yahoo: newest bar 404 against 400 the session before: (404 - 400) / 400 = 1 %
    assert _latest(db, "yahoo_finance:MSFT") == ("MSFT", Decimal(404), Decimal(1), False)


def test_symbols_dropped_from_the_config_stay_untracked(db, removed) -> None:
    # tracked while the first version was the newest ...
    assert removed["eth"] == ("Ether", "crypto", "ETH", "USDT", True, True)
    assert removed["spy"] == ("SPDR S&P 500", "etf", "SPY", "USD", True, True)
    # ... then still there, described by their last config line, but not fetched
    assert _item(db, "binance:ETHUSDT") == ("Ether", "crypto", "ETH", "USDT", False, False)
    assert _item(db, "yahoo_finance:SPY") == ("SPDR S&P 500", "etf", "SPY", "USD", False, False)
    assert _item(db, "binance:BTCUSDT") == ("Bitcoin", "crypto", "BTC", "USDT", True, True)
    assert _item(db, "yahoo_finance:AAPL") == ("Apple Inc.", "stock", "AAPL", "USD", True, True)
    # the archive's assets were never tracked, and a config naming others changes nothing
    assert _item(db, "binance:SOLUSDT")[4:] == (False, False)
    asset = query(
        db,
        "select symbol, asset_name, currency, is_tracked, first_observed_at, last_observed_at"
        " from intermediate.int_exchanges__assets where item_id = 'binance:ETHUSDT'",
    )
    # first kline 2025-01-10; newest observation: its last ticker, closed 2025-03-11
    assert asset == [("ETH", "Ether", "USDT", False, _day(2025, 1, 10), _day(2025, 3, 11))]
    # BTC's last load held only a ticker (2025-04-01): folded into the row the earlier
    # load made, its first kline (2025-03-10) stays the first observation
    observed = query(
        db,
        "select first_observed_at, last_observed_at from intermediate.int_exchanges__assets"
        " where item_id = 'binance:BTCUSDT'",
    )
    assert observed == [(_day(2025, 3, 10), _day(2025, 4, 1))]


def test_dropped_symbols_keep_their_history(db, removed) -> None:
    # one daily kline a month: each month's candle is that kline
    assert _months(db, "binance:ETHUSDT") == [
        (_day(2025, 1, 1).date(), Decimal(3000), Decimal(3100), Decimal(2900), Decimal(3050),
         Decimal(10)),
        (_day(2025, 2, 1).date(), Decimal(2700), Decimal(2800), Decimal(2600), Decimal(2650),
         Decimal(20)),
        (_day(2025, 3, 1).date(), Decimal(2000), Decimal(2100), Decimal(1900), Decimal(2050),
         Decimal(30)),
    ]  # fmt: skip
    daily = query(
        db,
        "select bucket_start::date, close from marts.mart_asset_history"
        " where item_id = 'yahoo_finance:SPY' and range_name = '1y' order by bucket_start",
    )
    assert daily == [(_day(2025, 3, 6).date(), Decimal(572)),
                     (_day(2025, 3, 7).date(), Decimal("577.72"))]  # fmt: skip


def test_dropped_symbols_keep_their_latest_price(db, removed) -> None:
    """Needs mart_latest_prices to keep untracked assets, each at its last known price."""
    # SPY: 577.72 against 572: (577.72 - 572) / 572 × 100 = 1.0000 % (5.72 / 572 = 0.01)
    assert _latest(db, "yahoo_finance:SPY") == ("SPY", Decimal("577.72"), Decimal(1), False)
    # ETH's last known price: its last ticker (2050, the close of its last kline too);
    # the newest ticker no longer asks about it
    eth = _latest(db, "binance:ETHUSDT")
    assert eth is not None and eth[0] == "ETH" and eth[1] == Decimal(2050) and eth[3] is False
    assert _latest(db, "binance:BTCUSDT") == ("BTC", Decimal(82000), Decimal(1), True)


def test_a_config_version_without_lines_tracks_nothing(db, removed) -> None:
    # Yahoo's newest version names no asset (only the header): AAPL stops being fetched
    _assets("yahoo_finance", _day(2025, 5, 1), "")
    _run("refresh", "--replay", *EXCHANGES)
    assert _item(db, "yahoo_finance:AAPL") == ("Apple Inc.", "stock", "AAPL", "USD", False, False)
    assert _latest(db, "yahoo_finance:AAPL")[3] is False
    # Binance's newest version still names BTC
    assert _item(db, "binance:BTCUSDT")[4:] == (True, True)


# --------------------------------------------------------------------------- game markets


def test_an_item_with_buckets_but_no_mapping_is_in_dim_items(db, landing) -> None:
    """A replayed /5m bucket whose item the /mapping never described."""
    at = _day(2026, 11, 20, 12, 5)
    body = {
        "data": {
            "4151": {
                "avgHighPrice": 1_500_000,
                "highPriceVolume": 10,
                "avgLowPrice": 1_480_000,
                "lowPriceVolume": 12,
            }
        },
        "timestamp": int(at.timestamp()),
    }
    write_atomic("osrs_prices", "5m", at, json.dumps(body).encode())
    _run("refresh", "--replay", "--source", "osrs_prices")
    # a placeholder name, no category; the GE is observed whole, so it is fetched
    assert _item(db, "osrs_prices:4151") == ("Item 4151", None, None, None, True, None)
    # the bucket's price is the mean of the two averages: (1,500,000 + 1,480,000) / 2
    # = 1,490,000; volume 10 + 12 = 22
    assert _months(db, "osrs_prices:4151") == [
        (_day(2026, 11, 1).date(), Decimal(1_490_000), Decimal(1_500_000), Decimal(1_480_000),
         Decimal(1_490_000), Decimal(22)),
    ]  # fmt: skip


# --------------------------------------------------------------------------- tickets

SHOW, BARE = 7_000_001, 7_000_002
LISTED_AT = _day(2026, 11, 1, 12)


def _listings(production_id: int, tickets: list[dict]) -> None:
    body = gzip.compress(json.dumps({"tickets": tickets}).encode(), mtime=0)
    write_atomic("vividseats", "listings", LISTED_AT, body, key=str(production_id), ext="json.gz")


def _tracked(at: datetime, ids: list[int]) -> None:
    """An archived version of the resolved events config."""
    events = [
        {"production_id": i, "performer": None, "venue": None, "note": "Band night",
         "resolved_from": "production_id"}
        for i in ids
    ]  # fmt: skip
    write_atomic("vividseats", "tracked_events", at, json.dumps(events, sort_keys=True).encode())


def _event(db, production_id: int) -> tuple | None:
    rows = query(
        db,
        "select event_name, event_date::text, venue_name, venue_city, resolved_from,"
        " is_tracked, listings, tickets, get_in_price from marts.dim_events"
        " where production_id = %s",
        (production_id,),
    )
    return rows[0] if rows else None


@pytest.fixture(scope="module")
def tickets_replayed(db, landing):
    """Listings and a production record, no tracked_events file; a second event has
    listings only (its production record was never fetched)."""
    record = {
        "id": SHOW,
        "name": "The Band - Live",
        "localDate": "2027-02-14T20:00:00",
        "venue": {"name": "Arena", "city": "Springfield"},
        "minPrice": 110.5,
        "maxPrice": 300,
    }
    write_atomic("vividseats", "production", LISTED_AT, json.dumps(record).encode(), key=str(SHOW))
    _listings(
        SHOW,
        [
            {"i": 1, "s": "Floor A", "r": "3", "q": 2, "p": 100, "aip": 123.45},
            {"i": 2, "s": "Floor A", "r": "4", "q": 4, "p": 90, "aip": 110.5},
            {"i": 3, "s": "112", "r": "10", "q": 1, "p": 200, "aip": 240},
        ],
    )
    _listings(BARE, [{"i": 9, "s": "201", "r": "1", "q": 3, "p": 50, "aip": 61.25}])
    _run("refresh", "--replay", "--source", "vividseats")
    return {"show": _event(db, SHOW), "bare": _event(db, BARE)}


def test_replayed_listings_without_a_config_keep_their_events(db, tickets_replayed) -> None:
    # name, date and venue from the production record; never in a config: not tracked,
    # not resolved from anything; book: 3 listings, 2 + 4 + 1 = 7 tickets, cheapest
    # all-in price min(123.45, 110.5, 240) = 110.50
    assert tickets_replayed["show"] == (
        "The Band - Live", "2027-02-14", "Arena", "Springfield", None, False, 3, 7,
        Decimal("110.50"),
    )  # fmt: skip
    # listings alone: the row exists under its id, no date or venue known yet
    assert tickets_replayed["bare"] == (
        "production 7000002", None, None, None, None, False, 1, 3, Decimal("61.25"),
    )  # fmt: skip
    sections = query(
        db,
        "select item_id, item_name, is_tracked from marts.dim_items"
        " where source = 'vividseats' order by item_id",
    )
    assert sections == [
        ("vividseats:7000001:112", "The Band - Live - 112", False),
        ("vividseats:7000001:Floor A", "The Band - Live - Floor A", False),
        ("vividseats:7000002:201", "production 7000002 - 201", False),
    ]


def test_events_config_tracks_then_drops_an_event(db, tickets_replayed) -> None:
    _tracked(_day(2026, 11, 2), [SHOW])
    _run("refresh", "--replay", "--source", "vividseats")
    # tracked now; the production record's name still wins over the config's note
    assert _event(db, SHOW)[:6] == (
        "The Band - Live", "2027-02-14", "Arena", "Springfield", "production_id", True,
    )  # fmt: skip
    assert _event(db, BARE)[5] is False
    tracked = query(
        db,
        "select item_id from marts.dim_items where source = 'vividseats' and is_tracked"
        " order by item_id",
    )
    assert tracked == [("vividseats:7000001:112",), ("vividseats:7000001:Floor A",)]
    # the next version resolves to no event at all (an empty list): nothing is tracked,
    # and the event keeps its name, date and venue
    _tracked(_day(2026, 11, 3), [])
    _run("refresh", "--replay", "--source", "vividseats")
    assert _event(db, SHOW)[:6] == (
        "The Band - Live", "2027-02-14", "Arena", "Springfield", "production_id", False,
    )  # fmt: skip
    assert query(
        db, "select count(*) from marts.dim_items where source = 'vividseats' and is_tracked"
    ) == [(0,)]
