{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='player_id',
        on_schema_change='append_new_columns',
    )
}}

{#- One row per player: their newest fetch outcome and how many fetches there were. A
    tick reads only the fetch-log rows of new dlt loads (every tick logs every player, so
    the watermark always moves), not the whole log. -#}
with new_events as (
    select
        e.*,
        {{ player_id('e.username') }} as player_id
    from {{ ref('stg_osrs_hiscores__fetch_events') }} as e
    {% if is_incremental() %}
        where e.load_id > {{ load_cursor() }}
    {% endif %}
),

fresh as (
    -- a fetch-log file delivered again (rewritten, reloaded) must not count twice
    select e.*
    from new_events as e
    {% if is_incremental() %}
        left join {{ this }} as t on e.player_id = t.player_id
        where t.last_fetched_at is null or e.fetched_at > t.last_fetched_at
    {% endif %}
),

newest as (
    select distinct on (player_id)
        player_id,
        username,
        account_type,
        fetched_at as last_fetched_at,
        fetch_status as last_fetch_status,
        http_status as last_http_status,
        detail as last_detail
    from fresh
    order by player_id asc, fetched_at desc, load_id desc
),

counts as (
    select
        player_id,
        count(*) as fetches,
        count(*) filter (where fetch_status in ('changed', 'unchanged')) as found_fetches,
        max(fetched_at) filter (where fetch_status in ('changed', 'unchanged')) as last_found_at,
        max(load_id) as load_id
    from fresh
    group by player_id
)

select
    n.player_id,
    n.username,
    n.account_type,
    n.last_fetched_at,
    n.last_fetch_status,
    n.last_http_status,
    n.last_detail,
    {% if is_incremental() %}
        c.fetches + coalesce(t.fetch_count, 0) as fetch_count,
        c.found_fetches + coalesce(t.found_fetch_count, 0) as found_fetch_count,
        greatest(c.last_found_at, t.last_found_at) as last_found_at,
    {% else %}
        c.fetches as fetch_count,
        c.found_fetches as found_fetch_count,
        c.last_found_at,
    {% endif %}
    c.load_id
from newest as n
inner join counts as c on n.player_id = c.player_id
{% if is_incremental() %}
    left join {{ this }} as t on n.player_id = t.player_id
{% endif %}
