{#- A player's stable id: hiscores names are case-insensitive and treat '-', '_' and
    spaces alike, so "Lynx_Titan" and "lynx titan" are one player (as Wise Old Man does). -#}
{% macro player_id(username) -%}
    'osrs:' || lower(regexp_replace(btrim({{ username }}), '[-_[:space:]]+', ' ', 'g'))
{%- endmacro %}

{#- A skill's level where the hiscores leave it out or unranked: 1, Hitpoints 10 (what an
    account starts with). Used for levels of skills and for the recomputed total level. -#}
{% macro skill_floor_level(metric) -%}
    case when {{ metric }} = 'Hitpoints' then 10 else 1 end
{%- endmacro %}

{#- A skill's level as the marts read it: the hiscores' level, raised to the floor above
    where the skill is unranked or left out. -#}
{% macro skill_level(level, metric) -%}
    greatest(coalesce({{ level }}, 1), {{ skill_floor_level(metric) }})
{%- endmacro %}

{#- The gain periods, as Wise Old Man measures them: back from the window's end. -#}
{% macro hiscore_periods() -%}
    (
        values
        ('day', interval '1 day'),
        ('week', interval '7 days'),
        ('month', interval '31 days'),
        ('year', interval '365 days')
    ) as periods (period, period_length)
{%- endmacro %}

{#- Per window (player_id, period, start_snapshot_at, end_snapshot_at) × metric in either
    snapshot: the gain of docs/formulas.md#players. A metric missing from a snapshot (new in
    the game, or left out of a truncated answer) reads as unranked (-1) there; gained =
    max(0, end − max(start, 0)), and an unranked end gains nothing, so a rollback never
    shows as a negative gain. Rank change is end − start (negative = climbed) when ranked at
    both. -#}
{% macro hiscore_window_gains(windows, metrics) -%}
    select
        w.player_id,
        w.period,
        w.start_snapshot_at,
        w.end_snapshot_at,
        m.metric_kind,
        m.metric,
        coalesce(max(case when m.captured_at = w.start_snapshot_at then m.value end), -1) as start_value,
        coalesce(max(case when m.captured_at = w.end_snapshot_at then m.value end), -1) as end_value,
        coalesce(max(case when m.captured_at = w.start_snapshot_at then m.rank end), -1) as start_rank,
        coalesce(max(case when m.captured_at = w.end_snapshot_at then m.rank end), -1) as end_rank,
        case
            when m.metric_kind = 'skill'
                then coalesce(
                    max(case when m.captured_at = w.start_snapshot_at then m.level end),
                    case when m.metric <> 'Overall' then {{ skill_floor_level('m.metric') }} end
                )
        end as start_level,
        case
            when m.metric_kind = 'skill'
                then coalesce(
                    max(case when m.captured_at = w.end_snapshot_at then m.level end),
                    case when m.metric <> 'Overall' then {{ skill_floor_level('m.metric') }} end
                )
        end as end_level
    from {{ windows }} as w
    inner join {{ metrics }} as m
        on
            w.player_id = m.player_id
            and m.captured_at in (w.start_snapshot_at, w.end_snapshot_at)
    group by w.player_id, w.period, w.start_snapshot_at, w.end_snapshot_at, m.metric_kind, m.metric
{%- endmacro %}
