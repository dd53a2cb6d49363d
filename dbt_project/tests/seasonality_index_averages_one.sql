{#- price_index is relative to the item's average slot price, so averaged over an item's
    slots it is 1 (within the rounding of 4 decimals). -#}
select
    market_id,
    item_id,
    avg(price_index) as mean_index
from {{ ref('mart_seasonality') }}
group by market_id, item_id
having abs(avg(price_index) - 1) > 0.0001
