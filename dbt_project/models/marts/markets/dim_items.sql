select
    item_id,
    source,
    source_item_id,
    item_name,
    category,
    attributes
from {{ ref('int_markets__items') }}
