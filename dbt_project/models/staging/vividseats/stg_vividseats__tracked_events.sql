select
    production_id,
    performer,
    venue,
    note,
    resolved_from,
    captured_at as config_version_at
from {{ source('vividseats', 'tracked_events') }}
