"""What each rule type asks the marts: one set-based query per rule, newest data only.

Every query returns the rule's *observations* since it was last evaluated, one row per
(subject, time): ``subject`` (what the condition is about: an item, an arbitrage route,
a player's metric, an achievement), ``observed_at`` (data time, never the wall clock,
so a replayed week alerts as it would have live), ``value`` (the measured number),
``state`` (trend state, for entering-a-state rules), ``hit`` (the condition held),
``price`` (the price at that moment, for effectiveness), ``direction`` (+1 / −1: the
move the alert is about) and ``label`` (the subject in words).

Two kinds of rules:

* **history** rules (price at/below/above a target, % change over a window,
  achievements) read every observation after the rule's watermark, so a tick that
  brings six 5-minute buckets evaluates all six; the cost follows the new rows
  (``fct_price_observations`` is indexed on market, item, time).
* **state** rules (trend state, buy/sell opportunities, arbitrage, flips, hiscore
  gains) read a current-state mart once per new ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

HISTORY_TYPES = ("price_below", "price_above", "price_change", "achievement")
PRICE_TYPES = ("price_below", "price_above", "price_change")
EPOCH = datetime(1900, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Rule:
    """One alert rule as the profiles state it (``raw_user_state.alert_rules``,
    config/profiles/README.md): its type and what it watches (market, item, player, metric,
    period, trend state, name filter), its threshold, window and direction, the cooldown
    in minutes between two events of one subject, and the channels to deliver on."""

    profile_id: str
    rule_id: str
    rule_type: str
    market_id: str | None
    item_id: str | None
    player_id: str | None
    metric: str | None
    period: str | None
    state: str | None
    name_filter: str | None
    threshold: float | None
    window_minutes: int | None
    direction: str | None
    cooldown_minutes: int
    channels: tuple[str, ...]
    description: str | None

    @property
    def key(self) -> tuple[str, str]:
        """(profile_id, rule_id): what identifies the rule across runs (``alerts.rule_state``)."""
        return (self.profile_id, self.rule_id)


_PRICE_OBS = """
    select
        o.item_id as subject,
        o.observed_at,
        o.price::float8 as price
    from marts.fct_price_observations as o
    where
        o.market_id = %(market_id)s
        and o.item_id = %(item_id)s
        and o.is_rollup_input
        and o.observed_at > %(since)s
        and (not %(latest_only)s or o.observed_at = (
            select max(l.observed_at) from marts.fct_price_observations as l
            where l.market_id = %(market_id)s and l.item_id = %(item_id)s and l.is_rollup_input
        ))
"""

QUERIES: dict[str, str] = {
    **{
        rule_type: f"""
        select subject, observed_at, price as value, null::text as state,
            price {op} %(threshold)s as hit, price, {direction} as direction, null::text as label
        from ({_PRICE_OBS}) as p
    """
        for rule_type, op, direction in (("price_below", "<=", -1), ("price_above", ">=", 1))
    },
    # The change at each new observation against the last price at or before one window
    # earlier (the same definition mart_item_trends uses for change_1d_pct).
    "price_change": f"""
        select p.subject, p.observed_at, c.change_pct as value, null::text as state,
            case %(direction)s
                when 'up' then c.change_pct >= %(threshold)s
                when 'down' then c.change_pct <= -%(threshold)s
                else abs(c.change_pct) >= %(threshold)s
            end is true as hit,
            p.price, sign(c.change_pct)::int as direction, null::text as label
        from ({_PRICE_OBS}) as p
        left join lateral (
            select b.price::float8 as base
            from marts.fct_price_observations as b
            where
                b.market_id = %(market_id)s and b.item_id = %(item_id)s and b.is_rollup_input
                and b.observed_at <= p.observed_at - make_interval(mins => %(window_minutes)s)
            order by b.observed_at desc
            limit 1
        ) as w on true
        cross join lateral (
            select 100.0 * (p.price - w.base) / nullif(w.base, 0) as change_pct
        ) as c
    """,
    "achievement": """
        select a.achievement_id::text as subject, a.achieved_at as observed_at,
            a.measured_value::float8 as value, null::text as state, true as hit,
            null::float8 as price, null::int as direction,
            a.achievement_name as label
        from marts.mart_player_achievements as a
        where
            a.player_id = %(player_id)s
            and a.achieved_at is not null
            and a.achieved_at > %(since)s
            and (%(name_filter)s::text is null
                or a.achievement_name ilike '%%' || %(name_filter)s || '%%')
            and (not %(latest_only)s or a.achieved_at = (
                select max(l.achieved_at) from marts.mart_player_achievements as l
                where l.player_id = %(player_id)s
            ))
    """,
    "trend_state": """
        select t.item_id as subject, t.as_of as observed_at, t.price::float8 as value,
            t.trend_state as state, t.trend_state = %(state)s as hit, t.price::float8 as price,
            case when t.trend_state in ('spiking', 'increasing') then 1
                when t.trend_state in ('crashing', 'decreasing') then -1 end as direction,
            null::text as label
        from marts.mart_item_trends as t
        where t.market_id = %(market_id)s and t.item_id = %(item_id)s and t.as_of > %(since)s
    """,
    **{
        f"{side}_opportunity": f"""
        select o.market_id || '|' || o.item_id as subject, o.as_of as observed_at,
            o.expected_profit::float8 as value, null::text as state,
            o.expected_profit >= %(threshold)s as hit, o.price::float8 as price,
            {direction} as direction, null::text as label
        from marts.mart_{side}_opportunities as o
        where
            o.as_of > %(since)s
            and (%(market_id)s::text is null or o.market_id = %(market_id)s)
            and (%(item_id)s::text is null or o.item_id = %(item_id)s)
    """
        for side, direction in (("buy", 1), ("sell", -1))
    },
    "arbitrage": """
        select a.item_id || '|' || a.buy_market_id || '>' || a.sell_market_id as subject,
            greatest(a.buy_as_of, a.sell_as_of) as observed_at, a.net_profit::float8 as value,
            null::text as state, a.net_profit >= %(threshold)s as hit,
            a.buy_price::float8 as price, null::int as direction,
            a.buy_market_name || ' → ' || a.sell_market_name as label
        from marts.mart_arbitrage as a
        where
            greatest(a.buy_as_of, a.sell_as_of) > %(since)s
            and (%(item_id)s::text is null or a.item_id = %(item_id)s)
    """,
    "flip_margin": """
        select f.item_id as subject, f.as_of as observed_at, f.margin::float8 as value,
            null::text as state, f.margin >= %(threshold)s as hit,
            f.buy_price::float8 as price, null::int as direction, null::text as label
        from marts.mart_flips as f
        where f.as_of > %(since)s and (%(item_id)s::text is null or f.item_id = %(item_id)s)
    """,
    "hiscore_gain": """
        select g.player_id || ':' || g.metric || ':' || g.period as subject,
            g.as_of as observed_at, g.gained::float8 as value, null::text as state,
            g.gained >= %(threshold)s as hit, null::float8 as price, null::int as direction,
            g.username || ' ' || g.metric || ' (' || g.period || ')' as label
        from marts.mart_player_gains as g
        where
            g.player_id = %(player_id)s
            and lower(g.metric) = lower(%(metric)s)
            and g.period = %(period)s
            and g.as_of > %(since)s
    """,
}


@dataclass(frozen=True)
class Observation:
    """One row a rule's query returns: the subject, when it was observed (data time, UTC),
    the measured value, the trend state, whether the condition held, the price then, the
    direction of the move (+1 / −1) and the subject in words (the module's docstring)."""

    subject: str
    observed_at: datetime
    value: float | None
    state: str | None
    hit: bool
    price: float | None
    direction: int | None
    label: str | None


def observe(conn: Any, rule: Rule, since: datetime | None, latest_only: bool) -> list[Observation]:
    """The rule's observations after ``since`` (all of them, or with ``latest_only`` the
    newest only: a new rule does not alert on history unless asked to backtest)."""
    params = {
        "market_id": rule.market_id,
        "item_id": rule.item_id,
        "player_id": rule.player_id,
        "metric": rule.metric,
        "period": rule.period,
        "state": rule.state,
        "name_filter": rule.name_filter,
        "threshold": rule.threshold,
        "window_minutes": rule.window_minutes or 0,
        "direction": rule.direction or "either",
        "since": since or EPOCH,
        "latest_only": latest_only,
    }
    rows = conn.execute(
        f"select * from ({QUERIES[rule.rule_type]}) as q order by observed_at, subject", params
    ).fetchall()
    return [Observation(*row) for row in rows]
