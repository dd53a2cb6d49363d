{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['production_id', 'section'],
        indexes=[{'columns': ['production_id', 'section'], 'unique': true}],
    )
}}

{#- Every section an event has had listings in: the tradable things of the tickets
    market (production × section). -#}
select
    s.production_id,
    s.section,
    max(s.load_id) as load_id
from {{ ref('int_tickets__section_snapshots') }} as s
{% if is_incremental() %}
    where s.load_id > {{ load_cursor() }}
{% endif %}
group by s.production_id, s.section
