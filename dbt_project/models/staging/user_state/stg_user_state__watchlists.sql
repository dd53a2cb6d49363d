select
    profile_id,
    watchlist as watchlist_name,
    market_id,
    item,
    source_file,
    source_line
from {{ source('user_state', 'watchlists') }}
