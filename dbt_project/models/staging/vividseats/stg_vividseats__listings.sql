select
    production_id::bigint as production_id,
    listing_id,
    section,
    seat_row,
    quantity,
    (price_cents / 100.0)::numeric(12, 2) as price,
    (all_in_price_cents / 100.0)::numeric(12, 2) as all_in_price,
    notes,
    captured_at,
    _dlt_load_id::numeric as load_id
from {{ source('vividseats', 'listings') }}
