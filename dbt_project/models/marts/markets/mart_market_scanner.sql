{#- One wide row per market × item with every column an analyst filters on
    (docs/formulas.md#opportunities): price and trend, the buy or sell opportunity after
    fees, liquidity and freshness. buy_margin_pct = 100 × buy_expected_profit / price.
    volume_24h sums the hourly volume of the 24 hours ending at the item's as_of.
    hours_since_observed is measured at the tick's clock, so it says how stale the item was
    when the marts were refreshed. -#}
with volumes as (
    select
        t.market_id,
        t.item_id,
        sum(h.volume) as volume_24h
    from {{ ref('mart_item_trends') }} as t
    inner join {{ ref('fct_prices_hourly') }} as h
        on
            t.market_id = h.market_id
            and t.item_id = h.item_id
            and h.bucket_start > t.as_of - interval '24 hours'
            and t.as_of >= h.bucket_start
    group by t.market_id, t.item_id
)

select
    t.market_id,
    m.market_name,
    m.source,
    m.currency,
    t.item_id,
    i.item_name,
    i.category,
    t.price,
    t.ma_7d,
    t.ma_30d,
    t.change_1d_pct,
    t.change_7d_pct,
    t.change_30d_pct,
    t.volatility_30d,
    t.zscore_30d,
    t.trend_state,
    t.market_value,
    b.discount_pct as buy_discount_pct,
    b.expected_profit as buy_expected_profit,
    round(100 * b.expected_profit / nullif(t.price, 0), 4) as buy_margin_pct,
    s.premium_pct as sell_premium_pct,
    s.expected_profit as sell_expected_profit,
    coalesce(b.confidence, s.confidence) as confidence,
    v.volume_24h,
    t.days_observed_30d,
    t.as_of,
    round((extract(epoch from ({{ tick_now() }} - t.as_of)) / 3600.0)::numeric, 2)
        as hours_since_observed
from {{ ref('mart_item_trends') }} as t
inner join {{ ref('dim_markets') }} as m on t.market_id = m.market_id
left join {{ ref('dim_items') }} as i on t.item_id = i.item_id
left join {{ ref('mart_buy_opportunities') }} as b
    on t.market_id = b.market_id and t.item_id = b.item_id
left join {{ ref('mart_sell_opportunities') }} as s
    on t.market_id = s.market_id and t.item_id = s.item_id
left join volumes as v
    on t.market_id = v.market_id and t.item_id = v.item_id
