{#- When in the week an item is cheap or dear: one row per market × item × (UTC day of
    week, hour), over the hourly candles of the last `seasonality_days` days (28: four
    of each weekday) ending at the market's newest hourly bucket.

    slot_price    mean of the hourly avg_price of the candles in that (dow, hour) slot.
    average_price mean of the item's slot prices, each slot weighing the same, so a
                  slot observed more often does not pull the average its way.
    price_index   slot_price / average_price: 1.0 = average, 0.95 = 5 % cheaper than
                  usual at that hour. Averaged over an item's slots it is 1.0. -#}
with bounds as (
    -- each market's own newest hour, so a market that stopped or started late keeps
    -- its slots whatever the other markets say
    select
        h.market_id,
        max(h.bucket_start) as last_bucket
    from {{ ref('fct_prices_hourly') }} as h
    group by h.market_id
),

hours as (
    select
        h.market_id,
        h.item_id,
        extract(isodow from h.bucket_start at time zone 'UTC')::int as dow,
        extract(hour from h.bucket_start at time zone 'UTC')::int as hour_of_day,
        h.avg_price
    from {{ ref('fct_prices_hourly') }} as h
    inner join bounds as b on h.market_id = b.market_id
    where
        h.bucket_start > b.last_bucket - interval '{{ var("seasonality_days") }} days'
        and h.avg_price > 0
),

slots as (
    select
        market_id,
        item_id,
        dow,
        hour_of_day,
        avg(avg_price) as slot_price,
        count(*) as hours_observed
    from hours
    group by market_id, item_id, dow, hour_of_day
),

items as (
    select
        market_id,
        item_id,
        avg(slot_price) as average_price,
        count(*) as slots_observed
    from slots
    group by market_id, item_id
)

select
    s.market_id,
    s.item_id,
    s.dow,
    (array['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'])[s.dow] as day_name,
    s.hour_of_day,
    round(s.slot_price / i.average_price, 4) as price_index,
    round(s.slot_price, 9) as slot_price,
    round(i.average_price, 9) as average_price,
    s.hours_observed,
    i.slots_observed
from slots as s
inner join items as i
    on
        s.market_id = i.market_id
        and s.item_id = i.item_id
