select
    delivery_id,
    event_id,
    channel,
    status,
    attempts,
    http_status,
    created_at,
    updated_at,
    sent_at
from {{ source('alerts', 'alert_deliveries') }}
