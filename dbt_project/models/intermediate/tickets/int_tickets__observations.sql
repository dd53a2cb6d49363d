{#- Event sections in the unified observation shape (docs/formulas.md#unified-observations):
    price is the get-in (cheapest all-in) price of the snapshot, price_high the dearest,
    with the section's listing and ticket counts. Resale listings carry no traded volume. -#}
select
    'vividseats:' || s.production_id || ':' || s.section as item_id,
    'vividseats' as market_id,
    'vividseats' as source,
    s.captured_at as observed_at,
    'snapshot' as resolution,
    true as is_rollup_input,
    s.get_in_price as price,
    null::numeric as price_open,
    s.max_price as price_high,
    s.get_in_price as price_low,
    null::numeric as volume,
    s.listings,
    s.tickets as quantity_listed,
    s.load_id
from {{ ref('int_tickets__section_snapshots') }} as s
