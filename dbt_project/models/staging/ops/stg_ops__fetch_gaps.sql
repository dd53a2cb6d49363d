select
    source,
    endpoint,
    gap_from,
    gap_to,
    reason,
    detected_at,
    updated_at,
    closed_at
from {{ source('ops', 'fetch_gaps') }}
