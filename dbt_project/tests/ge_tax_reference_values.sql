{#- The GE tax as the seeds configure it, checked against values worked out by hand
    (docs/formulas.md#fees): rows returned are mismatches. Complements the mart_flips unit
    tests, which fix the rules inline; this one proves the seeded rules are the real ones. -#}
with cases (sold_on, source_item_id, sell_price, expected_tax) as (
    values
    ('2026-11-22'::date, '1', 49, 0),
    ('2026-11-22'::date, '1', 50, 1),
    ('2026-11-22'::date, '1', 2499, 49),
    ('2026-11-22'::date, '1', 250000000, 5000000),
    ('2026-11-22'::date, '1', 300000000, 5000000),
    ('2026-11-22'::date, '13190', 10000000, 0),
    ('2025-05-29'::date, '1', 75, 1),
    ('2025-05-28'::date, '1', 75, 0),
    ('2025-05-28'::date, '1', 100, 1),
    ('2025-05-28'::date, '1', 199, 1),
    ('2025-05-28'::date, '1', 600000000, 5000000),
    ('2025-05-28'::date, '13190', 9000000, 0)
),

taxed as (
    select
        c.*,
        {{ sale_fee(
            'c.sell_price', 'r.rate', 'r.cap', 'r.exempt_below', 'x.source_item_id is not null'
        ) }} as tax
    from cases as c
    {{ fee_rule_joins("'osrs_prices'", 'c.source_item_id', 'c.sold_on') }}
)

select *
from taxed
where tax is distinct from expected_tax
