{{ config(materialized='view') }}

{#- Price history for a chart at any range (docs/formulas.md#ohlcv-rollups), from the tier
    that fits it: hourly candles for 1d, daily to 1y, weekly for 3y and 5y, monthly for 10y
    and all. A view, so `where item_id = … and range_name = …` reaches one tier's index and
    nothing else; a range ends at the item's newest candle in that tier. -#}
with ranges (range_name, tier, span) as (
    values
    ('1d', 'hour', interval '1 day'),
    ('7d', 'day', interval '7 days'),
    ('1m', 'day', interval '1 month'),
    ('3m', 'day', interval '3 months'),
    ('6m', 'day', interval '6 months'),
    ('1y', 'day', interval '1 year'),
    ('3y', 'week', interval '3 years'),
    ('5y', 'week', interval '5 years'),
    ('10y', 'month', interval '10 years'),
    ('all', 'month', null)
)

{% for tier, model in [('hour', 'fct_prices_hourly'), ('day', 'fct_prices_daily'),
                        ('week', 'fct_prices_weekly'), ('month', 'fct_prices_monthly')] %}
    select
        r.range_name,
        r.tier,
        c.market_id,
        c.item_id,
        c.bucket_start,
        c.open,
        c.high,
        c.low,
        c.close,
        c.volume
    from ranges as r
    inner join {{ ref(model) }} as c on r.tier = '{{ tier }}'
    where
        r.span is null
        or c.bucket_start > (
            select max(x.bucket_start) from {{ ref(model) }} as x
            where x.market_id = c.market_id and x.item_id = c.item_id
        ) - r.span
    {% if not loop.last %}union all{% endif %}
{% endfor %}
