{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['production_id', 'section', 'captured_at'],
        indexes=[
            {'columns': ['production_id', 'section', 'captured_at'], 'unique': true},
            {'columns': ['load_id']},
        ],
    )
}}

{#- One row per production × section × listings snapshot: the section's book at that
    moment, priced all-in (what a buyer pays). A snapshot arrives in one dlt load, so a
    tick only reads the new snapshots' rows. -#}
select
    l.production_id,
    l.section,
    l.captured_at,
    min(l.all_in_price) as get_in_price,
    max(l.all_in_price) as max_price,
    round((percentile_cont(0.5) within group (order by l.all_in_price))::numeric, 3)
        as median_price,
    round(avg(l.all_in_price), 2) as avg_price,
    count(*) as listings,
    sum(l.quantity) as tickets,
    max(l.load_id) as load_id
from {{ ref('stg_vividseats__listings') }} as l
{% if is_incremental() %}
    where l.load_id > {{ load_cursor() }}
{% endif %}
group by l.production_id, l.section, l.captured_at
