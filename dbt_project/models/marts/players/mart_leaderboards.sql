{#- Per group × period × metric: the group's players ranked by what they gained (ties
    share a position), with where they ended up. A player in several groups is on each
    group's board; players no longer in the config are not on any. -#}
select
    grp.group_name,
    g.period,
    g.metric_kind,
    g.metric,
    rank() over (
        partition by grp.group_name, g.period, g.metric_kind, g.metric
        order by g.gained desc
    ) as position,
    g.player_id,
    g.username,
    g.gained,
    g.start_value,
    g.end_value,
    g.rank_change,
    g.level_change,
    g.started_at,
    g.ended_at
from {{ ref('mart_player_gains') }} as g
inner join {{ ref('dim_players') }} as p on g.player_id = p.player_id
cross join lateral unnest(p.group_names) as grp (group_name)
where p.is_tracked
