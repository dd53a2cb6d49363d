select
    profile_id,
    market_id,
    item,
    source_file,
    source_line
from {{ source('user_state', 'favorites') }}
