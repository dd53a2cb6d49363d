{#- Every version of the resolved events config that was loaded, one that resolved to no
    event at all included: an archived empty list has no row in tracked_events, yet it
    is the version the fetch follows. -#}
select
    captured_at as config_version_at,
    rows_loaded as events,
    rows_rejected as events_rejected,
    path as landing_file,
    _dlt_load_id::numeric as load_id
from {{ source('vividseats', 'landing_files') }}
where endpoint = 'tracked_events'
