{#- Every version of this provider's tracked-assets lines that was loaded, an empty one
    included: tracked_assets has rows only for the assets a version names, yet a version
    that names none is the one the fetch follows. -#}
select
    captured_at as config_version_at,
    rows_loaded as assets,
    rows_rejected as assets_rejected,
    path as landing_file,
    _dlt_load_id::numeric as load_id
from {{ source('binance', 'landing_files') }}
where endpoint = 'tracked_assets'
