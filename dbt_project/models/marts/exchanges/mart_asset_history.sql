{{ config(materialized='view') }}

{#- Price history for a chart at any range (DESIGN §4), from the tier that fits it: hourly
    candles for 1d, daily to 1y, weekly for 3y and 5y, monthly for 10y and all. A view,
    so `where item_id = … and range_name = …` reaches one tier's index and nothing else;
    a range ends at the item's newest candle in that tier. -#}
with ranges (range_name, tier, span) as (
    values
    ('1d', 'hour', interval '1 day'),
    ('7d', 'day', interval '7 days'),
    ('1m', 'day', interval '1 month'),
    ('3m', 'day', interval '3 months'),
    ('6m', 'day', interval '6 months'),
    ('1y', 'day', interval '1 year'),
    ('3y', 'week', interval '3 years'),
    ('5y', 'week', interval '5 years'),
    ('10y', 'month', interval '10 years'),
    ('all', 'month', null)
)

select
    r.range_name,
    r.tier,
    h.market_id,
    h.item_id,
    h.bucket_start,
    h.open,
    h.high,
    h.low,
    h.close,
    h.volume
from ranges as r
inner join {{ ref('fct_prices_hourly') }} as h on r.tier = 'hour'
where
    r.span is null
    or h.bucket_start > (
        select max(x.bucket_start) from {{ ref('fct_prices_hourly') }} as x
        where x.market_id = h.market_id and x.item_id = h.item_id
    ) - r.span

union all

select
    r.range_name,
    r.tier,
    d.market_id,
    d.item_id,
    d.bucket_start,
    d.open,
    d.high,
    d.low,
    d.close,
    d.volume
from ranges as r
inner join {{ ref('fct_prices_daily') }} as d on r.tier = 'day'
where
    r.span is null
    or d.bucket_start > (
        select max(x.bucket_start) from {{ ref('fct_prices_daily') }} as x
        where x.market_id = d.market_id and x.item_id = d.item_id
    ) - r.span

union all

select
    r.range_name,
    r.tier,
    w.market_id,
    w.item_id,
    w.bucket_start,
    w.open,
    w.high,
    w.low,
    w.close,
    w.volume
from ranges as r
inner join {{ ref('fct_prices_weekly') }} as w on r.tier = 'week'
where
    r.span is null
    or w.bucket_start > (
        select max(x.bucket_start) from {{ ref('fct_prices_weekly') }} as x
        where x.market_id = w.market_id and x.item_id = w.item_id
    ) - r.span

union all

select
    r.range_name,
    r.tier,
    m.market_id,
    m.item_id,
    m.bucket_start,
    m.open,
    m.high,
    m.low,
    m.close,
    m.volume
from ranges as r
inner join {{ ref('fct_prices_monthly') }} as m on r.tier = 'month'
where
    r.span is null
    or m.bucket_start > (
        select max(x.bucket_start) from {{ ref('fct_prices_monthly') }} as x
        where x.market_id = m.market_id and x.item_id = m.item_id
    ) - r.span
