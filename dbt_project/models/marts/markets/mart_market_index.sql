{#- A price index per market and day (docs/formulas.md#market-index). Each item's
    day-over-day change is 100 × (close − previous day's close) / previous day's close, for
    items with a close on both consecutive days; the day's change_pct is their mean weighted
    by the day's traded volume (equal weights where a source has no volume, e.g. listing
    snapshots); index_value starts at 100 on the market's first day and compounds: index_d =
    100 × Π (1 + change_pct / 100) over the days up to d. -#}
with daily as (
    select
        d.market_id,
        d.item_id,
        d.bucket_start::date as day,
        d.close,
        coalesce(nullif(d.volume, 0), 1) as weight,
        lag(d.close) over item_days as previous_close,
        lag(d.bucket_start::date) over item_days as previous_day
    from {{ ref('fct_prices_daily') }} as d
    window item_days as (partition by d.market_id, d.item_id order by d.bucket_start)
),

item_changes as (
    select
        market_id,
        day,
        weight,
        100.0 * (close - previous_close) / previous_close as change_pct
    from daily
    where previous_day = day - 1 and previous_close > 0
),

market_days as (
    select distinct
        market_id,
        day
    from daily
),

day_changes as (
    select
        m.market_id,
        m.day,
        sum(c.weight * c.change_pct) / nullif(sum(c.weight), 0) as change_pct,
        count(c.change_pct) as items
    from market_days as m
    left join item_changes as c
        on
            m.market_id = c.market_id
            and m.day = c.day
    group by m.market_id, m.day
)

select
    market_id,
    day,
    round(
        (100 * exp(sum(ln(1 + coalesce(change_pct, 0) / 100.0)) over market_history))::numeric, 4
    ) as index_value,
    round(change_pct::numeric, 4) as change_pct,
    items
from day_changes
window market_history as (partition by market_id order by day rows unbounded preceding)
