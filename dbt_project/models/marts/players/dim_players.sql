{#- One row per player tracked now or fetched before (DESIGN §4). Small: a player's
    newest snapshot is one index probe, the fetch history is pre-aggregated. -#}
with config as (
    select
        username,
        account_type,
        group_names,
        config_version_at,
        {{ player_id('username') }} as player_id
    from {{ ref('stg_osrs_hiscores__tracked_players') }}
    where config_version_at = (select max(c.config_version_at) from {{ ref('stg_osrs_hiscores__tracked_players') }} as c)
),

fetches as (
    select * from {{ ref('int_players__latest_fetches') }}
),

players as (
    select player_id from config
    union
    select player_id from fetches
)

select
    p.player_id,
    coalesce(c.username, f.username) as username,
    coalesce(c.account_type, f.account_type) as account_type,
    coalesce(c.group_names, array[]::text[]) as group_names,
    c.player_id is not null as is_tracked,
    f.last_fetched_at,
    s.captured_at as last_changed_at,
    f.last_fetch_status,
    f.last_http_status,
    f.last_detail,
    f.last_found_at,
    coalesce(f.fetch_count, 0) as fetch_count,
    s.total_level,
    s.overall_xp
from players as p
left join config as c on p.player_id = c.player_id
left join fetches as f on p.player_id = f.player_id
left join lateral (
    select
        x.captured_at,
        x.total_level,
        x.overall_xp
    from {{ ref('int_players__snapshots') }} as x
    where x.player_id = p.player_id
    order by x.captured_at desc
    limit 1
) as s on true
