select
    profile_id,
    market_id,
    item,
    quantity,
    source_file,
    source_line
from {{ source('user_state', 'bank_items') }}
