{#- Exchange candles in the unified observation shape
    (docs/formulas.md#unified-observations): price is the close and the candle keeps its
    true open, high and low. Binance minutes (1m) feed the hourly tier; daily klines and
    Yahoo's daily bars (1d) are the daily tier's own candles. Yahoo comes one row per
    session (int_exchanges__yahoo_sessions: a repeated session once, empty bars left out),
    on the scale of every split since: price ÷ ratio, volume × ratio with ratio =
    split_numerator_after / split_denominator_after, rounded to the raw columns' 9 places. -#}
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
    'yahoo_finance:' || s.provider_symbol as item_id,
    'yahoo-us' as market_id,
    'yahoo_finance' as source,
    s.observed_at,
    '1d' as resolution,
    true as is_rollup_input,
    round(s.close_price * s.split_denominator_after / s.split_numerator_after, 9) as price,
    round(s.open_price * s.split_denominator_after / s.split_numerator_after, 9) as price_open,
    round(s.high_price * s.split_denominator_after / s.split_numerator_after, 9) as price_high,
    round(s.low_price * s.split_denominator_after / s.split_numerator_after, 9) as price_low,
    round(s.volume * s.split_numerator_after / s.split_denominator_after, 9) as volume,
    null::bigint as listings,
    null::bigint as quantity_listed,
    s.load_id
from {{ ref('int_exchanges__yahoo_sessions') }} as s
