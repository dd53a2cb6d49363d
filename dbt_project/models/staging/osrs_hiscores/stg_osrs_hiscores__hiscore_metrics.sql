select
    username,
    captured_at,
    metric_kind,
    metric,
    position as metric_position,
    rank,
    level,
    value,
    landing_file,
    _dlt_load_id::numeric as load_id
from {{ source('osrs_hiscores', 'hiscore_metrics') }}
