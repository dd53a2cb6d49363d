{#- One row per profile × watchlist × item the catalogue resolves: an item named two ways
    (its name, its id) once, at its first line. Lines naming an unknown or ambiguous item
    are int_user_state__rejected_lines. -#}
select distinct on (w.profile_id, w.watchlist_name, w.market_id, r.item_id)
    w.profile_id,
    w.watchlist_name,
    w.market_id,
    r.item_id,
    w.source_file,
    w.source_line
from {{ ref('stg_user_state__watchlists') }} as w
inner join {{ ref('int_user_state__profiles') }} as p on w.profile_id = p.profile_id
inner join {{ ref('int_user_state__item_references') }} as r
    on
        w.market_id = r.market_id
        and w.item = r.item
where r.item_id is not null
order by w.profile_id, w.watchlist_name, w.market_id, r.item_id, w.source_line
