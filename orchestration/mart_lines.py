"""One line per mart: its size and the answer a person would look for first.

The demo (and anyone after a quick look) prints these. Every table in the ``marts``
schema gets a line; those with a headline query below also say something about
their content, the rest say how many rows they hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

# mart → SQL returning one row of one text column (null when there is nothing to say).
HEADLINES: dict[str, str] = {
    "dim_markets": """
        select string_agg(source || ' ' || n, ', ' order by source)
        from (select source, count(*) as n from marts.dim_markets group by source) as s
    """,
    "dim_items": """
        select count(distinct category) || ' categories; most: ' ||
               (select category from marts.dim_items group by category
                order by count(*) desc limit 1)
        from marts.dim_items
    """,
    "fct_price_observations": """
        select 'from ' || to_char(min(observed_at) at time zone 'UTC', 'YYYY-MM-DD HH24:MI')
               || ' to ' || to_char(max(observed_at) at time zone 'UTC', 'YYYY-MM-DD HH24:MI')
               || ' UTC, ' || count(distinct source) || ' sources'
        from marts.fct_price_observations
    """,
    **{
        f"fct_prices_{tier}": f"""
            select count(*) || ' item × market series, last bucket '
                   || to_char(max(last_bucket) at time zone 'UTC', 'YYYY-MM-DD HH24:MI')
            from (select market_id, item_id, max(bucket_start) as last_bucket
                  from marts.fct_prices_{tier} group by market_id, item_id) as s
        """
        for tier in ("hourly", "daily", "weekly", "monthly")
    },
    "mart_item_trends": """
        select count(*) filter (where trend_state = 'spiking') || ' spiking, '
               || count(*) filter (where trend_state = 'crashing') || ' crashing, '
               || count(*) filter (where trend_state = 'out_of_stock') || ' out of stock; '
               || count(forecast_price_1d) || ' with a next-day forecast'
        from marts.mart_item_trends
    """,
    "mart_market_index": """
        select string_agg(m.market_name || ' ' || to_char(x.index_value, 'FM999990.0'), ', '
                          order by m.market_name)
        from (select distinct on (market_id) market_id, index_value
              from marts.mart_market_index order by market_id, day desc) as x
        join marts.dim_markets as m using (market_id)
    """,
    "mart_movers": """
        select 'biggest 1d gain: ' || i.item_name || ' in ' || m.market_name || ' '
               || to_char(v.change_pct, 'FMS999990.0') || ' %'
        from marts.mart_movers as v
        join marts.dim_items as i using (item_id)
        join marts.dim_markets as m using (market_id)
        where v."window" = '1d' and v.rank_gain = 1
        order by v.change_pct desc limit 1
    """,
    "mart_volatility_rankings": """
        select 'most volatile: ' || i.item_name || ' in ' || m.market_name || ' '
               || to_char(v.volatility_30d, 'FM999990.0') || ' % a day'
        from marts.mart_volatility_rankings as v
        join marts.dim_items as i using (item_id)
        join marts.dim_markets as m using (market_id)
        order by v.volatility_30d desc limit 1
    """,
    "mart_buy_opportunities": """
        select 'best: ' || i.item_name || ' in ' || m.market_name || ', '
               || to_char(o.discount_pct, 'FM990.0') || ' % under its 30-day mean, '
               || to_char(o.expected_profit, 'FM999,999,999,990') || ' ' || m.currency
               || ' a unit after fees'
        from marts.mart_buy_opportunities as o
        join marts.dim_items as i using (item_id)
        join marts.dim_markets as m using (market_id)
        order by o.expected_profit * o.confidence desc limit 1
    """,
    "mart_sell_opportunities": """
        select 'best: ' || i.item_name || ' in ' || m.market_name || ', '
               || to_char(o.premium_pct, 'FM99990.0') || ' % over its 30-day mean'
        from marts.mart_sell_opportunities as o
        join marts.dim_items as i using (item_id)
        join marts.dim_markets as m using (market_id)
        order by o.expected_profit * o.confidence desc limit 1
    """,
    "mart_market_scanner": """
        select count(distinct market_id) || ' markets, '
               || count(*) filter (where hours_since_observed < 24) || ' rows seen in 24 h'
        from marts.mart_market_scanner
    """,
    "mart_seasonality": """
        select 'cheapest hour on average: ' || day_name || ' ' || lpad(hour_of_day::text, 2, '0')
               || ':00 UTC (index ' || to_char(idx, 'FM0.000') || ')'
        from (select day_name, hour_of_day, avg(price_index) as idx
              from marts.mart_seasonality group by day_name, hour_of_day) as s
        order by idx limit 1
    """,
    "mart_arbitrage": """
        select 'best: ' || item_name || ', ' || buy_market_name || ' → ' || sell_market_name
               || ', ' || to_char(net_profit, 'FM999,999,999,990') || ' a unit after fees and '
               || 'transfer (ROI ' || to_char(roi_pct, 'FM99990.0') || ' %)'
        from marts.mart_arbitrage order by net_profit desc limit 1
    """,
    "mart_craft_profitability": """
        select count(*) filter (where profit > 0) || ' of ' || count(*)
               || ' recipe × market pay; best margin: '
               || (select recipe_name || ' in ' || market_id || ' '
                          || to_char(margin_pct, 'FM99990.0') || ' %'
                   from marts.mart_craft_profitability
                   where margin_pct is not null order by margin_pct desc limit 1)
        from marts.mart_craft_profitability
    """,
    "mart_flips": """
        select 'best: ' || item_name || ', margin ' || to_char(margin, 'FM999,999,990')
               || ' gp after tax, ' || to_char(max_profit, 'FM999,999,999,990')
               || ' gp per buy-limit window'
        from marts.mart_flips
        where margin > 0 and volume_24h > 0 and max_profit is not null
        order by max_profit desc limit 1
    """,
    "mart_latest_prices": """
        select count(*) || ' assets; biggest 24h move: ' ||
               (select symbol || ' ' || to_char(change_24h_pct, 'FMS990.00') || ' %'
                from marts.mart_latest_prices
                order by abs(change_24h_pct) desc nulls last limit 1)
        from marts.mart_latest_prices
    """,
    "mart_asset_history": """
        select item_id || ': ' || string_agg(range_name || ' ' || n || ' ' || tier, ', '
                                             order by min_start desc)
        from (select item_id, range_name, tier, count(*) as n, min(bucket_start) as min_start
              from marts.mart_asset_history
              where item_id = coalesce(
                  (select min(item_id) from marts.mart_latest_prices),
                  (select min(item_id) from marts.fct_prices_daily))
              group by item_id, range_name, tier) as r
        group by item_id
    """,
    "dim_players": """
        select sum(n) || ' players; last tick ' ||
               coalesce(to_char(max(last_fetched_at) at time zone 'UTC', 'YYYY-MM-DD HH24:MI'), '–')
               || ': ' || coalesce(string_agg(last_fetch_status || ' ' || n, ', '
                                              order by last_fetch_status), '')
        from (select last_fetch_status, max(last_fetched_at) as last_fetched_at, count(*) as n
              from marts.dim_players group by last_fetch_status) as s
    """,
    "fct_hiscore_snapshots": """
        select count(distinct (player_id, captured_at)) || ' changed snapshots of '
               || count(distinct player_id) || ' players, '
               || count(distinct metric) || ' metrics'
        from marts.fct_hiscore_snapshots
    """,
    "mart_player_gains": """
        select 'top this week: ' || username || ' +' || to_char(gained, 'FM999,999,999,999')
               || ' xp'
        from marts.mart_player_gains
        where period = 'week' and metric = 'Overall'
        order by gained desc limit 1
    """,
    "mart_player_records": """
        select 'best day: ' || username || ' +' || to_char(gained, 'FM999,999,999,999') || ' '
               || metric
        from marts.mart_player_records
        where period = 'day' and metric_kind = 'skill' and metric <> 'Overall'
        order by gained desc limit 1
    """,
    "mart_player_achievements": """
        select count(*) filter (where achieved_at is not null) || ' dated, '
               || count(*) filter (where achieved_at is null) || ' before tracking; newest: '
               || coalesce((select username || ' ' || achievement_name
                            from marts.mart_player_achievements
                            where achieved_at is not null
                            order by achieved_at desc limit 1), '–')
        from marts.mart_player_achievements
    """,
    "mart_leaderboards": """
        select count(distinct group_name) || ' groups; week leaders: '
               || string_agg(group_name || ' ' || username, ', ' order by group_name)
        from marts.mart_leaderboards
        where period = 'week' and metric = 'Overall' and position = 1
    """,
    "dim_events": """
        select count(*) filter (where not is_past) || ' upcoming, '
               || count(*) filter (where is_past) || ' past; last fetch: '
               || coalesce(string_agg(distinct last_fetch_status, ', '), '–')
        from marts.dim_events
    """,
    "mart_event_prices_hourly": """
        select count(distinct production_id) || ' events × '
               || count(distinct (production_id, section)) || ' sections, '
               || count(distinct bucket_start) || ' hours'
        from marts.mart_event_prices_hourly
    """,
    "mart_event_prices_daily": """
        select count(distinct production_id) || ' events, ' || count(distinct bucket_start)
               || ' days; lowest get-in $' || min(get_in_price)
        from marts.mart_event_prices_daily
    """,
    "mart_event_sellthrough": """
        select sum(tickets_gone) || ' tickets gone, ' || sum(tickets_new) || ' new; '
               || count(*) filter (where projected_sellout_date <= event_date)
               || ' section-days projected to sell out before the event'
        from marts.mart_event_sellthrough
    """,
    "mart_ticket_deals": """
        select count(*) || ' deals in ' || count(distinct production_id)
               || ' events; best ' || max(discount_pct) || ' % off'
        from marts.mart_ticket_deals
    """,
    "mart_watchlist_popularity": """
        select count(*) || ' items watched by ' || max(watchers) || ' profile(s) at most; '
               || count(*) filter (where trend_state in ('spiking', 'crashing'))
               || ' spiking or crashing'
        from marts.mart_watchlist_popularity
    """,
    "mart_alert_effectiveness": """
        select string_agg(rule_type || ' ' || alerts || ' alerts, '
                          || coalesce(to_char(100 * share_held_24h, 'FM990') || ' % held 24 h',
                                      'none evaluated yet'), '; ' order by rule_type)
        from marts.mart_alert_effectiveness
    """,
}


@dataclass(frozen=True)
class MartLine:
    """One line of the demo's "every mart" table: the mart, its row count, and a headline
    (HEADLINES) when it has one and rows."""

    mart: str
    rows: int
    headline: str | None


def mart_lines(conn: psycopg.Connection) -> list[MartLine]:
    """A line for every table and view in the marts schema, dims and facts first."""
    tables = [
        r[0]
        for r in conn.execute(
            """
            select table_name from information_schema.tables
            where table_schema = 'marts'
            order by case split_part(table_name, '_', 1)
                         when 'dim' then 0 when 'fct' then 1 else 2 end,
                     table_name
            """
        ).fetchall()
    ]
    lines = []
    for table in tables:
        rows = conn.execute(
            sql.SQL("select count(*) from {}.{}").format(
                sql.Identifier("marts"), sql.Identifier(table)
            )
        ).fetchone()[0]
        headline = None
        if table in HEADLINES and rows:
            row = conn.execute(HEADLINES[table]).fetchone()
            headline = row[0] if row else None
        lines.append(MartLine(table, rows, headline))
    return lines
