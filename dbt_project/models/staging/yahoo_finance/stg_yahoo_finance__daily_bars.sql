select
    symbol as provider_symbol,
    bar_at,
    currency,
    open::numeric as open_price,
    high::numeric as high_price,
    low::numeric as low_price,
    close::numeric as close_price,
    adj_close::numeric as adj_close_price,
    volume::numeric as volume,
    dividend::numeric as dividend,
    split_numerator::numeric as split_numerator,
    split_denominator::numeric as split_denominator,
    landing_file,
    captured_at,
    _dlt_load_id::numeric as load_id
from {{ source('yahoo_finance', 'daily_bars') }}
