{#- Every item the loaded profile lines name (favorites, watchlists, bank, alert rules),
    one row per market × item as written, resolved against the catalogue as the profile
    format says (config/profiles/README.md): an item is its id in the market's source or
    its name, case and surrounding spaces ignored.

    item_id        the one catalogue item it names; null when it names none, or several
                   (a name items share: the line must give the id).
    problem        why it does not resolve, in the loader's words: an unknown market (with
                   the known ones), an unknown item, an ambiguous name (its first five ids
                   in order); null when it resolves.
    problem_field  the field the problem is in: market or item. -#}
with refs as (
    select
        market_id,
        item
    from {{ ref('stg_user_state__favorites') }}
    union
    select
        market_id,
        item
    from {{ ref('stg_user_state__watchlists') }}
    union
    select
        market_id,
        item
    from {{ ref('stg_user_state__bank_items') }}
    union
    select
        market_id,
        item
    from {{ ref('stg_user_state__alert_rules') }}
    where item is not null
),

markets as (
    select
        market_id,
        source
    from {{ ref('dim_markets') }}
),

items as (
    select
        item_id,
        source,
        lower(source_item_id) as id_key,
        {{ profile_key('item_name') }} as name_key
    from {{ ref('dim_items') }}
),

-- an item matched by its id and by its name counts once
matches as (
    select distinct
        r.market_id,
        r.item,
        i.item_id
    from refs as r
    inner join markets as m on r.market_id = m.market_id
    inner join items as i
        on
            m.source = i.source
            and {{ profile_key('r.item') }} in (i.id_key, i.name_key)
),

found as (
    select
        market_id,
        item,
        count(*) as matches,
        min(item_id) as item_id,
        array_agg(item_id order by item_id collate "C") as item_ids
    from matches
    group by market_id, item
),

known as (
    select
        coalesce(string_agg(market_id, ', ' order by market_id collate "C"), 'none yet')
            as market_ids
    from markets
)

select
    r.market_id,
    r.item,
    case when f.matches = 1 then f.item_id end as item_id,
    case
        when m.market_id is null
            then
                'unknown market ' || {{ profile_name('r.market_id') }}
                || ' (known: ' || k.market_ids || ')'
        when f.matches is null
            then 'unknown item ' || {{ profile_name('r.item') }} || ' in market ' || r.market_id
        when f.matches > 1
            then
                'item name ' || {{ profile_name('r.item') }} || ' is ambiguous in market '
                || r.market_id || ' (' || array_to_string(f.item_ids[1:5], ', ')
                || '): give its id'
    end as problem,
    case
        when m.market_id is null then 'market'
        when f.matches is null or f.matches > 1 then 'item'
    end as problem_field
from refs as r
left join markets as m on r.market_id = m.market_id
left join found as f
    on
        r.market_id = f.market_id
        and r.item = f.item
cross join known as k
