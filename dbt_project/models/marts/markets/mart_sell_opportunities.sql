{#- Items trading above their 30-day mean by more than the fee of selling now:
    premium_pct = 100 × (price − reference) / reference; expected_profit per unit held =
    price − fee(price) − reference, kept only when positive. -#}
with base as (
    {{ opportunity_base() }}
)

select
    market_id,
    item_id,
    price,
    reference_price,
    round(100 * (price - reference_price) / reference_price, 4) as premium_pct,
    round(price - fee_at_price - reference_price, 4) as expected_profit,
    fee_at_price as fees,
    confidence,
    volatility_30d,
    trend_state,
    as_of
from base
where price > reference_price and price - fee_at_price - reference_price > 0
