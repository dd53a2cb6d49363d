select
    symbol as provider_symbol,
    last_price::numeric as last_price,
    price_change_pct::numeric as change_24h_pct,
    close_time as updated_at,
    volume::numeric as volume_24h,
    captured_at,
    _dlt_load_id::numeric as load_id
from {{ source('binance', 'ticker_24hr') }}
