{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['production_id', 'section', 'bucket_start'],
        indexes=[
            {'columns': ['production_id', 'section', 'bucket_start'], 'unique': true},
            {'columns': ['bucket_start'], 'type': 'brin'},
            {'columns': ['load_id']},
        ],
    )
}}

{#- Production × section × hour (see macros/tickets.sql for each column). A tick
    recomputes only the hours its new snapshots fall in, from those hours' listings. -#}
with touched as (
    select distinct
        l.production_id,
        date_trunc('hour', l.captured_at) as bucket_start
    from {{ ref('stg_vividseats__listings') }} as l
    {% if is_incremental() %}
        where l.load_id > {{ load_cursor() }}
    {% endif %}
),

in_hours as (
    select
        l.production_id,
        l.section,
        h.bucket_start,
        l.listing_id,
        l.captured_at,
        l.all_in_price,
        l.quantity,
        l.load_id
    from {{ ref('stg_vividseats__listings') }} as l
    -- an equality join (hash), not a range join: a full build joins every listing row
    inner join touched as h
        on
            l.production_id = h.production_id
            and date_trunc('hour', l.captured_at) = h.bucket_start
    where l.captured_at >= (select min(h2.bucket_start) from touched as h2)
),

per_listing as (
    select
        i.production_id,
        (array_agg(i.section order by i.captured_at desc))[1] as section,
        i.bucket_start,
        i.listing_id,
        min(i.all_in_price) as min_price,
        (array_agg(i.all_in_price order by i.captured_at desc))[1] as last_price,
        (array_agg(i.quantity order by i.captured_at desc))[1] as last_quantity,
        max(i.captured_at) as last_seen_at,
        max(i.load_id) as load_id
    from in_hours as i
    group by i.production_id, i.bucket_start, i.listing_id
)

{{ event_price_buckets('per_listing') }}
