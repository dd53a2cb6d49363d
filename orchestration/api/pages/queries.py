"""What the pages read from the marts: one function per panel, each one or two queries
through the API's analyst pool (``Marts``). Rows are dicts of the marts' own columns."""

from __future__ import annotations

from typing import Any

from orchestration.api.db import Marts, Row
from orchestration.api.routes.players import PLAYER_ID

INDEX_DAYS_HOME = 90
INDEX_DAYS_MARKET = 365
CLOSES_DAYS = 180
MOVERS_HOME = 5
MOVERS_MARKET = 15
GAINS_METRICS = 6


def markets_with_index(marts: Marts) -> list[Row]:
    """The markets that have a price index, by market_id: ``market_id``, ``market_name``,
    ``currency``, ``market_kind``."""
    return marts.fetch(
        """select m.market_id, m.market_name, m.currency, m.market_kind
        from marts.dim_markets as m
        where exists (select from marts.mart_market_index as i where i.market_id = m.market_id)
        order by m.market_id"""
    )


def market(marts: Marts, market_id: str) -> Row | None:
    """The market's ``dim_markets`` row, or None."""
    rows = marts.fetch("select * from marts.dim_markets where market_id = %s", (market_id,))
    return rows[0] if rows else None


def index_days(marts: Marts, market_id: str, days: int) -> list[Row]:
    """The market's ``day`` / ``index_value`` rows of the ``days`` ending at its newest
    day, oldest first."""
    return marts.fetch(
        """select day, index_value from marts.mart_market_index
        where market_id = %(m)s and day > (
            select max(day) from marts.mart_market_index where market_id = %(m)s) - %(d)s::int
        order by day""",
        {"m": market_id, "d": days},
    )


def movers(marts: Marts, market_id: str, rank: str, limit: int) -> list[Row]:
    """The market's 1-day movers in ``rank`` order (``rank_gain``, ``rank_loss`` or
    ``rank_abs``; chosen by the caller, never from a request): ``item_id``,
    ``item_name``, ``change_pct``, ``price``."""
    assert rank in ("rank_gain", "rank_loss", "rank_abs")
    return marts.fetch(
        f"""select mv.item_id, coalesce(i.item_name, mv.item_id) as item_name,
            mv.change_pct, mv.price
        from marts.mart_movers as mv
        left join marts.dim_items as i on i.item_id = mv.item_id
        where mv.market_id = %s and mv."window" = '1d'
        order by mv.{rank}, mv.item_id limit %s""",
        (market_id, limit),
    )


def item(marts: Marts, item_id: str) -> Row | None:
    """The item's ``dim_items`` row, or None."""
    rows = marts.fetch("select * from marts.dim_items where item_id = %s", (item_id,))
    return rows[0] if rows else None


def item_trends(marts: Marts, item_id: str) -> list[Row]:
    """The item's ``mart_item_trends`` row in each market, with the market's
    ``currency`` and ``market_name``, by market_id."""
    return marts.fetch(
        """select t.*, m.currency, m.market_name
        from marts.mart_item_trends as t
        join marts.dim_markets as m on m.market_id = t.market_id
        where t.item_id = %s order by t.market_id""",
        (item_id,),
    )


def daily_closes(marts: Marts, market_id: str, item_id: str, days: int) -> list[Row]:
    """The item's daily ``close`` per UTC ``day`` in the market (``fct_prices_daily``) for
    the ``days`` ending at its newest, oldest first."""
    return marts.fetch(
        """select bucket_start::date as day, close from marts.fct_prices_daily
        where market_id = %(m)s and item_id = %(i)s and bucket_start > (
            select max(bucket_start) from marts.fct_prices_daily
            where market_id = %(m)s and item_id = %(i)s) - make_interval(days => %(d)s)
        order by bucket_start""",
        {"m": market_id, "i": item_id, "d": days},
    )


def player(marts: Marts, username: str) -> Row | None:
    """The ``dim_players`` row of ``username`` spelled any way the hiscores accept (case,
    ``-``, ``_`` and spaces alike: the ``player_id`` macro's rule), or None."""
    rows = marts.fetch(
        f"select * from marts.dim_players where player_id = {PLAYER_ID}", {"name": username}
    )
    return rows[0] if rows else None


def gained_metrics(marts: Marts, player_id: str, limit: int) -> list[Row]:
    """The player's metrics with the biggest gains over the year (``mart_player_gains``,
    period ``year``), Overall first: ``metric``, ``metric_kind``, ``gained``."""
    return marts.fetch(
        """select metric, metric_kind, gained from marts.mart_player_gains
        where player_id = %s and period = 'year' and (gained > 0 or metric = 'Overall')
        order by metric = 'Overall' desc, gained desc, metric limit %s""",
        (player_id, limit),
    )


def metric_history(marts: Marts, player_id: str, metrics: list[str]) -> dict[str, list[Row]]:
    """Each of ``metrics``' snapshots of the player (``captured_at``, ``value``), oldest
    first."""
    rows = marts.fetch(
        """select metric, captured_at, value from marts.fct_hiscore_snapshots
        where player_id = %s and metric = any(%s) order by metric, captured_at""",
        (player_id, metrics),
    )
    history: dict[str, list[Row]] = {m: [] for m in metrics}
    for row in rows:
        history[row["metric"]].append(row)
    return history


def records(marts: Marts, player_id: str) -> list[Row]:
    """The player's records (``mart_player_records``), biggest first per period."""
    return marts.fetch(
        """select period, metric, gained, started_at, ended_at from marts.mart_player_records
        where player_id = %s and gained > 0
        order by array_position(array['day','week','month','year'], period), gained desc
        limit 40""",
        (player_id,),
    )


def achievements(marts: Marts, player_id: str) -> list[Row]:
    """The player's achievements (``mart_player_achievements``), newest first."""
    return marts.fetch(
        """select achievement_name, achieved_at, is_date_known
        from marts.mart_player_achievements where player_id = %s
        order by achieved_at desc nulls last, achievement_name limit 60""",
        (player_id,),
    )


def event(marts: Marts, production_id: str) -> Row | None:
    """The event's ``dim_events`` row, or None (``production_id`` as text: the mart's
    key type is compared as text so any string is a fair question)."""
    rows = marts.fetch(
        "select * from marts.dim_events where production_id::text = %s", (production_id,)
    )
    return rows[0] if rows else None


def event_prices(marts: Marts, event_row: Row) -> list[Row]:
    """Per section and UTC day before the event: ``days_to_event`` (event date − day),
    ``get_in_price`` and ``median_price`` (``mart_event_prices_daily``)."""
    return marts.fetch(
        """select p.section, (%(d)s::date - p.bucket_start::date) as days_to_event,
            p.get_in_price, p.median_price
        from marts.mart_event_prices_daily as p
        where p.production_id = %(p)s
        order by p.section, p.bucket_start""",
        {"p": event_row["production_id"], "d": event_row["event_date"]},
    )


def sellthrough(marts: Marts, production_id: Any) -> list[Row]:
    """The event's newest sell-through day per section (``mart_event_sellthrough``)."""
    return marts.fetch(
        """select distinct on (section) section, day, tickets_left, sell_rate_7d,
            projected_sellout_date
        from marts.mart_event_sellthrough where production_id = %s
        order by section, day desc""",
        (production_id,),
    )
