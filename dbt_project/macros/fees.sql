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
