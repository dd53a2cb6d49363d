{#- The loaded profiles the catalogue can take: those whose default market it knows, or
    that name none. A profile naming an unknown default market is left out whole, as the
    loader always did: int_user_state__rejected_lines lists that one line, and no line of
    the profile reaches the user marts or the alert rules (every int_user_state__ model
    keeps only the profiles here).

    player_ids  dim_players.player_id of the tracked players the profile names, in the
                order of its lines (the untracked ones are rejected lines). -#}
with players as (
    select
        pp.profile_id,
        array_agg(r.player_id order by pp.source_line, r.player_id) as player_ids
    from {{ ref('stg_user_state__profile_players') }} as pp
    inner join {{ ref('int_user_state__player_references') }} as r
        on pp.player_name = r.player_name
    where r.player_id is not null
    group by pp.profile_id
)

select
    p.profile_id,
    p.display_name,
    p.default_market_id,
    pl.player_ids,
    p.has_discord,
    p.has_email,
    p.source_file,
    p.source_line,
    p.bundle_file
from {{ ref('stg_user_state__profiles') }} as p
left join {{ ref('dim_markets') }} as m on p.default_market_id = m.market_id
left join players as pl on p.profile_id = pl.profile_id
where p.default_market_id is null or m.market_id is not null
