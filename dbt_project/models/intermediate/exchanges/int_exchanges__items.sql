{#- Tracked assets in the dim_items shape. -#}
select
    item_id,
    source,
    provider_symbol as source_item_id,
    asset_name as item_name,
    asset_type as category,
    jsonb_build_object(
        'symbol', symbol, 'currency', currency, 'is_tracked', is_tracked
    ) as attributes
from {{ ref('int_exchanges__assets') }}
