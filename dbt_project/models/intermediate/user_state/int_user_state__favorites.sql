{#- One row per profile × favorite item the catalogue resolves: an item named two ways
    (its name, its id) once, at its first line. Lines naming an unknown or ambiguous item
    are int_user_state__rejected_lines. -#}
select distinct on (f.profile_id, f.market_id, r.item_id)
    f.profile_id,
    f.market_id,
    r.item_id,
    f.source_file,
    f.source_line
from {{ ref('stg_user_state__favorites') }} as f
inner join {{ ref('int_user_state__profiles') }} as p on f.profile_id = p.profile_id
inner join {{ ref('int_user_state__item_references') }} as r
    on
        f.market_id = r.market_id
        and f.item = r.item
where r.item_id is not null
order by f.profile_id, f.market_id, r.item_id, f.source_line
