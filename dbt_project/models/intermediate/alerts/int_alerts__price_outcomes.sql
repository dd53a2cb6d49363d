{#- One row per alert event that is about a price move (price at/below/above a target,
    % change, trend state, buy/sell opportunity): the price 24 hours and 7 days after
    the trigger, once that horizon has passed in the data, and whether the move the
    alert reported continued.

    price_24h         the item's last price at or before triggered_at + 24 h, known once
                      the market has an observation at or after that moment (so an alert
                      from an hour ago is "not yet", not "failed").
    move_24h_pct      100 × direction × (price_24h − trigger_price) / trigger_price: the
                      move in the alert's direction (positive = it continued).
    held_24h          move_24h_pct > 0; an unchanged price did not hold.
    The same for 7 days. -#}
with events as (
    select
        event_id,
        profile_id,
        rule_id,
        rule_type,
        market_id,
        item_id,
        triggered_at,
        trigger_price,
        direction,
        is_backtest
    from {{ ref('stg_alerts__events') }}
    where
        trigger_price > 0
        and direction in (-1, 1)
        and item_id is not null
        and market_id is not null
),

horizons as (
    select
        e.*,
        h.horizon,
        e.triggered_at + h.horizon_interval as horizon_at
    from events as e
    cross join (
        values ('24h', interval '24 hours'), ('7d', interval '7 days')
    ) as h (horizon, horizon_interval)
),

outcomes as (
    select
        h.event_id,
        h.horizon,
        case when reached.observed_at is not null then p.price end as price_after
    from horizons as h
    left join lateral (
        select o.observed_at
        from {{ ref('fct_price_observations') }} as o
        where
            o.market_id = h.market_id
            and o.item_id = h.item_id
            and o.is_rollup_input
            and o.observed_at >= h.horizon_at
        order by o.observed_at
        limit 1
    ) as reached on true
    left join lateral (
        select o.price
        from {{ ref('fct_price_observations') }} as o
        where
            o.market_id = h.market_id
            and o.item_id = h.item_id
            and o.is_rollup_input
            and o.observed_at <= h.horizon_at
        order by o.observed_at desc
        limit 1
    ) as p on true
),

pivoted as (
    select
        event_id,
        max(price_after) filter (where horizon = '24h') as price_24h,
        max(price_after) filter (where horizon = '7d') as price_7d
    from outcomes
    group by event_id
)

select
    e.event_id,
    e.profile_id,
    e.rule_id,
    e.rule_type,
    e.market_id,
    e.item_id,
    e.triggered_at,
    e.direction,
    e.trigger_price,
    p.price_24h,
    round((100.0 * e.direction * (p.price_24h - e.trigger_price) / e.trigger_price)::numeric, 4)
        as move_24h_pct,
    (e.direction * (p.price_24h - e.trigger_price)) > 0 as held_24h,
    p.price_7d,
    round((100.0 * e.direction * (p.price_7d - e.trigger_price) / e.trigger_price)::numeric, 4)
        as move_7d_pct,
    (e.direction * (p.price_7d - e.trigger_price)) > 0 as held_7d,
    e.is_backtest
from events as e
inner join pivoted as p on e.event_id = p.event_id
