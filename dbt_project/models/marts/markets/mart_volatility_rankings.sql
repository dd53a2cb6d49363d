{#- Items ranked by 30-day volatility within their market (1 = most volatile). -#}
select
    t.market_id,
    t.item_id,
    t.volatility_30d,
    rank() over (partition by t.market_id order by t.volatility_30d desc) as rank,
    t.price,
    t.as_of
from {{ ref('mart_item_trends') }} as t
where t.volatility_30d is not null
