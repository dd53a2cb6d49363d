{#- Progression rules as Wise Old Man's own code and tests have them (wise-old-man/
    wise-old-man, server/src/api/modules/deltas/delta.utils.ts, the records and
    achievements jobs), where they differ from the first reading in players.sql. -#}

{#- Metrics the hiscores began to show long after the game had them, so a player's first
    value there is a whole history arriving at once, not progress (Wise Old Man's
    POST_RELEASE_HISCORE_ADDITIONS): no record is measured from their unranked start, and
    an achievement first met right after it has an unknown date. Names as the hiscores
    send them. -#}
{% macro hiscore_late_metrics() -%}
    ('Collections Logged', 'Spindel', 'Calvar''ion', 'Artio')
{%- endmacro %}

{#- The snapshot a window from `period_start` starts at: the player's first state seen
    inside the period, as Wise Old Man's deltas start at the first snapshot since the
    period's start. Only changed answers are stored here, so a snapshot's state was seen
    from its capture until its `last_seen_at` (int_players__sightings: later fetches that
    found it unchanged, repeated answers). The window starts at the snapshot in force at
    `period_start` when that state was still seen at or after it, else at the first
    snapshot after it; null when nothing was seen inside the period. Two index probes
    per window. -#}
{% macro hiscore_window_start(snapshots, sightings, player_id, period_start) -%}
    coalesce(
        (
            select case when greatest(s.captured_at, g.last_seen_at) >= {{ period_start }} then s.captured_at end
            from {{ snapshots }} as s
            left join {{ sightings }} as g
                on s.player_id = g.player_id and s.captured_at = g.captured_at
            where s.player_id = {{ player_id }} and s.captured_at <= {{ period_start }}
            order by s.captured_at desc
            limit 1
        ),
        (
            select min(s.captured_at) from {{ snapshots }} as s
            where s.player_id = {{ player_id }} and s.captured_at > {{ period_start }}
        )
    )
{%- endmacro %}

{#- gained / rank_change / level_change from the columns hiscore_window_gains returns.
    gained = max(0, end − max(start, 0)), 0 when the end is unranked; Overall from
    unranked (−1) gains 0: a total that dropped off the overall table and came back is not
    new xp (delta.utils.ts calculateValueDiff). Other metrics from −1 count from 0. -#}
{% macro hiscore_progress_columns(g) -%}
    case
        when {{ g }}.end_value < 0 then 0
        when {{ g }}.metric_kind = 'skill' and {{ g }}.metric = 'Overall' and {{ g }}.start_value < 0 then 0
        else greatest(0, {{ g }}.end_value - greatest({{ g }}.start_value, 0))
    end as gained,
    case when {{ g }}.start_rank > 0 and {{ g }}.end_rank > 0 then {{ g }}.end_rank - {{ g }}.start_rank end
        as rank_change,
    {{ g }}.end_level - {{ g }}.start_level as level_change
{%- endmacro %}
