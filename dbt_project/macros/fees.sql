{#- Fee on a sale under an effective-dated rule (seed fee_rules): rate × price, rounded
    down to the smallest unit, capped, and nothing below the exemption threshold or for
    exempt items. OSRS GE tax: 2 % from 2025-05-29 (none under 50 gp), 1 % before
    (none under 100 gp), capped at 5,000,000 gp; Old school bonds are exempt. -#}
{% macro sale_fee(price, rate, cap, exempt_below, is_exempt) -%}
    case
        when {{ price }} is null then null
        when coalesce({{ is_exempt }}, false) then 0
        when {{ price }} < coalesce({{ exempt_below }}, 0) then 0
        else least(floor({{ price }} * {{ rate }}), coalesce({{ cap }}, floor({{ price }} * {{ rate }})))
    end
{%- endmacro %}

{#- 100 × (now − then) / then, null when there is no positive reference price. -#}
{% macro pct_change(now, then) -%}
    case when {{ then }} > 0 then round((100.0 * ({{ now }} - {{ then }}) / {{ then }})::numeric, 4) end
{%- endmacro %}

{#- Joins that find the fee rule in force on `sold_on` (alias r: rate, cap, exempt_below)
    and whether the item is exempt then (alias x; x.source_item_id is null when not).
    Use with sale_fee(price, 'r.rate', 'r.cap', 'r.exempt_below', 'x.source_item_id is not null'). -#}
{% macro fee_rule_joins(source, source_item_id, sold_on) -%}
    {#- source: a SQL expression (a quoted literal such as "'osrs_prices'", or a column) -#}
    left join lateral (
        select
            fr.rate,
            fr.cap,
            fr.exempt_below
        from {{ ref('fee_rules') }} as fr
        where fr.source = {{ source }} and fr.valid_from <= {{ sold_on }}
        order by fr.valid_from desc
        limit 1
    ) as r on true
    left join {{ ref('fee_exempt_items') }} as x
        on
            x.source = {{ source }}
            and x.source_item_id = {{ source_item_id }}
            and x.valid_from <= {{ sold_on }}
{%- endmacro %}
