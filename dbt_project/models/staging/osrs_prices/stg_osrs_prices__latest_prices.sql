select
    item_id::text as source_item_id,
    high as insta_buy_price,
    high_time as insta_buy_at,
    low as insta_sell_price,
    low_time as insta_sell_at,
    captured_at
from {{ source('osrs_prices', 'latest_prices') }}
