{#- One row per gap: data of a source's endpoint that nothing landed and the API no
    longer serves, so it is lost unless a backfill can still get it. Open gaps first,
    newest first: what a pipeline-health page lists under each source. A view, read
    when queried: gaps are as of the current tick, not of the last build. -#}
{{ config(materialized='view') }}

select
    source,
    endpoint,
    gap_from,
    gap_to,
    -- whole minutes: every endpoint's grid is (5m, 1h buckets; klines)
    extract(epoch from gap_to - gap_from)::bigint / 60 as minutes_missing,
    reason,
    detected_at,
    closed_at,
    closed_at is null as is_open
from {{ ref('stg_ops__fetch_gaps') }}
