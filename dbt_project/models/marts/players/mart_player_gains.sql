{#- Gains per player × period × metric, as Wise Old Man reports them
    (docs/formulas.md#players): the window ends at the player's latest snapshot and starts
    at their first state seen inside the period, counted back from `as_of` (the newest fetch
    tick, or the newest archived answer where there is no fetch log). Every player with
    snapshots has rows, tracked now or not (dim_players). -#}
with snapshots as (
    select * from {{ ref('int_players__snapshots') }}
),

players as (
    select
        player_id,
        username
    from {{ ref('dim_players') }}
),

as_of as (
    select max(last_fetched_at) as as_of from {{ ref('dim_players') }}
),

ends as (
    select
        p.player_id,
        e.captured_at as end_snapshot_at
    from players as p
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
        -- nothing seen inside the period: the window is the end alone (no gain)
        coalesce(
            {{ hiscore_window_start(
                ref('int_players__snapshots'),
                ref('int_players__sightings'),
                'e.player_id',
                'a.as_of - periods.period_length'
            ) }},
            e.end_snapshot_at
        ) as start_snapshot_at
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
    {{ hiscore_progress_columns('g') }},
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
inner join players as p on g.player_id = p.player_id
