{#- OSRS items from the mapping; its category comes from the item_categories seed, as
    the mapping has none. -#}
select
    'osrs_prices:' || i.source_item_id as item_id,
    'osrs_prices' as source,
    i.source_item_id,
    i.item_name,
    coalesce(c.category, 'Uncategorised') as category,
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
left join {{ ref('item_categories') }} as c
    on c.source = 'osrs_prices' and i.source_item_id = c.source_item_id
