{#- One row per profile × market × bank item the catalogue resolves, the quantities of
    every line naming it (by name or by id, in the YAML or the bank CSV) summed, at the
    first of those lines (the YAML's before the CSV's, as the loader reads them). Lines
    naming an unknown or ambiguous item are int_user_state__rejected_lines. -#}
select
    b.profile_id,
    b.market_id,
    r.item_id,
    sum(b.quantity)::bigint as quantity,
    (array_agg(b.source_file order by b.source_file like '%.csv', b.source_line))[1]
        as source_file,
    (array_agg(b.source_line order by b.source_file like '%.csv', b.source_line))[1]
        as source_line
from {{ ref('stg_user_state__bank_items') }} as b
inner join {{ ref('int_user_state__profiles') }} as p on b.profile_id = p.profile_id
inner join {{ ref('int_user_state__item_references') }} as r
    on
        b.market_id = r.market_id
        and b.item = r.item
where r.item_id is not null
group by b.profile_id, b.market_id, r.item_id
