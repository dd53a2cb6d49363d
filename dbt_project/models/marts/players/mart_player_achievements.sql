{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['player_id', 'achievement_id', 'metric'],
        on_schema_change='append_new_columns',
    )
}}

{#- A player's achievements (thresholds from the achievement_thresholds seed), dated at
    the first snapshot that meets them. When that is the player's first snapshot, the
    player got there before tracking began: `achieved_at` is null rather than made up
    (`first_seen_at` still says when it was first seen). So it is when a metric that
    reached the hiscores late (hiscore_late_metrics) meets it right after being unranked
    or absent: its first value there was reached before the hiscores tracked it (Wise
    Old Man's achievements job gives those an unknown date). An achievement, once stored,
    stays (a rollback below it later does not take it away); a tick reads only snapshots
    newer than the newest stored achievement, and stored ones are not proposed again. -#}
with thresholds as (
    select * from {{ ref('achievement_thresholds') }}
),

snapshots as (
    select * from {{ ref('int_players__snapshots') }}
    {% if is_incremental() %}
        where load_id > {{ load_cursor() }}
    {% endif %}
),

metric_met as (
    select
        f.player_id,
        f.username,
        a.achievement_id,
        a.measure,
        f.metric,
        a.threshold,
        replace(a.name_template, '{metric}', f.metric) as achievement_name,
        case when a.measure = 'skill_level' then f.level else f.value end as measured_value,
        f.captured_at,
        f.is_first_snapshot
        or (f.metric in {{ hiscore_late_metrics() }} and coalesce(f.previous_value, -1) < 0)
            as is_date_unknown,
        f.load_id
    from {{ ref('fct_hiscore_snapshots') }} as f
    inner join thresholds as a
        on
            (a.metric = '*' or f.metric = a.metric)
            and (
                (
                    a.measure in ('skill_level', 'skill_xp')
                    and f.metric_kind = 'skill'
                    and f.metric <> 'Overall'
                )
                or (a.measure = 'activity_score' and f.metric_kind = 'activity')
            )
    where
        f.load_id >= (select coalesce(min(s.load_id), 0) from snapshots as s)
        and (f.player_id, f.captured_at) in (select
            s.player_id,
            s.captured_at
        from snapshots as s)
        and case when a.measure = 'skill_level' then f.level else f.value end >= a.threshold
),

snapshot_met as (
    select
        s.player_id,
        s.username,
        a.achievement_id,
        a.measure,
        'Overall' as metric,
        a.threshold,
        replace(a.name_template, '{metric}', 'Overall') as achievement_name,
        case a.measure
            when 'base_level' then s.base_level
            when 'total_level' then s.total_level
            else s.overall_xp
        end as measured_value,
        s.captured_at,
        s.is_first_snapshot as is_date_unknown,
        s.load_id
    from snapshots as s
    inner join thresholds as a on a.measure in ('base_level', 'total_level', 'overall_xp')
    where
        case a.measure
            when 'base_level' then s.base_level
            when 'total_level' then s.total_level
            else s.overall_xp
        end >= a.threshold
),

firsts as (
    select distinct on (player_id, achievement_id, metric) *
    from (
        select * from metric_met
        union all
        select * from snapshot_met
    ) as met
    order by player_id, achievement_id, metric, captured_at
)

select
    f.player_id,
    f.username,
    f.achievement_id,
    f.achievement_name,
    f.measure,
    f.metric,
    f.threshold,
    f.measured_value,
    case when not f.is_date_unknown then f.captured_at end as achieved_at,
    f.captured_at as first_seen_at,
    not f.is_date_unknown as is_date_known,
    f.load_id
from firsts as f
{% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as t
        where
            t.player_id = f.player_id
            and t.achievement_id = f.achievement_id
            and t.metric = f.metric
    )
{% endif %}
