{#- Exchange candles in the unified observation shape (DESIGN §4): price is the close and
    the candle keeps its true open, high and low. Binance minutes (1m) feed the hourly
    tier; daily klines and Yahoo's daily bars (1d) are the daily tier's own candles.
    Yahoo's empty (null) bars are left out. -#}
select
    'binance:' || k.provider_symbol as item_id,
    'binance-spot' as market_id,
    'binance' as source,
    k.open_time as observed_at,
    k.kline_interval as resolution,
    true as is_rollup_input,
    k.close_price as price,
    k.open_price as price_open,
    k.high_price as price_high,
    k.low_price as price_low,
    k.volume,
    null::bigint as listings,
    null::bigint as quantity_listed,
    k.load_id
from {{ ref('stg_binance__klines') }} as k

union all

select
    'yahoo_finance:' || b.provider_symbol as item_id,
    'yahoo-us' as market_id,
    'yahoo_finance' as source,
    b.bar_at as observed_at,
    '1d' as resolution,
    true as is_rollup_input,
    b.close_price as price,
    b.open_price as price_open,
    b.high_price as price_high,
    b.low_price as price_low,
    b.volume,
    null::bigint as listings,
    null::bigint as quantity_listed,
    b.load_id
from {{ ref('stg_yahoo_finance__daily_bars') }} as b
where b.close_price is not null
