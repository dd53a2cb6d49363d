select
    username,
    account_type,
    string_to_array(nullif(groups, ''), ';') as group_names,
    captured_at as config_version_at,
    _dlt_load_id::numeric as load_id
from {{ source('osrs_hiscores', 'tracked_players') }}
