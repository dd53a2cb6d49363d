"""`snapmart api`'s game endpoints (issue 22): ``/v1/arbitrage`` and ``/v1/crafting``,
the real command on loopback over a warehouse built here from a day of simulated WoW
auctions (two US realms and the US commodity house) and Dofus batches (two servers).
Each answer equals the same question asked in SQL; a WoW trade's profit and a realm
recipe's cost are worked out by hand; bad parameters are 400 problems naming them, an
unknown item or market 404."""

from __future__ import annotations

import csv
import io
import math
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from typer.testing import CliRunner

from ingestion.simulator.writer import write_dofus_market, write_osrs_prices, write_wow_auctions
from orchestration.cli import app
from tests.api_server import PROBLEM, Forged, as_json, get, page_through, rows_as_json, serve
from tests.conftest import SIM_END, query

END = SIM_END - timedelta(hours=1)
REALM = "wow-realm-3676"  # Area 52
ARBITRAGE_COLUMNS = [
    "item_id",
    "item_name",
    "source",
    "buy_market_id",
    "sell_market_id",
    "buy_price",
    "sell_price",
    "fees",
    "transfer_cost",
    "net_profit",
    "roi_pct",
    "buy_as_of",
    "sell_as_of",
]
CRAFT_COLUMNS = [
    "recipe_id",
    "recipe_name",
    "profession",
    "market_id",
    "result_item_id",
    "result_price",
    "result_value",
    "ingredient_cost",
    "fees",
    "profit",
    "margin_pct",
    "missing_ingredients",
    "as_of",
]


@pytest.fixture(scope="module")
def built(db, landing):
    write_wow_auctions(1, seed=9, end=END, root=landing)
    write_dofus_market(1, seed=9, end=END, root=landing)
    # OSRS's first 20 items hold Cannonball but not the Steel bar it is made of: a recipe
    # with an unpriced ingredient (no cost, profit or margin)
    write_osrs_prices(1, seed=9, n_items=20, end=END, root=landing)
    sources = ("wow_auctions", "dofus_market", "osrs_prices")
    result = CliRunner().invoke(
        app, ["refresh", "--replay", *(a for s in sources for a in ("--source", s))]
    )
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def api(built, tmp_path_factory):
    with serve(built, tmp_path_factory.mktemp("api")) as base:
        yield base


def test_openapi_lists_the_paths(api) -> None:
    assert {"/v1/arbitrage", "/v1/crafting"} <= set(get(api, "/openapi.json").json()["paths"])


@pytest.mark.parametrize(("sort", "column"), [("profit", "net_profit"), ("roi", "roi_pct")])
def test_arbitrage_pages_through_equal_sql(api, built, sort, column) -> None:
    expected = query(
        built,
        f"""
        select {", ".join(ARBITRAGE_COLUMNS)} from marts.mart_arbitrage
        order by {column} desc, item_id, buy_market_id, sell_market_id
        """,
    )
    sources = {row[2] for row in expected}
    assert sources == {"wow_auctions", "dofus_market"} and len(expected) > 10
    seen = page_through(api, "/v1/arbitrage", ARBITRAGE_COLUMNS, sort=sort, limit=7)
    assert seen == rows_as_json(ARBITRAGE_COLUMNS, expected)
    first = get(api, "/v1/arbitrage", sort=sort).json()
    assert len(first["data"]) == min(50, len(expected))  # the default limit
    currency = {"wow_auctions": "copper", "dofus_market": "kamas"}
    assert all(row["currency"] == currency[row["source"]] for row in first["data"])
    as_of = query(built, "select max(greatest(buy_as_of, sell_as_of)) from marts.mart_arbitrage")[
        0
    ][0]
    assert first["as_of"] == as_json(as_of)


def test_arbitrage_of_one_item_and_market_and_a_profit_by_hand(api, built) -> None:
    item_id = query(
        built,
        """select item_id from marts.mart_arbitrage where source = 'wow_auctions'
        group by item_id order by count(*) desc, item_id limit 1""",
    )[0][0]
    expected = query(
        built,
        f"""
        select {", ".join(ARBITRAGE_COLUMNS)} from marts.mart_arbitrage where item_id = %s
        order by net_profit desc, buy_market_id, sell_market_id
        """,
        (item_id,),
    )
    body = get(api, "/v1/arbitrage", item_id=item_id).json()
    assert [{c: row[c] for c in ARBITRAGE_COLUMNS} for row in body["data"]] == rows_as_json(
        ARBITRAGE_COLUMNS, expected
    )
    assert body["item_id"] == item_id
    # by hand, from the two realms' latest prices: the 5 % cut (floored) and 20 silver
    prices = dict(
        query(
            built,
            "select market_id, price from marts.mart_item_trends where item_id = %s",
            (item_id,),
        )
    )
    for row in body["data"]:
        buy, sell = prices[row["buy_market_id"]], prices[row["sell_market_id"]]
        profit = sell - math.floor(sell * Decimal("0.05")) - 2000 - buy
        assert profit > 0 and row["net_profit"] == as_json(profit)
        assert row["roi_pct"] == as_json(round(100 * profit / (buy + 2000), 4))
    dofus = query(
        built, "select min(buy_market_id) from marts.mart_arbitrage where source = 'dofus_market'"
    )[0][0]
    expected = query(
        built,
        """
        select item_id, buy_market_id, sell_market_id from marts.mart_arbitrage
        where (buy_market_id = %s or sell_market_id = %s) and roi_pct >= 5
        order by net_profit desc, item_id, buy_market_id, sell_market_id
        """,
        (dofus, dofus),
    )
    got = get(api, "/v1/arbitrage", market_id=dofus, min_roi_pct=5, limit=1000).json()["data"]
    assert [(r["item_id"], r["buy_market_id"], r["sell_market_id"]) for r in got] == expected


@pytest.mark.parametrize(("sort", "column"), [("profit", "profit"), ("margin", "margin_pct")])
def test_crafting_pages_through_equal_sql(api, built, sort, column) -> None:
    expected = query(
        built,
        f"""
        select {", ".join(CRAFT_COLUMNS)} from marts.mart_craft_profitability
        order by {column} desc nulls last, recipe_id, market_id
        """,
    )
    # unpriced recipes (no profit) come last, and the cursor crosses into them
    assert expected[0][9] is not None
    unpriced = [row for row in expected if row[9] is None]
    assert [(row[0], row[3], row[11]) for row in unpriced] == [("osrs-002", "osrs-ge", 1)]
    seen = page_through(api, "/v1/crafting", CRAFT_COLUMNS, sort=sort, limit=3)
    assert seen == rows_as_json(CRAFT_COLUMNS, expected)
    realm = get(api, "/v1/crafting", market_id=REALM, sort=sort, limit=1000).json()
    assert [{c: row[c] for c in CRAFT_COLUMNS} for row in realm["data"]] == rows_as_json(
        CRAFT_COLUMNS, [row for row in expected if row[3] == REALM]
    )
    assert all(row["currency"] == "copper" for row in realm["data"])
    as_of = query(
        built,
        "select max(as_of) from marts.mart_craft_profitability where market_id = %s",
        (REALM,),
    )[0][0]
    assert realm["as_of"] == as_json(as_of) and realm["market_id"] == REALM


def test_crafting_filters_and_a_realm_recipe_by_hand(api, built) -> None:
    expected = query(
        built,
        """
        select recipe_id, market_id from marts.mart_craft_profitability
        where lower(profession) = 'blacksmithing' and missing_ingredients = 0
        order by profit desc nulls last, recipe_id, market_id
        """,
    )
    assert expected
    got = get(api, "/v1/crafting", profession="BlackSmithing", priced="true").json()["data"]
    assert [(row["recipe_id"], row["market_id"]) for row in got] == expected
    # Ornate Sabatons on Area 52: reagents bought at the US commodity house
    rows = get(api, "/v1/crafting", market_id=REALM, limit=1000).json()["data"]
    row = next(r for r in rows if r["recipe_name"] == "Ornate Sabatons")
    reagents = dict(
        query(
            built,
            """
            select i.item_name, t.price from marts.mart_item_trends as t
            join marts.dim_items as i using (item_id)
            where t.market_id = 'wow-us-commodities' and i.item_name in ('Bismuth', 'Ironclaw Ore')
            """,
        )
    )
    cost = 12 * reagents["Bismuth"] + 8 * reagents["Ironclaw Ore"]
    fees = math.floor(Decimal(str(row["result_price"])) * Decimal("0.05"))
    assert row["ingredient_cost"] == as_json(cost) and row["fees"] == fees
    assert row["profit"] == as_json(Decimal(str(row["result_price"])) - fees - cost)
    assert (
        row["result_item_name"]
        == query(
            built,
            "select item_name from marts.dim_items where item_id = %s",
            (row["result_item_id"],),
        )[0][0]
    )


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/v1/arbitrage", {"sort": "cheap"}, "sort"),
        ("/v1/arbitrage", {"min_roi_pct": "-1"}, "min_roi_pct"),
        ("/v1/arbitrage", {"min_roi_pct": "lots"}, "min_roi_pct"),
        ("/v1/arbitrage", {"limit": "0"}, "limit"),
        ("/v1/arbitrage", {"limit": "1001"}, "limit"),
        ("/v1/arbitrage", {"cursor": "???"}, "cursor"),
        ("/v1/arbitrage", {"cursor": Forged("arbitrage:profit", ["abc", "a", "b", "c"])}, "cursor"),
        ("/v1/arbitrage", {"cursor": Forged("arbitrage:profit", ["NaN", "a", "b", "c"])}, "cursor"),
        (
            "/v1/arbitrage",
            {"sort": "roi", "cursor": Forged("arbitrage:profit", ["1", "a", "b", "c"])},
            "cursor",
        ),
        ("/v1/arbitrage", {"format": "xml"}, "format"),
        ("/v1/crafting", {"sort": "cheap"}, "sort"),
        ("/v1/crafting", {"priced": "maybe"}, "priced"),
        ("/v1/crafting", {"profession": "Smith\x00ing"}, "profession"),
        ("/v1/arbitrage", {"item_id": "wow_auctions:\x00"}, "item_id"),
        (
            "/v1/arbitrage",
            {"cursor": Forged("arbitrage:profit", ["1", "\x00", "b", "c"])},
            "cursor",
        ),
        ("/v1/crafting", {"cursor": Forged("crafting:profit", ["1", "a"])}, "cursor"),
        ("/v1/crafting", {"cursor": Forged("arbitrage:profit", ["1", "a", "b", "c"])}, "cursor"),
    ],
)
def test_bad_parameter_is_a_400_problem_naming_it(api, path, params, parameter) -> None:
    answer = get(api, path, **params)
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    problem = answer.json()
    assert problem["parameter"] == parameter and problem["detail"].startswith(f"{parameter}:")


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/v1/arbitrage", {"item_id": "wow_auctions:0"}, "wow_auctions:0"),
        ("/v1/arbitrage", {"market_id": "wow-realm-1"}, "wow-realm-1"),
        ("/v1/crafting", {"market_id": "nowhere"}, "nowhere"),
    ],
)
def test_unknown_item_or_market_is_a_404_problem(api, path, params, named) -> None:
    answer = get(api, path, **params)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    assert named in answer.json()["detail"]


def test_csv_holds_the_json_rows(api) -> None:
    for path in ("/v1/arbitrage", "/v1/crafting"):
        answer = get(api, path, format="csv", limit=1000)
        assert answer.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        data = get(api, path, limit=1000).json()["data"]
        assert len(rows) == len(data) > 0 and list(rows[0]) == list(data[0])
        for got, want in zip(rows, data, strict=True):
            for key, value in want.items():
                if value is None:
                    assert got[key] == ""
                elif isinstance(value, float):
                    assert Decimal(got[key]) == Decimal(str(value)), (path, key)
                else:
                    assert got[key] == str(value), (path, key)


def test_etag_and_304(api) -> None:
    first = get(api, "/v1/crafting", market_id=REALM)
    assert first.headers["Last-Modified"] and first.headers["ETag"]
    again = requests.get(
        f"{api}/v1/crafting",
        params={"market_id": REALM},
        headers={"If-None-Match": first.headers["ETag"]},
        timeout=30,
    )
    assert again.status_code == 304 and again.content == b""
