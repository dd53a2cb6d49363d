{#- Every exchange asset, tracked or only seen in the data, in the dim_items shape; a
    Yahoo symbol no config line describes has no category (stock or ETF is not in its
    bars). -#}
select
    item_id,
    source,
    provider_symbol as source_item_id,
    asset_name as item_name,
    asset_type as category,
    jsonb_build_object(
        'symbol', symbol,
        'currency', currency,
        'is_tracked', is_tracked,
        'first_observed_at', first_observed_at,
        'last_observed_at', last_observed_at
    ) as attributes
from {{ ref('int_exchanges__assets') }}
