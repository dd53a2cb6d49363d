{#- How many profiles watch each item, with its trend row: the analysts' view of the
    watchlists and favorites, aggregated (no profile column; each profile's own lists are
    profiles.profile_watchlist, which the analyst role does not read, docs/roles.md).

    watchers       profiles with the item on a watchlist or among their favorites.
    watchlists     watchlists (profile × name, favorites excluded) holding the item.
    favorited_by   profiles with the item among their favorites. -#}
with entries as (
    select
        profile_id,
        watchlist_name,
        market_id,
        item_id,
        false as is_favorite
    from {{ ref('int_user_state__watchlists') }}
    union
    select
        profile_id,
        null as watchlist_name,
        market_id,
        item_id,
        true as is_favorite
    from {{ ref('int_user_state__favorites') }}
),

per_item as (
    select
        market_id,
        item_id,
        count(distinct profile_id) as watchers,
        count(distinct profile_id || '/' || watchlist_name) as watchlists,
        count(distinct profile_id) filter (where is_favorite) as favorited_by
    from entries
    group by market_id, item_id
)

select
    p.market_id,
    p.item_id,
    i.item_name,
    m.currency,
    p.watchers,
    p.watchlists,
    p.favorited_by,
    t.price,
    t.change_1d_pct,
    t.change_7d_pct,
    t.trend_state,
    t.as_of
from per_item as p
left join {{ ref('dim_items') }} as i on p.item_id = i.item_id
left join {{ ref('dim_markets') }} as m on p.market_id = m.market_id
left join {{ ref('mart_item_trends') }} as t
    on
        p.market_id = t.market_id
        and p.item_id = t.item_id
