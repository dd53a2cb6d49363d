{#- One row per player the facts or the config know (docs/formulas.md#players): tracked now,
    fetched before, or only present in archived answers (a landing archive replayed without
    its config or fetch log, a player since removed from the config). The config decides
    only what is fetched (`is_tracked`). The fetch columns come from the fetch log where the
    player has one, else from the archived answers: the newest answer is the last fetch,
    `unchanged` when it repeated the content of the one before (a repeat is no snapshot, but
    a sighting of the newest one). Small: a player's newest snapshot is one index probe, the
    fetch history is pre-aggregated. -#}
with config as (
    select
        username,
        account_type,
        group_names,
        config_version_at,
        {{ player_id('username') }} as player_id
    from {{ ref('stg_osrs_hiscores__tracked_players') }}
    where config_version_at = (
        select max(c.config_version_at) from {{ ref('stg_osrs_hiscores__tracked_players') }} as c
    )
),

fetches as (
    select * from {{ ref('int_players__latest_fetches') }}
),

players as (
    select player_id from config
    union
    select player_id from fetches
    union
    select distinct player_id from {{ ref('int_players__snapshots') }}
)

select
    p.player_id,
    coalesce(c.username, f.username, s.username) as username,
    coalesce(c.account_type, f.account_type) as account_type,
    coalesce(c.group_names, array[]::text[]) as group_names,
    c.player_id is not null as is_tracked,
    coalesce(f.last_fetched_at, s.last_seen_at) as last_fetched_at,
    s.captured_at as last_changed_at,
    coalesce(
        f.last_fetch_status,
        case
            when s.last_seen_at > s.captured_at then 'unchanged'
            when s.captured_at is not null then 'changed'
        end
    ) as last_fetch_status,
    f.last_http_status,
    f.last_detail,
    coalesce(f.last_found_at, s.last_seen_at) as last_found_at,
    coalesce(f.fetch_count, 0) as fetch_count,
    s.total_level,
    s.overall_xp,
    case
        when f.player_id is not null then 'fetch_log'
        when s.captured_at is not null then 'landing_files'
    end as last_fetch_source
from players as p
left join config as c on p.player_id = c.player_id
left join fetches as f on p.player_id = f.player_id
left join lateral (
    select
        x.username,
        x.captured_at,
        greatest(x.captured_at, g.last_seen_at) as last_seen_at,
        x.total_level,
        x.overall_xp
    from {{ ref('int_players__snapshots') }} as x
    left join {{ ref('int_players__sightings') }} as g
        on x.player_id = g.player_id and x.captured_at = g.captured_at
    where x.player_id = p.player_id
    order by x.captured_at desc
    limit 1
) as s on true
