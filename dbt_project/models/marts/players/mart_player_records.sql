{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['player_id', 'period', 'metric_kind', 'metric'],
        on_schema_change='append_new_columns',
    )
}}

{#- Each player's best gain per period × metric ever seen: the best of the gains a
    tracker would have shown at each of their snapshots (a window ending there and
    starting at the first state seen inside the period, as mart_player_gains). A metric
    that reached the hiscores late makes no record from its unranked start (its first
    value is a history, not a day's progress: Wise Old Man's records job skips it). A
    tick only measures windows ending at new snapshots and keeps whichever is better,
    the stored record or the new one; zero gains are no record. -#}
with snapshots as (
    select * from {{ ref('int_players__snapshots') }}
),

ends as (
    select
        player_id,
        captured_at as end_snapshot_at,
        load_id
    from snapshots
    {% if is_incremental() %}
        where load_id > {{ load_cursor() }}
    {% endif %}
),

-- materialized: the start lookups run once per window, not once per metric row
windows as materialized (
    select
        e.player_id,
        periods.period,
        e.end_snapshot_at,
        {{ hiscore_window_start(
            ref('int_players__snapshots'),
            ref('int_players__sightings'),
            'e.player_id',
            'e.end_snapshot_at - periods.period_length'
        ) }}
            as start_snapshot_at
    from ends as e
    cross join {{ hiscore_periods() }}
),

gains as (
    {{ hiscore_window_gains('windows', ref('fct_hiscore_snapshots')) }}
),

candidates as (
    select
        g.player_id,
        g.period,
        g.metric_kind,
        g.metric,
        g.start_snapshot_at as started_at,
        g.end_snapshot_at as ended_at,
        {{ hiscore_progress_columns('g') }}
    from gains as g
    where not (g.metric in {{ hiscore_late_metrics() }} and g.start_value < 0)
),

best as (
    select
        player_id,
        period,
        metric_kind,
        metric,
        gained,
        started_at,
        ended_at
    from candidates
    where gained > 0
    {% if is_incremental() %}
        union all
        select
            t.player_id,
            t.period,
            t.metric_kind,
            t.metric,
            t.gained,
            t.started_at,
            t.ended_at
        from {{ this }} as t
        where t.player_id in (select e.player_id from ends as e)
    {% endif %}
),

names as (
    select distinct on (s.player_id)
        s.player_id,
        s.username
    from snapshots as s
    where s.player_id in (select e.player_id from ends as e)
    order by s.player_id asc, s.captured_at desc
)

select distinct on (b.player_id, b.period, b.metric_kind, b.metric)
    b.player_id,
    p.username,
    b.period,
    b.metric_kind,
    b.metric,
    b.gained,
    b.started_at,
    b.ended_at,
    (select max(e.load_id) from ends as e) as load_id
from best as b
left join names as p on b.player_id = p.player_id
order by
    b.player_id asc, b.period asc, b.metric_kind asc, b.metric asc, b.gained desc, b.ended_at asc
