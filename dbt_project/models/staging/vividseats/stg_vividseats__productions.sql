select
    production_id,
    production_name,
    local_date::timestamp as event_local_at,
    local_date::timestamp::date as event_date,
    venue_name,
    venue_city,
    (min_price_cents / 100.0)::numeric(12, 2) as min_price,
    (max_price_cents / 100.0)::numeric(12, 2) as max_price,
    captured_at,
    _dlt_load_id::numeric as load_id
from {{ source('vividseats', 'productions') }}
