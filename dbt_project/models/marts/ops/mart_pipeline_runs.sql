{#- One row per source × tick: how it ended and what it cost, for the pipeline-health
    pages of a BI tool (and for whoever is paged). A view: it reads ops.pipeline_metrics
    when queried, so the tick running now is in it (running, with its host and pid) and
    a tick the next one found crashed says so, with no build in between.
    total_seconds sums the stages known. -#}
{{ config(materialized='view') }}

select
    tick_id,
    source,
    trigger,
    run_id,
    started_at,
    finished_at,
    status,
    error,
    host,
    pid,
    requests,
    retries,
    http_errors_total,
    http_errors_5xx,
    http_errors_429,
    http_errors::text as http_errors_by_status,
    rate_limit_wait_seconds,
    files_fetched,
    files_loaded,
    coalesce(rows_loaded, 0) + coalesce(rows_rejected, 0) as rows_fetched,
    rows_loaded,
    coalesce(rows_loaded, 0) > 0 as loaded_new_rows,
    rows_rejected,
    fetch_seconds,
    load_seconds,
    checks_seconds,
    transform_seconds,
    coalesce(fetch_seconds, 0) + coalesce(load_seconds, 0) + coalesce(checks_seconds, 0)
    + coalesce(transform_seconds, 0) as total_seconds
from {{ ref('stg_ops__pipeline_metrics') }}
