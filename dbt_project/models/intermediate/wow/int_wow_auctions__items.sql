{#- WoW items seen on sale. The auctions API carries ids only; names and classes come
    from the wow_items / wow_pet_species reference seeds (an export of Blizzard's item
    API), and an id the catalogue does not know yet gets a readable placeholder. -#}
with seen as (
    select distinct on (v.item_id)
        v.item_id,
        split_part(v.item_id, ':', 2) as source_item_id,
        nullif(split_part(v.item_id, ':', 3), '')::int as pet_species_id,
        v.market_id
    from {{ ref('int_wow_auctions__snapshot_values') }} as v
    order by v.item_id, v.market_id
)

select
    s.item_id,
    'wow_auctions' as source,
    s.source_item_id,
    case
        when s.pet_species_id is not null
            then
                'Pet Cage: '
                || coalesce(p.species_name, 'species ' || s.pet_species_id::text)
        else coalesce(w.item_name, 'Item ' || s.source_item_id)
    end as item_name,
    coalesce(
        w.item_class,
        case when s.market_id like '%-commodities' then 'Tradeskill' else 'Unknown' end
    ) as category,
    jsonb_build_object(
        'pet_species_id', s.pet_species_id,
        'item_subclass', w.item_subclass,
        'commodity', s.market_id like '%-commodities'
    ) as attributes
from seen as s
left join {{ ref('wow_items') }} as w on s.source_item_id = w.item_id::text
left join {{ ref('wow_pet_species') }} as p on s.pet_species_id = p.pet_species_id
