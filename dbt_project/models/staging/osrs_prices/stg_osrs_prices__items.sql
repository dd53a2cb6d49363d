select
    item_id::text as source_item_id,
    item_name,
    examine,
    members as is_members,
    low_alch,
    high_alch,
    store_value,
    buy_limit,
    icon,
    captured_at as catalogued_at
from {{ source('osrs_prices', 'items') }}
