select
    server,
    captured_at,
    client,
    ankama_id::text as source_item_id,
    item_name,
    category,
    level as item_level,
    price_x1,
    price_x10,
    price_x100,
    _dlt_load_id::numeric as load_id
from {{ source('dofus_market', 'observations') }}
