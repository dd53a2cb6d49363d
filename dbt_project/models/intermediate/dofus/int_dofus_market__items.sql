{#- Items as the newest capture names them: an item seen for the first time is created,
    a renamed one (same ankama id) takes its new name. -#}
select distinct on (o.source_item_id)
    'dofus_market:' || o.source_item_id as item_id,
    'dofus_market' as source,
    o.source_item_id,
    o.item_name,
    o.category,
    jsonb_build_object('level', o.item_level) as attributes
from {{ ref('stg_dofus_market__observations') }} as o
order by o.source_item_id asc, o.captured_at desc
