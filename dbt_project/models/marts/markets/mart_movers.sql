{#- Biggest moves per market and window (docs/formulas.md#movers-and-volatility): one row
    per market × window × item with a change over that window; rank_gain 1 = biggest rise,
    rank_loss 1 = biggest fall, rank_abs 1 = biggest move either way. Ties share a rank. -#}
with changes as (
    select
        t.market_id,
        t.item_id,
        w.window_name,
        w.change_pct,
        t.price,
        t.as_of
    from {{ ref('mart_item_trends') }} as t
    cross join
        lateral (
            values ('1d', t.change_1d_pct), ('7d', t.change_7d_pct), ('30d', t.change_30d_pct)
        ) as w (window_name, change_pct)
    where w.change_pct is not null
)

select
    market_id,
    window_name as "window",
    item_id,
    change_pct,
    price,
    rank() over (partition by market_id, window_name order by change_pct desc) as rank_gain,
    rank() over (partition by market_id, window_name order by change_pct asc) as rank_loss,
    rank() over (partition by market_id, window_name order by abs(change_pct) desc) as rank_abs,
    as_of
from changes
