select
    connected_realm_id,
    auction_id,
    item_id::text as source_item_id,
    item_context,
    bonus_lists::jsonb as bonus_lists,
    modifiers::jsonb as modifiers,
    pet_species_id,
    pet_breed_id,
    pet_level,
    pet_quality_id,
    bid,
    buyout,
    quantity,
    time_left,
    captured_at as snapshot_at,
    _dlt_load_id::numeric as load_id
from {{ source('wow_auctions', 'realm_auctions') }}
