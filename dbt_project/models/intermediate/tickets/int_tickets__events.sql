{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['production_id'],
        indexes=[{'columns': ['production_id'], 'unique': true}, {'columns': ['load_id']}],
    )
}}

{#- Each event as its newest production record describes it. A tick re-reads every record
    of the productions its loads touched, so a replayed older record (an archive loaded
    after newer files) never replaces a newer one. -#}
select distinct on (p.production_id)
    p.production_id,
    p.production_name,
    p.event_local_at,
    p.event_date,
    p.venue_name,
    p.venue_city,
    p.captured_at as record_at,
    -- the newest load that touched the event (the cursor), not the chosen record's
    max(p.load_id) over (partition by p.production_id) as load_id
from {{ ref('stg_vividseats__productions') }} as p
{% if is_incremental() %}
    where p.production_id in (
        select touched.production_id from {{ ref('stg_vividseats__productions') }} as touched
        where touched.load_id > {{ load_cursor() }}
    )
{% endif %}
order by p.production_id asc, p.captured_at desc, p.load_id desc
