{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['production_id'],
        indexes=[{'columns': ['production_id'], 'unique': true}, {'columns': ['load_id']}],
    )
}}

{#- Each event as its newest production record describes it. -#}
select distinct on (p.production_id)
    p.production_id,
    p.production_name,
    p.event_local_at,
    p.event_date,
    p.venue_name,
    p.venue_city,
    p.captured_at as record_at,
    p.load_id
from {{ ref('stg_vividseats__productions') }} as p
{% if is_incremental() %}
    where p.load_id > {{ load_cursor() }}
{% endif %}
order by p.production_id asc, p.captured_at desc
