{{ rollup_tier_config() }}

{#- A day's candle is the source's own daily candle where there is one (a closed Binance
    1d kline, a Yahoo bar), else the roll-up of that day's hourly candles (OSRS, WoW,
    Dofus, and today's Binance minutes). Each half recomputes only the days new rows
    touched; an hourly roll-up never overwrites a day that has its own candle. -#}
with from_days as (
    {{ rollup_from_observations('day', ref('fct_price_observations'), "= '1d'") }}
),

from_hours as (
    {{ rollup_from_buckets('day', ref('fct_prices_hourly')) }}
)

select * from from_days
union all
select h.*
from from_hours as h
where not exists (
    select 1
    from {{ ref('fct_price_observations') }} as o
    where
        o.market_id = h.market_id
        and o.item_id = h.item_id
        and o.resolution = '1d'
        and o.observed_at >= h.bucket_start
        and o.observed_at < h.bucket_start + interval '1 day'
)
