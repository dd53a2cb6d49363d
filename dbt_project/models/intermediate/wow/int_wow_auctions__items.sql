{#- WoW items seen on sale. The auctions API carries ids only; names come from the
    item catalogue when one is loaded, until then a readable placeholder. -#}
select distinct on (v.item_id)
    v.item_id,
    'wow_auctions' as source,
    split_part(v.item_id, ':', 2) as source_item_id,
    case
        when split_part(v.item_id, ':', 3) <> '' then 'Pet cage (species ' || split_part(v.item_id, ':', 3) || ')'
        else 'Item ' || split_part(v.item_id, ':', 2)
    end as item_name,
    case when v.market_id like '%-commodities' then 'commodity' else 'realm item' end as category,
    jsonb_build_object(
        'pet_species_id', nullif(split_part(v.item_id, ':', 3), '')::int
    ) as attributes
from {{ ref('int_wow_auctions__snapshot_values') }} as v
order by v.item_id, v.market_id
