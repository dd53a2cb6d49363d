{#- Gains per player × period × metric, as Wise Old Man reports them (DESIGN §4): the
    window ends at the player's latest snapshot; it starts from the state the player was
    in when the period began, counted back from `as_of` (the newest fetch tick). -#}
with snapshots as (
    select * from {{ ref('int_players__snapshots') }}
),

as_of as (
    select max(last_fetched_at) as as_of from {{ ref('int_players__latest_fetches') }}
),

ends as (
    select
        p.player_id,
        e.captured_at as end_snapshot_at
    from {{ ref('int_players__latest_fetches') }} as p
    cross join lateral (
        select s.captured_at from snapshots as s
        where s.player_id = p.player_id
        order by s.captured_at desc
        limit 1
    ) as e
),

-- materialized: the start lookups run once per window, not once per metric row
windows as materialized (
    select
        e.player_id,
        periods.period,
        a.as_of,
        a.as_of - periods.period_length as period_start,
        e.end_snapshot_at,
        {{ window_start_snapshot(ref('int_players__snapshots'), 'e.player_id', 'a.as_of - periods.period_length') }} as start_snapshot_at
    from ends as e
    cross join as_of as a
    cross join {{ hiscore_periods() }}
),

gains as (
    {{ hiscore_window_gains('windows', ref('fct_hiscore_snapshots')) }}
)

select
    g.player_id,
    p.username,
    g.period,
    g.metric_kind,
    g.metric,
    g.start_value,
    g.end_value,
    {{ hiscore_gain_columns('g') }},
    g.start_rank,
    g.end_rank,
    g.start_level,
    g.end_level,
    g.start_snapshot_at as started_at,
    g.end_snapshot_at as ended_at,
    w.period_start,
    w.as_of
from gains as g
inner join windows as w on g.player_id = w.player_id and g.period = w.period
inner join {{ ref('int_players__latest_fetches') }} as p on g.player_id = p.player_id
