select
    'osrs_prices:' || i.source_item_id as item_id,
    'osrs_prices' as source,
    i.source_item_id,
    i.item_name,
    case when i.is_members then 'members' else 'free-to-play' end as category,
    jsonb_build_object(
        'members', i.is_members,
        'buy_limit', i.buy_limit,
        'high_alch', i.high_alch,
        'low_alch', i.low_alch,
        'store_value', i.store_value,
        'examine', i.examine,
        'icon', i.icon
    ) as attributes
from {{ ref('stg_osrs_prices__items') }} as i
