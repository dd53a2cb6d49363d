{#- WoW snapshot values in the unified observation shape
    (docs/formulas.md#unified-observations): price is the snapshot's TSM-style value,
    price_low the cheapest unit buyout, with the book's listing and unit counts. Snapshots
    carry no traded volume. -#}
select
    v.item_id,
    v.market_id,
    'wow_auctions' as source,
    v.snapshot_at as observed_at,
    'snapshot' as resolution,
    true as is_rollup_input,
    v.snapshot_value as price,
    null::numeric as price_open,
    null::numeric as price_high,
    v.min_price as price_low,
    null::numeric as volume,
    v.listings,
    v.quantity_listed,
    v.load_id
from {{ ref('int_wow_auctions__snapshot_values') }} as v
