"""`snapmart api` (issue 22, first slice): the real command on loopback, over a warehouse
built here from the simulator (OSRS prices for the markets, Binance and Yahoo for the
prices). Each endpoint's answer equals the same question asked in SQL; bad parameters
are 400 problems naming them, an unknown market 404; CSV; ETag and 304."""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
import requests
from typer.testing import CliRunner

from ingestion.simulator.writer import write_dofus_market, write_exchanges, write_osrs_prices
from orchestration.cli import app
from tests.api_server import PROBLEM, Forged, as_json, get, rows_as_json, serve
from tests.conftest import SIM_END, query

END = SIM_END - timedelta(hours=1)
DOFUS = "dofus-draconiros"  # a market with a week of history (and its twin dofus-imagiro)
ASSETS = (
    "symbol,name,asset_type,provider,provider_symbol,currency\n"
    "BTC,Bitcoin,crypto,binance,BTCUSDT,USDT\n"
    "ETH,Ether,crypto,binance,ETHUSDT,USDT\n"
    "AAPL,Apple Inc.,stock,yahoo_finance,AAPL,USD\n"
)


@pytest.fixture(scope="module")
def built(db, landing, tmp_path_factory):
    assets = tmp_path_factory.mktemp("config") / "tracked_assets.csv"
    assets.write_text(ASSETS)
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCES__BINANCE__ASSETS_FILE", str(assets))
    mp.setenv("SOURCES__YAHOO_FINANCE__ASSETS_FILE", str(assets))
    mp.setenv("SOURCES__BINANCE__HISTORY_DAYS", "10")
    mp.setenv("SOURCES__YAHOO_FINANCE__HISTORY_DAYS", "10")
    write_osrs_prices(2, seed=11, n_items=12, end=END, root=landing)
    write_exchanges(seed=11, end=END, root=landing, assets_file=assets)
    # 8 days (trend states need 7), a capture every 2 hours per server: enough for the
    # market signals, and every item in two markets
    write_dofus_market(8, seed=11, end=END, root=landing, every=timedelta(hours=2))
    result = CliRunner().invoke(
        app,
        [
            "refresh",
            "--replay",
            "--source",
            "osrs_prices",
            "--source",
            "binance",
            "--source",
            "yahoo_finance",
            "--source",
            "dofus_market",
        ],
    )
    assert result.exit_code == 0, result.output
    yield db
    mp.undo()


@pytest.fixture(scope="module")
def api(built, tmp_path_factory):
    """`snapmart api` over the module's warehouse: its base URL."""
    with serve(built, tmp_path_factory.mktemp("api")) as base:
        yield base


def test_docs_and_openapi(api) -> None:
    docs = get(api, "/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    paths = get(api, "/openapi.json").json()["paths"]
    assert {
        "/v1/health",
        "/v1/markets",
        "/v1/markets/{market_id}/index",
        "/v1/markets/{market_id}/movers",
        "/v1/prices/latest",
        "/v1/prices/batch",
        "/v1/markets/{market_id}/volatility",
        "/v1/markets/{market_id}/opportunities",
        "/v1/markets/{market_id}/scanner",
        "/v1/markets/{market_id}/trends",
        "/v1/markets/{market_id}/seasonality",
        "/v1/items",
        "/v1/items/{item_id}",
        "/v1/items/{item_id}/history",
        "/v1/osrs/flips",
    } <= set(paths)


def test_health_equals_sql(api, built) -> None:
    columns = ["source", "hour_start", "health", "freshness", "ticks", "open_gaps"]
    expected = query(
        built,
        """
        select distinct on (h.source) h.source, h.hour_start, h.health, h.freshness, h.ticks,
            h.open_gaps
        from marts.mart_source_health as h
        where h.ticks > 0
        order by h.source, h.hour_start desc
        """,
    )
    answer = get(api, "/v1/health")
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert [{c: row[c] for c in columns} for row in data] == rows_as_json(columns, expected)
    assert {row["source"] for row in data} >= {"osrs_prices", "binance", "yahoo_finance"}
    assert all(row["health"] == "ok" and row["freshness"] == "fresh" for row in data)
    assert answer.headers["Cache-Control"] == "max-age=60"


def test_markets_page_through_equals_sql(api, built) -> None:
    columns = [
        "market_id",
        "source",
        "market_name",
        "region",
        "market_kind",
        "currency",
        "supply_market_id",
    ]
    expected = query(built, f"select {', '.join(columns)} from marts.dim_markets order by 1")
    assert len(expected) > 3
    whole = get(api, "/v1/markets").json()
    assert whole["data"] == rows_as_json(columns, expected) and whole["next_cursor"] is None
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        answer = get(api, "/v1/markets", **params)
        assert answer.status_code == 200
        body = answer.json()
        seen += body["data"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            assert "Link" not in answer.headers
            break
        assert 'rel="next"' in answer.headers["Link"] and "cursor=" in answer.headers["Link"]
    assert seen == whole["data"]
    assert pages == -(-len(expected) // 2)


def test_market_index_equals_sql(api, built) -> None:
    for days in (30, 2):
        expected = query(
            built,
            """
            select day, index_value, change_pct, items from marts.mart_market_index
            where market_id = 'osrs-ge' and day > (
                select max(day) from marts.mart_market_index where market_id = 'osrs-ge'
            ) - %s
            order by day
            """,
            (days,),
        )
        answer = get(api, "/v1/markets/osrs-ge/index", days=days)
        assert answer.status_code == 200
        body = answer.json()
        assert body["data"] == rows_as_json(["day", "index_value", "change_pct", "items"], expected)
        assert body["market_id"] == "osrs-ge" and body["currency"] == "gp"
    assert len(get(api, "/v1/markets/osrs-ge/index", days=2).json()["data"]) == 2
    as_of = query(
        built, "select max(as_of) from marts.mart_item_trends where market_id = 'osrs-ge'"
    )
    assert body["as_of"] == as_json(as_of[0][0])


@pytest.mark.parametrize(
    ("window", "sort", "rank"),
    [
        ("1d", "gain", "rank_gain"),
        ("1d", "loss", "rank_loss"),
        ("1d", "abs", "rank_abs"),
        ("7d", "gain", "rank_gain"),  # two days of history: no 7-day change, an empty list
    ],
)
def test_movers_page_through_equals_sql(api, built, window, sort, rank) -> None:
    expected = query(
        built,
        f"""
        select m.{rank}, m.item_id, i.item_name, m.change_pct, m.price, m.as_of
        from marts.mart_movers as m left join marts.dim_items as i using (item_id)
        where m.market_id = 'osrs-ge' and m."window" = %s
        order by m.{rank}, m.item_id
        """,
        (window,),
    )
    assert len(expected) >= 5 if window == "1d" else expected == []
    columns = ["rank", "item_id", "item_name", "change_pct", "price", "as_of"]
    seen, cursor = [], None
    while True:
        params = {"window": window, "sort": sort, "limit": 4}
        body = get(api, "/v1/markets/osrs-ge/movers", **params, cursor=cursor).json()
        seen += [{c: row[c] for c in columns} for row in body["data"]]
        assert all(row["currency"] == "gp" for row in body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == rows_as_json(columns, expected)
    first = get(api, "/v1/markets/osrs-ge/movers", window=window, sort=sort).json()
    assert len(first["data"]) == min(20, len(expected))  # the default limit
    changes = [row["change_pct"] for row in seen]
    if sort == "gain":
        assert changes == sorted(changes, reverse=True)
    elif sort == "loss":
        assert changes == sorted(changes)


def test_latest_prices_and_batch_equal_sql(api, built) -> None:
    columns = ["symbol", "price", "change_24h_pct", "updated_at", "currency"]
    expected = {
        row[0]: dict(zip(columns, map(as_json, row), strict=True))
        for row in query(
            built, f"select {', '.join(columns)} from marts.mart_latest_prices order by symbol"
        )
    }
    assert {"BTC", "ETH", "AAPL"} <= set(expected)
    answer = get(api, "/v1/prices/latest", symbols="eth, AAPL,NOPE,BTC,ETH")
    assert answer.status_code == 200
    body = answer.json()
    assert [{c: row[c] for c in columns} for row in body["data"]] == [
        expected["ETH"],
        expected["AAPL"],
        expected["BTC"],
    ]
    assert body["unknown"] == ["NOPE"]
    assert body["as_of"] == max(expected[s]["updated_at"] for s in ("ETH", "AAPL", "BTC"))
    # the parameter repeated is the same question (none of the symbols dropped)
    repeated = get(api, "/v1/prices/latest", symbols=["eth, AAPL", "NOPE", "BTC,ETH"]).json()
    assert repeated["data"] == body["data"] and repeated["unknown"] == ["NOPE"]
    batch = requests.post(
        f"{api}/v1/prices/batch", json={"symbols": ["BTC", "ZZZ", "aapl"]}, timeout=30
    )
    assert batch.status_code == 200
    body = batch.json()
    assert [row["symbol"] for row in body["data"]] == ["BTC", "AAPL"]
    assert [{c: row[c] for c in columns} for row in body["data"]] == [
        expected["BTC"],
        expected["AAPL"],
    ]
    assert body["unknown"] == ["ZZZ"]


# a cursor of another list (markets), and one of this list's shape whose number is not one
FOREIGN_CURSOR = "eyJrIjoibWFya2V0cyIsImFmdGVyIjpbImEiXX0"
NAN_CURSOR = Forged("opportunities:buy", [0, "NaN", "a"])


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/v1/markets/osrs-ge/movers", {"window": "2d"}, "window"),
        ("/v1/markets/osrs-ge/movers", {"sort": "up"}, "sort"),
        ("/v1/markets/osrs-ge/movers", {"limit": "-1"}, "limit"),
        ("/v1/markets/osrs-ge/movers", {"limit": "100000"}, "limit"),
        ("/v1/markets/osrs-ge/movers", {"cursor": "not-a-cursor"}, "cursor"),
        ("/v1/markets", {"cursor": "eyJrIjoibWFya2V0cyIsImFmdGVyIjpbMV19"}, "cursor"),
        ("/v1/markets/osrs-ge/index", {"days": "abc"}, "days"),
        ("/v1/markets/osrs-ge/index", {"days": "0"}, "days"),
        ("/v1/markets", {"limit": "1.5"}, "limit"),
        ("/v1/markets", {"format": "xml"}, "format"),
        ("/v1/prices/latest", {}, "symbols"),
        ("/v1/prices/latest", {"symbols": ",,"}, "symbols"),
        ("/v1/prices/latest", {"symbols": "BTC;drop table"}, "symbols"),
        (f"/v1/markets/{DOFUS}/volatility", {"limit": "0"}, "limit"),
        (f"/v1/markets/{DOFUS}/opportunities", {"side": "hold"}, "side"),
        (f"/v1/markets/{DOFUS}/opportunities", {"cursor": FOREIGN_CURSOR}, "cursor"),
        (f"/v1/markets/{DOFUS}/opportunities", {"cursor": NAN_CURSOR}, "cursor"),
        (f"/v1/markets/{DOFUS}/scanner", {"min_profit": "lots"}, "min_profit"),
        (f"/v1/markets/{DOFUS}/scanner", {"min_margin_pct": "nan"}, "min_margin_pct"),
        (f"/v1/markets/{DOFUS}/scanner", {"max_age_hours": "-1"}, "max_age_hours"),
        (f"/v1/markets/{DOFUS}/scanner", {"min_volume": "inf"}, "min_volume"),
        (f"/v1/markets/{DOFUS}/trends", {"state": "soaring"}, "state"),
        (f"/v1/markets/{DOFUS}/seasonality", {"item_id": "a\x00b"}, "item_id"),
        (f"/v1/markets/{DOFUS}/seasonality", {"limit": "5001"}, "limit"),
        ("/v1/items", {"q": "x" * 201}, "q"),
        ("/v1/items", {"q": "\x00"}, "q"),
        ("/v1/items/binance:BTCUSDT/history", {"range": "2w"}, "range"),
        ("/v1/items/binance:BTCUSDT", {"format": "xls"}, "format"),
        ("/v1/osrs/flips", {"min_roi_pct": "ten"}, "min_roi_pct"),
        ("/v1/osrs/flips", {"min_volume_24h": "-5"}, "min_volume_24h"),
        ("/v1/osrs/flips", {"min_volume_24h": "1.5"}, "min_volume_24h"),
        ("/v1/osrs/flips", {"limit": "1001"}, "limit"),
        # a NUL character, which PostgreSQL text cannot hold, in a path anywhere (the
        # pages' too): a 400 naming the parameter, never a 500
        ("/v1/markets/a\x00b/index", {}, "market_id"),
        ("/v1/markets/osrs-ge/movers", {"cursor": "\x00"}, "cursor"),
        ("/markets/a\x00b", {}, "market_id"),
        ("/items/a\x00b", {}, "item_id"),
    ],
)
def test_bad_parameter_is_a_400_problem_naming_it(api, path, params, parameter) -> None:
    answer = get(api, path, **params)
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    problem = answer.json()
    assert problem["status"] == 400 and problem["title"] == "Bad parameter"
    assert problem["type"] and problem["parameter"] == parameter
    assert problem["detail"].startswith(f"{parameter}:")


@pytest.mark.parametrize(
    ("body", "parameter"),
    [({"symbols": []}, "symbols"), ({"symbols": "BTC"}, "symbols"), ({}, "symbols")],
)
def test_bad_batch_body_is_a_400_problem(api, body, parameter) -> None:
    answer = requests.post(f"{api}/v1/prices/batch", json=body, timeout=30)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    assert answer.json()["parameter"] == parameter
    broken = requests.post(
        f"{api}/v1/prices/batch",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert broken.status_code == 400 and broken.json()["status"] == 400


@pytest.mark.parametrize(
    ("path", "params", "unknown"),
    [
        ("/v1/markets/no-such-market/index", {}, "no-such-market"),
        ("/v1/markets/no-such-market/movers", {}, "no-such-market"),
        ("/v1/markets/no-such-market/volatility", {}, "no-such-market"),
        ("/v1/markets/no-such-market/opportunities", {"side": "sell"}, "no-such-market"),
        ("/v1/markets/no-such-market/scanner", {}, "no-such-market"),
        ("/v1/markets/no-such-market/trends", {}, "no-such-market"),
        ("/v1/markets/no-such-market/seasonality", {}, "no-such-market"),
        (f"/v1/markets/{DOFUS}/seasonality", {"item_id": "dofus_market:0"}, "dofus_market:0"),
        ("/v1/items", {"market_id": "no-such-market"}, "no-such-market"),
        ("/v1/items/no-such:item", {}, "no-such:item"),
        ("/v1/items/no-such:item/history", {}, "no-such:item"),
        ("/v1/items/yahoo_finance:AAPL/history", {"market_id": "no-such-market"}, "no-such-market"),
    ],
)
def test_unknown_entity_is_a_404_problem(api, path, params, unknown) -> None:
    answer = get(api, path, **params)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    problem = answer.json()
    assert problem["status"] == 404 and unknown in problem["detail"]


def test_unknown_path_is_a_404_problem(api) -> None:
    assert get(api, "/v1/nothing").status_code == 404
    assert get(api, "/v1/nothing").headers["Content-Type"].startswith(PROBLEM)


def test_csv_has_a_header_row_and_the_json_rows(api, built) -> None:
    answer = get(api, "/v1/markets/osrs-ge/movers", window="1d", sort="abs", format="csv")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0])[:5] == ["rank", "item_id", "item_name", "change_pct", "price"]
    as_json_rows = get(api, "/v1/markets/osrs-ge/movers", window="1d", sort="abs").json()["data"]
    assert [r["item_id"] for r in rows] == [r["item_id"] for r in as_json_rows]
    assert [float(r["change_pct"]) for r in rows] == [r["change_pct"] for r in as_json_rows]
    markets = list(csv.reader(io.StringIO(get(api, "/v1/markets", format="csv").text)))
    expected = query(built, "select market_id, currency from marts.dim_markets order by 1")
    assert [(r[0], r[5]) for r in markets[1:]] == expected
    prices = get(api, "/v1/prices/latest", symbols="BTC,NOPE", format="csv")
    assert [r["symbol"] for r in csv.DictReader(io.StringIO(prices.text))] == ["BTC"]
    assert prices.headers["Snapmart-Unknown-Symbols"] == "NOPE"


def test_etag_last_modified_and_304(api, built) -> None:
    path = "/v1/markets/osrs-ge/movers"
    first = get(api, path, window="1d")
    etag = first.headers["ETag"]
    as_of = query(
        built,
        """select max(as_of) from marts.mart_movers
        where market_id = 'osrs-ge' and "window" = '1d'""",
    )[0][0]
    assert first.headers["Last-Modified"] == as_of.astimezone(UTC).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    max_age = int(first.headers["Cache-Control"].removeprefix("max-age="))
    assert 1 <= max_age <= 300
    again = requests.get(
        f"{api}{path}", params={"window": "1d"}, headers={"If-None-Match": etag}, timeout=30
    )
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    other = requests.get(
        f"{api}{path}",
        params={"window": "1d", "format": "csv"},
        headers={"If-None-Match": etag},
        timeout=30,
    )
    assert other.status_code == 200 and other.headers["ETag"] != etag  # another representation
    stale = requests.get(
        f"{api}{path}", params={"window": "1d"}, headers={"If-None-Match": '"0-x"'}, timeout=30
    )
    assert stale.status_code == 200 and stale.json() == first.json()
    since = requests.get(
        f"{api}{path}",
        params={"window": "1d"},
        headers={"If-Modified-Since": first.headers["Last-Modified"]},
        timeout=30,
    )
    assert since.status_code == 304
    # the same time in the asctime form (no zone: HTTP dates are GMT), and an hour before it
    for offset, status in ((0, 304), (-1, 200)):
        when = (as_of.astimezone(UTC) + timedelta(hours=offset)).strftime("%a %b %d %H:%M:%S %Y")
        answer = requests.get(
            f"{api}{path}",
            params={"window": "1d"},
            headers={"If-Modified-Since": when},
            timeout=30,
        )
        assert answer.status_code == status, (when, answer.text[:300])
    # HEAD: the GET's status and headers, no body (routes and pages alike)
    for head_path in (path, "/"):
        head = requests.head(f"{api}{head_path}", params={"window": "1d"}, timeout=30)
        got = get(api, head_path, window="1d")
        assert head.status_code == 200 and head.content == b""
        assert (
            head.headers["ETag" if head_path == path else "Content-Type"]
            == got.headers["ETag" if head_path == path else "Content-Type"]
        )


def test_a_cursor_belongs_to_its_list(api) -> None:
    """A next_cursor works on its own list (JSON or CSV, any limit), and is a 400 naming
    ``cursor`` on another market's list or with another filter, never a page of it; a
    cursor edited to hold a number the SQL cannot take is a 400 too."""
    path = "/v1/markets/osrs-ge/movers"
    cursor = get(api, path, limit=2).json()["next_cursor"]
    assert cursor
    assert get(api, path, limit=3, cursor=cursor, format="csv").status_code == 200
    for other, params in (
        (f"/v1/markets/{DOFUS}/movers", {}),
        (path, {"window": "7d"}),
    ):
        answer = get(api, other, cursor=cursor, **params)
        assert answer.status_code == 400, answer.text
        assert answer.json()["parameter"] == "cursor"
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    data["after"][0] = 10**30
    edited = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    answer = get(api, path, cursor=edited)
    assert answer.status_code == 400 and answer.json()["parameter"] == "cursor"


# --- market signals, items, flips (orchestration/api/routes/market_signals.py, items.py,
# osrs.py). The Dofus servers are the markets with a week of history: trend states,
# volatility, opportunities after the 2 % tax, and items traded in two markets.


def page_through(api: str, path: str, limit: int, **params) -> list[dict]:
    """Every row of a paged list, asked ``limit`` rows at a time through ``next_cursor``
    (each next page also named by the Link header)."""
    seen, cursor = [], None
    while True:
        answer = get(api, path, limit=limit, **params, **({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["data"]) <= limit
        seen += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        assert len(body["data"]) == limit and 'rel="next"' in answer.headers["Link"]


def project(rows: list[dict], columns: list[str]) -> list[dict]:
    return [{c: row[c] for c in columns} for row in rows]


def test_volatility_pages_equal_sql(api, built) -> None:
    columns = ["rank", "item_id", "item_name", "volatility_30d", "price", "as_of"]
    expected = query(
        built,
        """
        select v.rank, v.item_id, i.item_name, v.volatility_30d, v.price, v.as_of
        from marts.mart_volatility_rankings as v join marts.dim_items as i using (item_id)
        where v.market_id = %s order by v.rank, v.item_id
        """,
        (DOFUS,),
    )
    assert len(expected) > 10
    seen = page_through(api, f"/v1/markets/{DOFUS}/volatility", 7)
    assert project(seen, columns) == rows_as_json(columns, expected)
    assert {row["currency"] for row in seen} == {"kamas"}
    # by hand: rank 1 is the biggest volatility, and ranks never fall
    assert seen[0]["rank"] == 1
    assert seen[0]["volatility_30d"] == max(row["volatility_30d"] for row in seen)
    assert [row["rank"] for row in seen] == sorted(row["rank"] for row in seen)
    body = get(api, f"/v1/markets/{DOFUS}/volatility").json()
    assert body["as_of"] == as_json(max(row[5] for row in expected))


@pytest.mark.parametrize(("side", "pct"), [("buy", "discount_pct"), ("sell", "premium_pct")])
def test_opportunities_page_through_equal_sql(api, built, side, pct) -> None:
    columns = ["item_id", "price", "reference_price", pct, "expected_profit", "fees"]
    columns += ["confidence", "trend_state", "as_of"]
    expected = query(
        built,
        f"""
        select {", ".join(columns)} from marts.mart_{side}_opportunities
        where market_id = %s order by expected_profit desc, item_id
        """,
        (DOFUS,),
    )
    assert len(expected) >= 3
    seen = page_through(api, f"/v1/markets/{DOFUS}/opportunities", 2, side=side)
    assert project(seen, columns) == rows_as_json(columns, expected)
    assert {row["currency"] for row in seen} == {"kamas"}
    # by hand: the Dofus tax is 2 % rounded down, of the reference (buy) or the price (sell)
    for row in seen:
        sold_at = Decimal(str(row["reference_price" if side == "buy" else "price"]))
        assert row["fees"] == math.floor(sold_at * Decimal("0.02"))
        gain = row["reference_price"] - row["price"]
        gain = gain if side == "buy" else -gain
        assert row["expected_profit"] == pytest.approx(gain - row["fees"], abs=1e-4)
    assert get(api, f"/v1/markets/{DOFUS}/opportunities").json()["side"] == "buy"


def test_scanner_filters_page_through_equal_sql(api, built) -> None:
    columns = ["item_id", "item_name", "price", "buy_expected_profit", "buy_margin_pct"]
    columns += ["sell_expected_profit", "volume_24h", "hours_since_observed", "currency"]
    select = f"select {', '.join(columns)} from marts.mart_market_scanner where market_id = %(m)s"
    order = " order by buy_expected_profit desc nulls last, item_id"
    everything = {m: query(built, select + order, {"m": m}) for m in (DOFUS, "osrs-ge")}
    profits = sorted(r[3] for r in everything[DOFUS] if r[3] is not None)
    margins = sorted(r[4] for r in everything[DOFUS] if r[4] is not None)
    ages = sorted(r[7] for r in everything[DOFUS])
    volumes = sorted(r[6] for r in everything["osrs-ge"])
    assert len(profits) >= 3 and len(everything[DOFUS]) > len(profits)
    middle = len(profits) // 2
    filters = [
        (DOFUS, {}, "true"),
        (DOFUS, {"min_profit": str(profits[middle])}, "buy_expected_profit >= %(v)s"),
        (DOFUS, {"min_margin_pct": str(margins[1])}, "buy_margin_pct >= %(v)s"),
        (DOFUS, {"max_age_hours": str(ages[len(ages) // 2])}, "hours_since_observed <= %(v)s"),
        ("osrs-ge", {"min_volume": str(volumes[6])}, "volume_24h >= %(v)s"),
        (DOFUS, {"min_volume": "0"}, "volume_24h >= 0"),  # Dofus has no volume: nothing
    ]
    for market, params, condition in filters:
        value = next(iter(params.values()), None)
        expected = query(built, f"{select} and {condition}{order}", {"m": market, "v": value})
        seen = page_through(api, f"/v1/markets/{market}/scanner", 9, **params)
        assert project(seen, columns) == rows_as_json(columns, expected), params
        assert len(seen) < len(everything[market]) or not params
    # by hand: the median profit keeps the upper half of the buy opportunities, the 7th
    # smallest volume of 12 the 6 items at or above it (no two volumes alike)
    half = get(api, f"/v1/markets/{DOFUS}/scanner", min_profit=profits[middle])
    assert len(half.json()["data"]) == len(profits) - middle
    busy = get(api, "/v1/markets/osrs-ge/scanner", min_volume=volumes[6]).json()["data"]
    assert len(busy) == 6 and len(set(volumes)) == 12
    assert get(api, f"/v1/markets/{DOFUS}/scanner", min_volume=0).json()["data"] == []


@pytest.mark.parametrize("state", [None, "stable", "increasing", "decreasing"])
def test_trends_by_state_equal_sql(api, built, state) -> None:
    columns = ["item_id", "item_name", "trend_state", "price", "change_7d_pct", "ma_30d"]
    columns += ["volatility_30d", "forecast_price_1d", "forecast_low_1d", "forecast_high_1d"]
    columns += ["as_of"]
    expected = query(
        built,
        f"""
        select {", ".join("t." + c if c != "item_name" else "i.item_name" for c in columns)}
        from marts.mart_item_trends as t join marts.dim_items as i using (item_id)
        where t.market_id = %s and (%s::text is null or t.trend_state = %s)
        order by t.item_id
        """,
        (DOFUS, state, state),
    )
    assert expected
    params = {"state": state} if state else {}
    seen = page_through(api, f"/v1/markets/{DOFUS}/trends", 25, **params)
    assert project(seen, columns) == rows_as_json(columns, expected)
    if state:
        assert {row["trend_state"] for row in seen} == {state}
    # by hand: the forecast band holds the forecast, and "stable" is within ±0.5 σ
    for row in seen:
        if row["forecast_price_1d"] is not None:
            assert row["forecast_low_1d"] <= row["forecast_price_1d"] <= row["forecast_high_1d"]
        if row["trend_state"] == "stable" and row["change_7d_pct"] is not None:
            sigma_pct = row["volatility_30d"] / 100 * row["price"]
            move = row["price"] - row["price"] / (1 + row["change_7d_pct"] / 100)
            assert abs(move) <= 0.5 * sigma_pct + row["price"] * 1e-5  # rounded columns


def test_seasonality_of_an_item_and_of_all_equal_sql(api, built) -> None:
    columns = ["item_id", "dow", "day_name", "hour_of_day", "price_index", "slot_price"]
    columns += ["average_price", "hours_observed", "slots_observed"]
    select = f"select {', '.join(columns)} from marts.mart_seasonality where market_id = %s"
    everything = query(built, select + " order by item_id, dow, hour_of_day", (DOFUS,))
    item = everything[0][0]
    mine = [r for r in everything if r[0] == item]
    body = get(api, f"/v1/markets/{DOFUS}/seasonality", item_id=item).json()
    assert project(body["data"], columns) == rows_as_json(columns, mine)
    assert body["next_cursor"] is None and body["item_id"] == item
    # by hand: the slots' indexes average 1 (each slot price over the slots' mean)
    indexes = [row["price_index"] for row in body["data"]]
    assert sum(indexes) / len(indexes) == pytest.approx(1, abs=1e-3)
    assert body["data"][0]["slots_observed"] == len(body["data"])
    seen = page_through(api, f"/v1/markets/{DOFUS}/seasonality", 500)
    assert project(seen, columns) == rows_as_json(columns, everything)


def test_item_search_equals_sql(api, built) -> None:
    columns = ["item_id", "item_name", "source", "source_item_id", "category", "is_tracked"]
    expected = query(
        built,
        f"""
        select {", ".join(columns)} from marts.dim_items
        where item_name ilike '%%' || %s || '%%' order by item_name, item_id
        """,
        ("an",),
    )
    assert len(expected) > 5
    for q in ("an", "AN", " aN "):
        assert page_through(api, "/v1/items", 4, q=q) == rows_as_json(columns, expected)
    # by hand: Bitcoin is binance:BTC, whatever the case asked
    assert [r["item_id"] for r in get(api, "/v1/items", q="BITCOIN").json()["data"]] == [
        "binance:BTCUSDT"
    ]
    in_market = query(
        built,
        f"""
        select {", ".join(columns)} from marts.dim_items as i
        where i.item_id in (select item_id from marts.fct_prices_daily where market_id = %s)
        order by item_name, item_id
        """,
        (DOFUS,),
    )
    assert page_through(api, "/v1/items", 40, market_id=DOFUS) == rows_as_json(columns, in_market)
    assert len(page_through(api, "/v1/items", 1000)) == len(
        query(built, "select item_id from marts.dim_items")
    )


@pytest.fixture(scope="module")
def dofus_item(built) -> str:
    """An item with a trend row in both Dofus markets."""
    return query(
        built,
        """
        select item_id from marts.mart_item_trends where market_id like %s
        group by item_id having count(*) = 2 order by item_id limit 1
        """,
        ("dofus-%",),
    )[0][0]


def test_item_is_its_trend_row_in_each_market(api, built, dofus_item) -> None:
    item = dofus_item
    columns = ["market_id", "price", "change_1d_pct", "change_7d_pct", "ma_7d", "ma_30d"]
    columns += ["ema_7d", "market_value", "forecast_price_1d", "forecast_low_1d"]
    columns += ["forecast_high_1d", "trend_state", "as_of"]
    expected = query(
        built,
        f"select {', '.join(columns)} from marts.mart_item_trends where item_id = %s order by 1",
        (item,),
    )
    answer = get(api, f"/v1/items/{item}")
    assert answer.status_code == 200
    body = answer.json()
    assert project(body["data"], columns) == rows_as_json(columns, expected)
    assert [r["market_id"] for r in body["data"]] == ["dofus-draconiros", "dofus-imagiro"]
    assert {r["currency"] for r in body["data"]} == {"kamas"}
    name = query(built, "select item_name from marts.dim_items where item_id = %s", (item,))
    assert body["item"]["item_name"] == name[0][0] and body["item"]["source"] == "dofus_market"
    assert body["as_of"] == as_json(max(r[-1] for r in expected))
    btc = get(api, "/v1/items/binance:BTCUSDT").json()
    assert [r["market_id"] for r in btc["data"]] == ["binance-spot"]
    assert btc["data"][0]["currency"] == "USDT"


@pytest.mark.parametrize(
    ("item", "range_", "tier"),
    [
        ("binance:BTCUSDT", "1d", "hour"),
        ("binance:BTCUSDT", "7d", "day"),
        ("binance:BTCUSDT", "1y", "day"),
        ("binance:BTCUSDT", "5y", "week"),
        ("binance:BTCUSDT", "all", "month"),
        ("yahoo_finance:AAPL", "1m", "day"),
        (None, "1d", "hour"),  # a Dofus item: two markets
        (None, "3y", "week"),
        (None, "10y", "month"),
    ],
)
def test_history_equals_mart_asset_history(api, built, dofus_item, item, range_, tier) -> None:
    """The route reads the tiers itself; the view mart_asset_history is the SQL question."""
    item = item or dofus_item
    columns = ["market_id", "bucket_start", "open", "high", "low", "close", "volume"]
    expected = query(
        built,
        f"""
        select {", ".join(columns)} from marts.mart_asset_history
        where item_id = %s and range_name = %s and tier = %s order by market_id, bucket_start
        """,
        (item, range_, tier),
    )
    assert expected
    body = get(api, f"/v1/items/{item}/history", range=range_).json()
    assert body["range"] == range_ and body["tier"] == tier
    assert project(body["data"], columns) == rows_as_json(columns, expected)
    market = expected[-1][0]
    one = get(api, f"/v1/items/{item}/history", range=range_, market_id=market).json()
    assert project(one["data"], columns) == rows_as_json(
        columns, [r for r in expected if r[0] == market]
    )
    if range_ == "1d":  # by hand: the hourly candles after the newest one less a day
        if item.startswith("binance:"):  # a day of minute candles: every hour
            assert len(one["data"]) == 24
        newest_hour = query(
            built,
            """select max(bucket_start) from marts.fct_prices_hourly
            where item_id = %s and market_id = %s""",
            (item, market),
        )[0][0]
        assert one["data"][-1]["bucket_start"] == as_json(newest_hour)
        first = newest_hour - timedelta(hours=23)
        assert one["data"][0]["bucket_start"] >= as_json(first)  # ISO UTC strings sort


def test_history_default_range_and_csv(api, built) -> None:
    body = get(api, "/v1/items/binance:ETHUSDT/history").json()
    assert body["range"] == "1m" and body["tier"] == "day"
    answer = get(api, "/v1/items/binance:ETHUSDT/history", format="csv")
    assert answer.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["bucket_start"] for r in rows] == [r["bucket_start"] for r in body["data"]]
    assert [float(r["close"]) for r in rows] == [r["close"] for r in body["data"]]
    assert {r["currency"] for r in rows} == {"USDT"}


def test_flips_filters_page_through_equal_sql(api, built) -> None:
    columns = ["item_id", "item_name", "buy_price", "sell_price", "tax", "margin", "roi_pct"]
    columns += ["buy_limit", "max_profit", "volume_1h", "volume_24h", "as_of"]
    everything = query(
        built,
        f"""
        select {", ".join(columns)} from marts.mart_flips
        order by roi_pct desc nulls last, item_id
        """,
    )
    assert len(everything) >= 8
    median_roi = sorted(r[6] for r in everything if r[6] is not None)[len(everything) // 2]
    median_volume = sorted(r[10] for r in everything)[len(everything) // 2]
    for params, keep in [
        ({}, lambda r: True),
        ({"min_roi_pct": str(median_roi)}, lambda r: r[6] is not None and r[6] >= median_roi),
        ({"min_volume_24h": median_volume}, lambda r: r[10] >= median_volume),
    ]:
        expected = [r for r in everything if keep(r)]
        seen = page_through(api, "/v1/osrs/flips", 3, **params)
        assert project(seen, columns) == rows_as_json(columns, expected), params
        assert {r["currency"] for r in seen} == {"gp"}
    # by hand: the 2 % GE tax, rounded down, none under 50 gp, and the margin after it
    for row in seen:
        if row["item_id"] != "osrs_prices:13190":
            tax = 0 if row["sell_price"] < 50 else min(5_000_000, row["sell_price"] * 2 // 100)
            assert row["tax"] == tax
        assert row["margin"] == row["sell_price"] - row["tax"] - row["buy_price"]
    assert len(get(api, "/v1/osrs/flips", limit=2).json()["data"]) == 2
