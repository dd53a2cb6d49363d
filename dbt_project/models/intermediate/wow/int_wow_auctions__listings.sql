{#- Every buyout listing of both auction houses in one shape: market × item × snapshot,
    unit price in copper. Pet cages are told apart by species; bid-only auctions have no
    price a buyer can take, so they are left out. -#}
select
    'wow-' || c.region || '-commodities' as market_id,
    'wow_auctions:' || c.source_item_id as item_id,
    c.snapshot_at,
    c.auction_id,
    c.unit_price::numeric as unit_price,
    c.quantity,
    c.load_id
from {{ ref('stg_wow_auctions__commodity_auctions') }} as c

union all

select
    'wow-realm-' || r.connected_realm_id as market_id,
    'wow_auctions:' || r.source_item_id || coalesce(':' || r.pet_species_id, '') as item_id,
    r.snapshot_at,
    r.auction_id,
    r.buyout::numeric / r.quantity as unit_price,
    r.quantity,
    r.load_id
from {{ ref('stg_wow_auctions__realm_auctions') }} as r
where r.buyout is not null
