{#- The WoW venues seen in the data: each region's commodity house and each connected
    realm, named from the wow_connected_realms seed where it knows the realm. A realm
    buys commodities (reagents) at its region's commodity house: supply_market_id. -#}
with seen as (
    select distinct
        l.market_id,
        split_part(l.market_id, '-', 2) as kind_or_region,
        split_part(l.market_id, '-', 3) as rest
    from {{ ref('int_wow_auctions__snapshot_values') }} as l
)

select
    s.market_id,
    'wow_auctions' as source,
    case
        when s.kind_or_region = 'realm' then coalesce(r.realm_name, 'Connected realm ' || s.rest)
        else upper(s.kind_or_region) || ' commodities'
    end as market_name,
    case when s.kind_or_region = 'realm' then coalesce(r.region, 'us') else s.kind_or_region end
        as region,
    'game' as market_kind,
    'copper' as currency,
    case
        when s.kind_or_region = 'realm'
            then 'wow-' || coalesce(r.region, 'us') || '-commodities'
    end as supply_market_id
from seen as s
left join {{ ref('wow_connected_realms') }} as r
    on s.kind_or_region = 'realm' and s.rest = r.connected_realm_id::text
