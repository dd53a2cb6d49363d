select
    username,
    account_type,
    captured_at as fetched_at,
    status as fetch_status,
    http_status,
    detail,
    snapshot_file,
    _dlt_load_id::numeric as load_id
from {{ source('osrs_hiscores', 'fetch_log') }}
