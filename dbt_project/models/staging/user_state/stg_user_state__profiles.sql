select
    profile_id,
    display_name,
    default_market as default_market_id,
    default_market_line,
    discord_webhook is not null as has_discord,
    email_to is not null as has_email,
    source_file,
    source_line,
    bundle_file
from {{ source('user_state', 'profiles') }}
