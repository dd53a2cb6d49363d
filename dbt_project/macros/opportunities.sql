{#- What the buy and sell opportunity marts share (docs/formulas.md#opportunities): each
    item's price against its reference (ma_30d), the selling fee in force for its source on
    the as_of day at either price, and a confidence in [0, 1]:
        confidence = min(days with a close in the last 30 / 30, 1) / (1 + volatility_30d / 10)
    — more history raises it, a jumpier price lowers it (10 % daily volatility halves it). -#}
{% macro opportunity_base() %}
    select
        t.market_id,
        t.item_id,
        m.source,
        t.price,
        t.ma_30d as reference_price,
        t.volatility_30d,
        t.trend_state,
        t.days_observed_30d,
        t.as_of,
        {{ sale_fee('t.ma_30d', 'r.rate', 'r.cap', 'r.exempt_below', 'x.source_item_id is not null') }}
            as fee_at_reference,
        {{ sale_fee('t.price', 'r.rate', 'r.cap', 'r.exempt_below', 'x.source_item_id is not null') }}
            as fee_at_price,
        round(
            least(t.days_observed_30d / 30.0, 1) / (1 + coalesce(t.volatility_30d, 0) / 10.0), 4
        ) as confidence
    from {{ ref('mart_item_trends') }} as t
    inner join {{ ref('dim_markets') }} as m on t.market_id = m.market_id
    inner join {{ ref('dim_items') }} as i on t.item_id = i.item_id
    {{ fee_rule_joins('m.source', 'i.source_item_id', "(t.as_of at time zone 'UTC')::date") }}
    where t.ma_30d > 0
{% endmacro %}
