select distinct
    'dofus-' || lower(replace(o.server, ' ', '-')) as market_id,
    'dofus_market' as source,
    o.server as market_name,
    'global' as region,
    'game' as market_kind,
    'kamas' as currency,
    null::text as supply_market_id
from {{ ref('stg_dofus_market__observations') }} as o
