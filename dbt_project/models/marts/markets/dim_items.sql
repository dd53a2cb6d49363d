{#- One row per tradable thing of every source: every item the catalogues describe
    (int_markets__items), and every item that has candles though none describes it yet
    (an OSRS bucket loaded before the item mapping, say), under a placeholder name, so a
    mart that joins this table never drops an item's history. is_tracked says whether the
    source still fetches it: the config decides for exchange assets (tracked_assets) and
    event sections (tracked_events); the game markets observe every item they list. -#}
with catalogued as (
    select * from {{ ref('int_markets__items') }}
),

uncatalogued as (
    select
        o.item_id,
        split_part(o.item_id, ':', 1) as source,
        substr(o.item_id, strpos(o.item_id, ':') + 1) as source_item_id,
        'Item ' || substr(o.item_id, strpos(o.item_id, ':') + 1) as item_name,
        null::text as category,
        '{}'::jsonb as attributes
    from (
        select distinct m.item_id
        from {{ ref('fct_prices_monthly') }} as m
    ) as o
    where not exists (
        select 1 from catalogued as c
        where c.item_id = o.item_id
    )
),

items as (
    select * from catalogued
    union all
    select * from uncatalogued
)

select
    i.item_id,
    i.source,
    i.source_item_id,
    i.item_name,
    i.category,
    i.attributes,
    case
        when i.source in ('binance', 'yahoo_finance')
            then coalesce((i.attributes ->> 'is_tracked')::boolean, false)
        when i.source = 'vividseats' then coalesce(t.is_tracked, false)
        else true
    end as is_tracked
from items as i
left join {{ ref('int_tickets__tracked_events') }} as t
    on
        i.source = 'vividseats'
        and (i.attributes ->> 'production_id')::bigint = t.production_id
