{#- Per source × UTC hour: the ticks that ran in it (ok / failed / crashed / still
    running), their HTTP counters and rows, a health word — ok (no failed or crashed
    tick), degraded (some), down (none ok), running (only ticks still running) — and a
    freshness word: fresh when a tick of the hour loaded new rows, stale when its ticks
    brought none (a load of 0 rows is no news); last_new_rows_at says since when. A view, read when queried: health is as
    of the current tick, not of the last build.
    For OSRS prices it also counts the 5-minute buckets whose data is in raw for that
    hour (12 = complete), so an outage shows as failed ticks and then, once the backfill
    after it has run, as a complete hour again. -#}
{{ config(materialized='view') }}

with ticks as (
    select
        source,
        date_trunc('hour', started_at) as hour_start,
        count(*) as ticks,
        count(*) filter (where status = 'ok') as ok_ticks,
        count(*) filter (where status = 'failed') as failed_ticks,
        count(*) filter (where status = 'crashed') as crashed_ticks,
        count(*) filter (where status = 'running') as running_ticks,
        sum(requests) as requests,
        sum(retries) as retries,
        sum(http_errors_total) as http_errors,
        sum(http_errors_5xx) as http_errors_5xx,
        sum(http_errors_429) as http_errors_429,
        sum(rate_limit_wait_seconds) as rate_limit_wait_seconds,
        sum(rows_loaded) as rows_loaded,
        sum(rows_rejected) as rows_rejected,
        max(started_at) filter (where status = 'ok') as last_ok_at,
        max(started_at) filter (where status = 'failed') as last_failed_at,
        max(started_at) filter (where status = 'crashed') as last_crashed_at,
        max(started_at) filter (where rows_loaded > 0) as new_rows_at
    from {{ ref('stg_ops__pipeline_metrics') }}
    group by source, date_trunc('hour', started_at)
),

osrs_buckets as (
    select
        'osrs_prices' as source,
        date_trunc('hour', bucket_at) as hour_start,
        count(distinct bucket_at) as data_buckets
    from {{ ref('stg_osrs_prices__prices_5m') }}
    where
        bucket_at >= (
            select min(t.hour_start) from ticks as t
            where t.source = 'osrs_prices'
        )
    group by date_trunc('hour', bucket_at)
)

select
    coalesce(t.source, b.source) as source,
    coalesce(t.hour_start, b.hour_start) as hour_start,
    coalesce(t.ticks, 0) as ticks,
    coalesce(t.ok_ticks, 0) as ok_ticks,
    coalesce(t.failed_ticks, 0) as failed_ticks,
    coalesce(t.crashed_ticks, 0) as crashed_ticks,
    coalesce(t.running_ticks, 0) as running_ticks,
    case
        when coalesce(t.ticks, 0) = 0 then 'no ticks'
        when t.ok_ticks = 0 and t.failed_ticks + t.crashed_ticks > 0 then 'down'
        when t.failed_ticks + t.crashed_ticks > 0 then 'degraded'
        when t.ok_ticks = 0 then 'running'
        else 'ok'
    end as health,
    case
        when coalesce(t.ticks, 0) = 0 then null
        when t.new_rows_at is not null then 'fresh'
        else 'stale'
    end as freshness,
    t.requests,
    t.retries,
    t.http_errors,
    t.http_errors_5xx,
    t.http_errors_429,
    t.rate_limit_wait_seconds,
    t.rows_loaded,
    t.rows_rejected,
    b.data_buckets,
    case when b.source is not null then b.data_buckets = 12 end as data_complete,
    t.last_ok_at,
    t.last_failed_at,
    t.last_crashed_at,
    -- the newest tick that loaded new rows, in this hour or any before it
    max(t.new_rows_at) over (
        partition by coalesce(t.source, b.source)
        order by coalesce(t.hour_start, b.hour_start)
    ) as last_new_rows_at,
    (
        select count(*) from {{ ref('stg_ops__fetch_gaps') }} as g
        where
            g.closed_at is null
            and g.source = coalesce(t.source, b.source)
            and g.gap_from < coalesce(t.hour_start, b.hour_start) + interval '1 hour'
            and g.gap_to > coalesce(t.hour_start, b.hour_start)
    ) as open_gaps
from ticks as t
full outer join osrs_buckets as b
    on
        t.source = b.source
        and t.hour_start = b.hour_start
