select
    tick_id,
    source,
    trigger,
    run_id,
    started_at,
    finished_at,
    status,
    error,
    requests,
    retries,
    http_errors,
    coalesce((
        select sum(e.value::int) from jsonb_each_text(http_errors) as e
    ), 0) as http_errors_total,
    coalesce((
        select sum(e.value::int) from jsonb_each_text(http_errors) as e
        where e.key::int >= 500
    ), 0) as http_errors_5xx,
    coalesce((http_errors ->> '429')::int, 0) as http_errors_429,
    rate_limit_wait_seconds,
    files_fetched,
    files_loaded,
    rows_loaded,
    rows_rejected,
    rows_by_table,
    fetch_seconds,
    load_seconds,
    checks_seconds,
    transform_seconds
from {{ source('ops', 'pipeline_metrics') }}
