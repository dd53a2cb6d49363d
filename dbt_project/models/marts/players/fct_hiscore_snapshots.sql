{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['player_id', 'captured_at', 'metric_kind', 'metric'],
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['player_id', 'captured_at']},
            {'columns': ['load_id']},
        ],
    )
}}

{#- One row per player × changed snapshot × metric (docs/formulas.md#players). Overall's
    `level` is the total level recomputed from the skills (an unranked skill counts as 1,
    Hitpoints as 10), since the hiscores' own Overall leaves unranked skills out.
    `value_change` is against the same metric in the player's previous snapshot, when ranked
    in both: a negative one is a rollback or a name transfer, flagged by a data test, never
    turned into a negative gain. -#}
with snapshots as (
    select s.*
    from {{ ref('int_players__snapshots') }} as s
    {% if is_incremental() %}
        where s.load_id > {{ load_cursor() }}
    {% endif %}
),

metrics as (
    select
        s.player_id,
        s.username,
        s.captured_at,
        s.previous_captured_at,
        s.is_first_snapshot,
        s.load_id,
        m.metric_kind,
        m.metric,
        m.metric_position,
        m.rank,
        m.level as hiscores_level,
        m.value,
        case
            when m.metric_kind = 'skill' and m.metric = 'Overall' then s.total_level
            when m.metric_kind = 'skill' then {{ skill_level('m.level', 'm.metric') }}
        end as level
    from snapshots as s
    inner join {{ ref('stg_osrs_hiscores__hiscore_metrics') }} as m
        on s.username = m.username and s.captured_at = m.captured_at
),

previous_metrics as (
    -- the metrics of each new snapshot's predecessor, stored earlier or in this batch
    {% if is_incremental() %}
        select
            t.player_id,
            t.captured_at,
            t.metric_kind,
            t.metric,
            t.value,
            t.level
        from {{ this }} as t
        where (t.player_id, t.captured_at) in (
            select
                s.player_id,
                s.previous_captured_at
            from snapshots as s
        )
        union all
    {% endif %}
    select
        player_id,
        captured_at,
        metric_kind,
        metric,
        value,
        level
    from metrics
)

select
    m.player_id,
    m.username,
    m.captured_at,
    m.previous_captured_at,
    m.is_first_snapshot,
    m.metric_kind,
    m.metric,
    m.metric_position,
    m.rank,
    m.level,
    m.hiscores_level,
    m.value,
    p.value as previous_value,
    p.level as previous_level,
    case when m.value >= 0 and p.value >= 0 then m.value - p.value end as value_change,
    m.load_id
from metrics as m
left join previous_metrics as p
    on
        m.player_id = p.player_id
        and m.previous_captured_at = p.captured_at
        and m.metric_kind = p.metric_kind
        and m.metric = p.metric
