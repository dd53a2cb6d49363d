select
    region,
    auction_id,
    item_id::text as source_item_id,
    quantity,
    unit_price,
    time_left,
    captured_at as snapshot_at,
    _dlt_load_id::numeric as load_id
from {{ source('wow_auctions', 'commodity_auctions') }}
