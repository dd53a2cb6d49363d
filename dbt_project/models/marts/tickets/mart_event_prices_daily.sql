{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['production_id', 'section', 'bucket_start'],
        indexes=[
            {'columns': ['production_id', 'section', 'bucket_start'], 'unique': true},
            {'columns': ['load_id']},
        ],
    )
}}

{#- Production × section × UTC day (see macros/tickets.sql for each column), from the
    listing-day rows of the days the new snapshots touched. -#}
with touched as (
    select distinct
        d.production_id,
        d.day
    from {{ ref('int_tickets__listing_days') }} as d
    {% if is_incremental() %}
        where d.load_id > {{ load_cursor() }}
    {% endif %}
),

per_listing as (
    select
        d.production_id,
        d.section,
        (d.day::timestamp at time zone 'UTC') as bucket_start,
        d.listing_id,
        d.min_all_in_price as min_price,
        d.last_all_in_price as last_price,
        d.last_quantity,
        d.last_seen_at,
        d.load_id
    from {{ ref('int_tickets__listing_days') }} as d
    inner join touched as t on d.production_id = t.production_id and d.day = t.day
)

{{ event_price_buckets('per_listing') }}
