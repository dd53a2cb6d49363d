select
    production_id,
    captured_at as fetched_at,
    status as fetch_status,
    http_status,
    detail,
    listings_file,
    listings,
    _dlt_load_id::numeric as load_id
from {{ source('vividseats', 'fetch_log') }}
