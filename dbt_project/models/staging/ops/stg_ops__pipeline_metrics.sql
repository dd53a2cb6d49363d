select
    m.tick_id,
    m.source,
    m.trigger,
    m.run_id,
    m.started_at,
    m.finished_at,
    m.status,
    m.error,
    m.host,
    m.pid,
    m.requests,
    m.retries,
    m.http_errors,
    coalesce(e.total, 0) as http_errors_total,
    coalesce(e.server, 0) as http_errors_5xx,
    coalesce((m.http_errors ->> '429')::int, 0) as http_errors_429,
    m.rate_limit_wait_seconds,
    m.files_fetched,
    m.files_loaded,
    m.rows_loaded,
    m.rows_rejected,
    m.rows_by_table,
    m.fetch_seconds,
    m.load_seconds,
    m.checks_seconds,
    m.transform_seconds
from {{ source('ops', 'pipeline_metrics') }} as m
left join lateral (
    select
        sum(x.value::int) as total,
        sum(x.value::int) filter (where x.key::int >= 500) as server
    from jsonb_each_text(m.http_errors) as x
) as e on true
