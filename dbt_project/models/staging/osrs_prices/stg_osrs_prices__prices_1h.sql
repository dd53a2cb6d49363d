select
    item_id::text as source_item_id,
    bucket_at,
    3600 as bucket_seconds,
    avg_high_price,
    high_price_volume,
    avg_low_price,
    low_price_volume,
    _dlt_load_id::numeric as load_id
from {{ source('osrs_prices', 'prices_1h') }}
