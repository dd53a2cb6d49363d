{#- Dofus captures in the unified observation shape (docs/formulas.md#unified-observations):
    price is the mean unit price over the lots on sale (lot price / lot size), price_low and
    price_high the cheapest and dearest unit price, listings the number of lots on sale. A
    capture in which every lot repeats the previous one (≤ 10 minutes before) is not stored
    again; one with no lot on sale has no price and is left out. -#}
select
    'dofus_market:' || l.source_item_id as item_id,
    'dofus-' || lower(replace(l.server, ' ', '-')) as market_id,
    'dofus_market' as source,
    l.captured_at as observed_at,
    'snapshot' as resolution,
    true as is_rollup_input,
    round(avg(l.unit_price), 4) as price,
    null::numeric as price_open,
    round(max(l.unit_price), 4) as price_high,
    round(min(l.unit_price), 4) as price_low,
    null::numeric as volume,
    count(l.lot_price)::bigint as listings,
    sum(l.lot_size) filter (where l.lot_price is not null)::bigint as quantity_listed,
    max(l.load_id) as load_id
from {{ ref('int_dofus_market__lot_prices') }} as l
group by l.server, l.source_item_id, l.captured_at
having bool_or(not l.is_repeat) and count(l.lot_price) > 0
