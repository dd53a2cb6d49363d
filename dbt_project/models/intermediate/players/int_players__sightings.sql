{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['player_id', 'captured_at'],
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['player_id', 'captured_at'], 'unique': True},
            {'columns': ['load_id']},
        ],
    )
}}

{#- When each changed snapshot's state was last seen. Only changed answers become
    snapshots, but a fetch that found the player unchanged (fetch log) or an archived
    answer repeating the previous one's content (a landing archive replayed without a
    fetch log) saw that state again; Wise Old Man stores a snapshot at each of them and
    starts a period's window at the first one inside it (hiscore_window_start). Every
    observation is credited to the snapshot in force at its time (one index probe each);
    a tick reads the fetch-log and metric rows of new dlt loads and keeps the later time. -#}
with fetched as (
    select
        {{ player_id('e.username') }} as player_id,
        e.fetched_at as seen_at,
        e.fetch_status,
        e.load_id
    from {{ ref('stg_osrs_hiscores__fetch_events') }} as e
    {% if is_incremental() %}
        where e.load_id > {{ load_cursor() }}
    {% endif %}
),

found as (
    -- a fetch that found the player saw their state; a 404 or a failure saw nothing
    select
        player_id,
        seen_at,
        load_id
    from fetched
    where fetch_status in ('changed', 'unchanged')
),

answered as (
    select distinct
        {{ player_id('m.username') }} as player_id,
        m.captured_at as seen_at,
        m.load_id
    from {{ ref('stg_osrs_hiscores__hiscore_metrics') }} as m
    {% if is_incremental() %}
        where m.load_id > {{ load_cursor() }}
    {% endif %}
),

observations as (
    select
        o.player_id,
        o.seen_at,
        max(o.load_id) as load_id
    from (
        select * from found
        union all
        select * from answered
    ) as o
    group by o.player_id, o.seen_at
),

credited as (
    -- each observation saw the snapshot in force at its time
    select
        o.player_id,
        o.seen_at,
        o.load_id,
        s.captured_at
    from observations as o
    cross join lateral (
        select x.captured_at
        from {{ ref('int_players__snapshots') }} as x
        where x.player_id = o.player_id and x.captured_at <= o.seen_at
        order by x.captured_at desc
        limit 1
    ) as s
),

seen as (
    select
        player_id,
        captured_at,
        max(seen_at) as last_seen_at,
        max(load_id) as load_id
    from credited
    group by player_id, captured_at
)

select
    s.player_id,
    s.captured_at,
    {% if is_incremental() %}
        greatest(s.last_seen_at, t.last_seen_at) as last_seen_at,
    {% else %}
        s.last_seen_at,
    {% endif %}
    s.load_id
from seen as s
{% if is_incremental() %}
    left join {{ this }} as t on s.player_id = t.player_id and s.captured_at = t.captured_at
{% endif %}
