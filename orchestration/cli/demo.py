"""`snapmart demo`: simulated history for every source, one tick over it, and what it
built (markets, flips, movers, players, tickets, every mart, the week's alerts)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from orchestration import warehouse
from orchestration.cli.alerts import print_bank_crafts, print_week_alerts
from orchestration.cli.output import console, progress, start_warehouse
from orchestration.cli.tick import conclude, refresh_plan, run_tick
from orchestration.mart_lines import mart_lines


def demo(
    days: Annotated[float, typer.Option(help="Days of simulated history.")] = 7,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 42,
    items: Annotated[int, typer.Option(help="Simulated GE items.")] = 300,
) -> None:
    """Simulated history for every source → load → checks → build → what it built."""
    from ingestion.simulator.writer import (
        write_dofus_market,
        write_exchanges,
        write_osrs_hiscores,
        write_osrs_prices,
        write_vividseats,
        write_wow_auctions,
    )

    wh = start_warehouse(create=True)  # the demo sets everything up, the database too
    info, landing = wh.info, wh.settings.landing_root
    where = "embedded PostgreSQL" if wh.embedded else info.redacted()
    console.print(f"[bold]snapmart demo[/]: {days:g} simulated days, seed {seed}, on {where}")
    with progress() as bar:
        task = bar.add_task("Simulating osrs_prices", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        # the demo walks the paths real data walks: a few quirky files (docs/fidelity.md)
        write_osrs_prices(
            days, seed=seed, n_items=items, progress=advance, quirks=True, root=landing
        )
        wow = bar.add_task("Simulating wow_auctions", total=None)
        write_wow_auctions(
            days,
            seed=seed,
            progress=lambda d, t: bar.update(wow, completed=d, total=t),
            root=landing,
        )
        dofus = bar.add_task("Simulating dofus_market", total=None)
        write_dofus_market(
            days,
            seed=seed,
            progress=lambda d, t: bar.update(dofus, completed=d, total=t),
            quirks=True,
            root=landing,
        )
        players = bar.add_task("Simulating osrs_hiscores", total=None)
        write_osrs_hiscores(
            days,
            seed=seed,
            progress=lambda d, t: bar.update(players, completed=d, total=t),
            root=landing,
        )
        exchanges = bar.add_task("Fetching binance + yahoo_finance (simulated)", total=None)
        write_exchanges(
            seed=seed,
            progress=lambda d, t: bar.update(exchanges, completed=d, total=t),
            quirks=True,
            root=landing,
        )
        tickets = bar.add_task("Fetching vividseats every 15 min (simulated)", total=None)
        write_vividseats(
            min(days, 3),
            seed=seed,
            progress=lambda d, t: bar.update(tickets, completed=d, total=t),
            quirks=True,
            root=landing,
        )
    console.print(f"[dim]landing zone: {landing}[/]")
    from datetime import timedelta

    from ingestion import clock
    from ingestion.sources import SOURCES

    since = clock.now() - timedelta(days=days)
    # the tick `snapmart refresh --replay` runs (refresh_all), its alerts also looking
    # back over the simulated week
    plan, config = refresh_plan(list(SOURCES), every=True, replay=True)
    config["alerts__fct_alert_events"] = {"backtest_since": since.isoformat()}
    code = conclude(*run_tick(plan, wh, config))
    if code == 0:
        print_demo_marts(info)
        print_week_alerts(info, since)
        print_bank_crafts(info, "demo")
    raise typer.Exit(code)


def print_demo_marts(info: warehouse.ConnectionInfo) -> None:
    """Print what the demo built: markets, top flips, top movers, top gainers, best deals, a
    line per mart, and the observation and candle counts."""
    with warehouse.connect(info) as conn:
        flips = conn.execute(
            """
            select item_name, buy_price, sell_price, tax, margin, roi_pct, buy_limit,
                   max_profit, volume_24h
            from marts.mart_flips
            where volume_24h > 0 and margin > 0 and buy_limit is not null
            order by max_profit desc
            limit 10
            """
        ).fetchall()
        movers = conn.execute(
            """
            select item_name, market_name, price, change_1d_pct, change_7d_pct, trend_state
            from (
                select i.item_name, m.market_name, t.price, t.change_1d_pct, t.change_7d_pct,
                       t.trend_state,
                       row_number() over (
                           partition by t.market_id order by abs(t.change_1d_pct) desc
                       ) as rank_in_market
                from marts.mart_item_trends as t
                join marts.dim_items as i using (item_id)
                join marts.dim_markets as m using (market_id)
                where t.change_1d_pct is not null
            ) as ranked
            where rank_in_market <= 2
            order by market_name, abs(change_1d_pct) desc
            """
        ).fetchall()
        markets = conn.execute(
            """
            select m.market_name, m.source, m.currency, count(*) as items,
                   round(avg(t.volatility_30d), 2) as avg_volatility,
                   count(*) filter (where t.trend_state in ('spiking', 'increasing')) as rising,
                   count(*) filter (where t.trend_state in ('crashing', 'decreasing')) as falling,
                   max(t.as_of) as as_of
            from marts.mart_item_trends as t
            join marts.dim_markets as m using (market_id)
            group by m.market_name, m.source, m.currency
            order by m.source, m.market_name
            """
        ).fetchall()
        counts = conn.execute(
            """
            select (select count(*) from marts.fct_price_observations),
                   (select count(*) from marts.fct_prices_hourly),
                   (select count(*) from marts.fct_prices_daily),
                   (select count(*) from marts.dim_items)
            """
        ).fetchone()
    mk = Table(title="Markets (mart_item_trends by dim_markets)")
    for col in (
        "market",
        "source",
        "currency",
        "items",
        "avg vol 30d %",
        "rising",
        "falling",
        "as of",
    ):
        mk.add_column(col, justify="left" if col in ("market", "source", "currency") else "right")
    for r in markets:
        mk.add_row(
            r[0],
            r[1],
            r[2],
            f"{r[3]:,}",
            f"{r[4]}" if r[4] is not None else "–",
            str(r[5]),
            str(r[6]),
            f"{r[7]:%Y-%m-%d %H:%M}",
        )
    console.print(mk)
    t = Table(title="Top flips (OSRS GE, after tax, by profit per buy-limit window)")
    for col in ("item", "buy", "sell", "tax", "margin", "roi %", "limit", "max profit", "vol 24h"):
        t.add_column(col, justify="left" if col == "item" else "right")
    for r in flips:
        t.add_row(r[0], *(f"{v:,}" if v is not None else "–" for v in r[1:]))
    console.print(t)
    m = Table(title="Top movers (24h), two per market")
    for col in ("item", "market", "price", "1d %", "7d %", "trend"):
        m.add_column(col, justify="left" if col in ("item", "market", "trend") else "right")
    for r in movers:
        m.add_row(
            r[0],
            r[1],
            f"{r[2]:,.1f}",
            f"{r[3]:+.2f}",
            f"{r[4]:+.2f}" if r[4] is not None else "–",
            r[5] or "–",
        )
    console.print(m)
    print_top_gainers(info)
    print_best_deals(info)
    with warehouse.connect(info) as conn:
        lines = mart_lines(conn)
    ml = Table(title="Every mart (schema marts)")
    ml.add_column("mart")
    ml.add_column("rows", justify="right")
    ml.add_column("first look")
    for line in lines:
        ml.add_row(line.mart, f"{line.rows:,}", line.headline or "–")
    console.print(ml)
    console.print(
        f"Built {counts[0]:,} price observations, {counts[1]:,} hourly and {counts[2]:,} daily "
        f"candles for {counts[3]:,} items.\n"
        "Look further: [bold]snapmart ui[/] (Dagster, http://127.0.0.1:3000), "
        "[bold]snapmart db psql[/], or [bold]snapmart db url[/] for a BI tool (schema marts)."
    )


def print_best_deals(info: warehouse.ConnectionInfo, limit: int = 10) -> None:
    """The best ticket deals now (mart_ticket_deals), and each tracked event's state."""
    with warehouse.connect(info) as conn:
        deals = conn.execute(
            """
            select event_name, event_date, section, seat_row, quantity, all_in_price,
                   section_median_price, discount_pct
            from marts.mart_ticket_deals
            order by discount_pct desc, all_in_price
            limit %s
            """,
            (limit,),
        ).fetchall()
        events = conn.execute(
            """
            select event_name, event_date, last_fetch_status, listings, tickets, get_in_price
            from marts.dim_events
            order by event_date nulls last, production_id
            """
        ).fetchall()
    t = Table(title="Best ticket deals now (Vivid Seats, ≥ 20 % under the section median)")
    for col in ("event", "date", "section", "row", "tickets", "all-in $", "median $", "off %"):
        t.add_column(col, justify="left" if col in ("event", "section", "row") else "right")
    for r in deals:
        t.add_row(
            r[0], f"{r[1]}", r[2], r[3] or "–", str(r[4]), f"{r[5]:,.2f}", f"{r[6]:,.2f}",
            f"{r[7]:.1f}",
        )  # fmt: skip
    console.print(t)
    e = Table(title="Tracked events (dim_events)")
    for col in ("event", "date", "last fetch", "listings", "tickets", "get-in $"):
        e.add_column(col, justify="left" if col in ("event", "last fetch") else "right")
    for r in events:
        e.add_row(
            r[0] or "–",
            f"{r[1]}" if r[1] else "–",
            r[2] or "–",
            f"{r[3]:,}" if r[3] is not None else "–",
            f"{r[4]:,}" if r[4] is not None else "–",
            f"{r[5]:,.2f}" if r[5] is not None else "–",
        )
    console.print(e)


def print_top_gainers(info: warehouse.ConnectionInfo, limit: int = 8) -> None:
    """The week's top gainers (Overall xp), with their best skill and their group."""
    with warehouse.connect(info) as conn:
        rows = conn.execute(
            """
            with overall as (
                select g.player_id, g.username, g.gained, g.level_change, g.end_value,
                       g.rank_change
                from marts.mart_player_gains as g
                where g.period = 'week' and g.metric = 'Overall'
            ),
            best_skill as (
                select distinct on (player_id) player_id, metric, gained
                from marts.mart_player_gains
                where period = 'week' and metric_kind = 'skill' and metric <> 'Overall'
                order by player_id, gained desc
            )
            select o.username, array_to_string(p.group_names, ', '), o.gained, o.level_change,
                   o.end_value, o.rank_change, b.metric, b.gained, p.last_fetch_status
            from overall as o
            join marts.dim_players as p using (player_id)
            left join best_skill as b using (player_id)
            order by o.gained desc, o.username
            limit %s
            """,
            (limit,),
        ).fetchall()
        missing = conn.execute(
            "select string_agg(username || ' (' || last_fetch_status || ')', ', ')"
            " from marts.dim_players where last_fetch_status in ('not_found', 'failed')"
        ).fetchone()[0]
    t = Table(title="Top gainers this week (OSRS hiscores, Overall xp, mart_player_gains)")
    for col in (
        "player",
        "groups",
        "xp gained",
        "levels",
        "overall xp",
        "rank Δ (− = up)",
        "best skill",
    ):
        t.add_column(col, justify="left" if col in ("player", "groups", "best skill") else "right")
    for r in rows:
        best = f"{r[6]} +{r[7]:,}" if r[6] and r[7] else "–"
        t.add_row(
            r[0],
            r[1] or "–",
            f"{r[2]:,}",
            f"{int(r[3]):+d}" if r[3] is not None else "–",
            f"{r[4]:,}",
            f"{int(r[5]):+,}" if r[5] is not None else "–",
            best,
        )
    console.print(t)
    if missing:
        console.print(f"[dim]not on the hiscores at the last tick: {missing}[/]")
