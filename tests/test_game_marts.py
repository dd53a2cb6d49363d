"""The game marts on real simulated data from all three game sources: every mart gets
its demo line, and arbitrage and craft profits recomputed here from mart_item_trends and
the seeds agree with what dbt built."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from ingestion.simulator.writer import write_dofus_market, write_osrs_prices, write_wow_auctions
from orchestration import warehouse
from orchestration.cli import app
from orchestration.cli.demo import print_demo_marts
from orchestration.cli.output import console
from orchestration.mart_lines import mart_lines
from tests.conftest import SIM_END, query, scalar

END = SIM_END - timedelta(hours=1)


@pytest.fixture(scope="module")
def built(db, landing):
    write_osrs_prices(3, seed=9, n_items=40, end=END, root=landing)
    write_wow_auctions(3, seed=9, end=END, root=landing)
    write_dofus_market(3, seed=9, end=END, root=landing)
    result = CliRunner().invoke(app, ["refresh", "--replay"])
    assert result.exit_code == 0, result.output
    return result


def test_every_mart_has_a_line_and_the_game_marts_have_rows(db, built) -> None:
    with warehouse.connect(db) as conn:
        lines = {line.mart: line for line in mart_lines(conn)}
    for mart in (
        "mart_seasonality",
        "mart_arbitrage",
        "mart_craft_profitability",
        "fct_prices_weekly",
        "fct_prices_monthly",
    ):
        assert lines[mart].rows > 0, mart
        assert lines[mart].headline, mart
    tables = {
        r[0]
        for r in query(
            db, "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    }
    assert tables == set(lines)
    with console.capture() as printed:  # everything `make demo` prints after its build
        print_demo_marts(db)
    out = printed.get()
    assert "Top flips" in out and "Top gainers this week" in out and "Every mart" in out


def test_arbitrage_recomputed_from_trends(db, built) -> None:
    """Every WoW realm pair that pays after the 5 % cut and 2,000 copper transfer is
    listed, with that profit, and nothing else is."""
    trends = query(
        db,
        """
        select t.item_id, t.market_id, t.price from marts.mart_item_trends as t
        where starts_with(t.market_id, 'wow-realm-') and t.price > 0
        """,
    )
    by_item: dict[str, dict[str, float]] = {}
    for item_id, market_id, price in trends:
        by_item.setdefault(item_id, {})[market_id] = float(price)
    expected = {}
    for item_id, prices in by_item.items():
        for buy_m, buy in prices.items():
            for sell_m, sell in prices.items():
                if buy_m == sell_m:
                    continue
                profit = sell - math.floor(sell * 0.05) - 2000 - buy
                if profit > 0:
                    expected[(item_id, buy_m, sell_m)] = profit
    got = {
        (r[0], r[1], r[2]): float(r[3])
        for r in query(
            db,
            "select item_id, buy_market_id, sell_market_id, net_profit from marts.mart_arbitrage"
            " where source = 'wow_auctions'",
        )
    }
    assert expected, "the simulated realms should disagree somewhere"
    assert got.keys() == expected.keys()
    for key, profit in expected.items():
        assert got[key] == pytest.approx(profit, abs=1e-6)


def test_craft_profit_recomputed_for_a_realm_recipe(db, built) -> None:
    """Ornate Sabatons on Area 52: reagents at the US commodity house."""
    row = query(
        db,
        """
        select result_price, ingredient_cost, fees, profit from marts.mart_craft_profitability
        where recipe_name = 'Ornate Sabatons' and market_id = 'wow-realm-3676'
        """,
    )
    assert row, "the recipe's result should have a price on Area 52"
    result_price, cost, fees, profit = (float(v) for v in row[0])
    reagents = dict(
        query(
            db,
            """
            select i.item_name, t.price from marts.mart_item_trends as t
            join marts.dim_items as i using (item_id)
            where t.market_id = 'wow-us-commodities' and i.item_name in ('Bismuth', 'Ironclaw Ore')
            """,
        )
    )
    expected_cost = 12 * float(reagents["Bismuth"]) + 8 * float(reagents["Ironclaw Ore"])
    assert cost == pytest.approx(expected_cost, abs=1e-6)
    assert fees == math.floor(result_price * 0.05)
    assert profit == pytest.approx(result_price - fees - expected_cost, abs=1e-6)


def test_seasonality_and_forecast_on_real_data(db, built) -> None:
    # each item's slots average to 1.0
    worst = scalar(
        db,
        """
        select max(abs(m - 1)) from (
            select avg(price_index) as m from marts.mart_seasonality group by market_id, item_id
        ) as s
        """,
    )
    assert worst <= 0.0001
    # WoW items carry catalogue names, not placeholders
    assert (
        scalar(
            db,
            "select count(*) from marts.dim_items where source = 'wow_auctions'"
            " and (starts_with(item_name, 'Item ') or strpos(item_name, 'species') > 0)",
        )
        == 0
    )
    # 3 days of closes are fewer than the 5 changes a forecast needs
    assert scalar(db, "select count(forecast_price_1d) from marts.mart_item_trends") == 0
