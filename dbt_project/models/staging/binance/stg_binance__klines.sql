select
    symbol as provider_symbol,
    kline_interval,
    open_time,
    close_time,
    open::numeric as open_price,
    high::numeric as high_price,
    low::numeric as low_price,
    close::numeric as close_price,
    volume::numeric as volume,
    quote_volume::numeric as quote_volume,
    trades,
    _dlt_load_id::numeric as load_id
from {{ source('binance', 'klines') }}
