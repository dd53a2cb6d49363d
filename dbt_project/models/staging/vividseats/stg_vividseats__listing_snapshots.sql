{#- Every listings file loaded is a snapshot, including one with no tickets (the
    listings table has no row for it); its production id is the file name's key. -#}
with files as (
    select
        split_part(split_part(path, '__', 2), '.', 1) as file_key,
        captured_at,
        rows_loaded,
        rows_rejected,
        path,
        _dlt_load_id
    from {{ source('vividseats', 'landing_files') }}
    where endpoint = 'listings'
)

select
    file_key::bigint as production_id,
    captured_at,
    rows_loaded as listings_loaded,
    rows_rejected as listings_rejected,
    path as landing_file,
    _dlt_load_id::numeric as load_id
from files
where file_key ~ '^[0-9]+$'
