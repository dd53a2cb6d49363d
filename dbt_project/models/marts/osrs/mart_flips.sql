{#- GE flips (docs/formulas.md#flips): buy at the latest insta-sell price ("low"), sell at
    the latest insta-buy price ("high"), pay the GE tax in force on the snapshot's day.
    margin = sell − tax − buy; roi_pct = 100 × margin / buy; max_profit = margin × buy
    limit; volumes over the 12 / 288 newest 5-minute buckets; hours_since_trade counts from
    the later of the two last trades to the snapshot. -#}
with snapshot as (
    select max(lp.captured_at) as as_of
    from {{ ref('stg_osrs_prices__latest_prices') }} as lp
),

quotes as (
    select distinct on (lp.source_item_id)
        lp.source_item_id,
        lp.insta_sell_price as buy_price,
        lp.insta_buy_price as sell_price,
        greatest(lp.insta_buy_at, lp.insta_sell_at) as last_trade_at,
        lp.captured_at
    from {{ ref('stg_osrs_prices__latest_prices') }} as lp
    where lp.captured_at >= (select s.as_of from snapshot as s) - interval '1 day'
    order by lp.source_item_id asc, lp.captured_at desc
),

newest_bucket as (
    select max(b.bucket_at) as bucket_at
    from {{ ref('stg_osrs_prices__prices_5m') }} as b
),

volumes as (
    select
        b.source_item_id,
        sum(b.high_price_volume + b.low_price_volume) filter (
            where b.bucket_at > (select n.bucket_at from newest_bucket as n) - interval '1 hour'
        ) as volume_1h,
        sum(b.high_price_volume + b.low_price_volume) as volume_24h
    from {{ ref('stg_osrs_prices__prices_5m') }} as b
    where b.bucket_at > (select n.bucket_at from newest_bucket as n) - interval '24 hours'
    group by b.source_item_id
),

priced as (
    select
        q.source_item_id,
        i.item_name,
        q.buy_price,
        q.sell_price,
        {{ sale_fee(
            'q.sell_price', 'r.rate', 'r.cap', 'r.exempt_below', 'x.source_item_id is not null'
        ) }} as tax,
        i.buy_limit,
        coalesce(v.volume_1h, 0) as volume_1h,
        coalesce(v.volume_24h, 0) as volume_24h,
        q.last_trade_at,
        s.as_of
    from quotes as q
    cross join snapshot as s
    left join {{ ref('stg_osrs_prices__items') }} as i
        on q.source_item_id = i.source_item_id
    left join volumes as v
        on q.source_item_id = v.source_item_id
    {{ fee_rule_joins("'osrs_prices'", 'q.source_item_id', "(s.as_of at time zone 'UTC')::date") }}
)

select
    'osrs_prices:' || source_item_id as item_id,
    source_item_id,
    item_name,
    buy_price,
    sell_price,
    tax,
    sell_price - tax - buy_price as margin,
    {{ pct_change('sell_price - tax', 'buy_price') }} as roi_pct,
    buy_limit,
    volume_1h,
    volume_24h,
    (sell_price - tax - buy_price) * buy_limit as max_profit,
    round((extract(epoch from (as_of - last_trade_at)) / 3600.0)::numeric, 2) as hours_since_trade,
    as_of
from priced
where buy_price is not null and sell_price is not null
