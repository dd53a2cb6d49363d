{#- Every hiscore player the loaded profiles name (profile.players, hiscore_gain and
    achievement rules), one row per name as written, resolved against dim_players by
    username, case and surrounding spaces ignored.

    player_id  the player it names; null when dim_players has no such player.
    problem    why it does not resolve, in the loader's words; null when it resolves. -#}
with refs as (
    select player_name from {{ ref('stg_user_state__profile_players') }}
    union
    select player_name
    from {{ ref('stg_user_state__alert_rules') }}
    where player_name is not null
),

players as (
    select distinct on (lower(username))
        lower(username) as name_key,
        player_id
    from {{ ref('dim_players') }}
    where username is not null
    order by lower(username), player_id
)

select
    r.player_name,
    p.player_id,
    case
        when p.player_id is null
            then
                'player ' || {{ profile_name('r.player_name') }}
                || ' is not tracked (add it to the hiscores'' tracked_players.csv)'
    end as problem
from refs as r
left join players as p on {{ profile_key('r.player_name') }} = p.name_key
