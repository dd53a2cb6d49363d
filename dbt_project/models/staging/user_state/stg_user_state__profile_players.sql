select
    profile_id,
    player as player_name,
    source_file,
    source_line
from {{ source('user_state', 'profile_players') }}
