{#- Items trading below their 30-day mean by more than the fee of selling them back there:
    discount_pct = 100 × (reference − price) / reference; expected_profit per unit =
    reference − fee(reference) − price, kept only when positive. -#}
with base as (
    {{ opportunity_base() }}
)

select
    market_id,
    item_id,
    price,
    reference_price,
    round(100 * (reference_price - price) / reference_price, 4) as discount_pct,
    round(reference_price - fee_at_reference - price, 4) as expected_profit,
    fee_at_reference as fees,
    confidence,
    volatility_30d,
    trend_state,
    as_of
from base
where price < reference_price and reference_price - fee_at_reference - price > 0
