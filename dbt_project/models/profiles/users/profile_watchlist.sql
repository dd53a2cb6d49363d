{#- Each profile's watchlists (and its favorites, as the watchlist 'favorites') with
    the item's trend row: the latest price, changes, averages, volatility and state.
    Per-profile data: schema `profiles`, which the analyst role does not read
    (docs/roles.md); marts.mart_watchlist_popularity is the count per item. -#}
with entries as (
    select
        profile_id,
        watchlist_name,
        market_id,
        item_id
    from {{ ref('int_user_state__watchlists') }}
    union
    select
        profile_id,
        'favorites' as watchlist_name,
        market_id,
        item_id
    from {{ ref('int_user_state__favorites') }}
)

select
    e.profile_id,
    e.watchlist_name,
    e.market_id,
    e.item_id,
    i.item_name,
    m.currency,
    t.price,
    t.change_1d_pct,
    t.change_7d_pct,
    t.change_30d_pct,
    t.ma_7d,
    t.ma_30d,
    t.volatility_30d,
    t.zscore_30d,
    t.trend_state,
    t.forecast_price_1d,
    t.as_of
from entries as e
left join {{ ref('dim_items') }} as i on e.item_id = i.item_id
left join {{ ref('dim_markets') }} as m on e.market_id = m.market_id
left join {{ ref('mart_item_trends') }} as t
    on
        e.market_id = t.market_id
        and e.item_id = t.item_id
