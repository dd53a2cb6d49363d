{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['production_id', 'listing_id', 'day'],
        indexes=[
            {'columns': ['production_id', 'listing_id', 'day'], 'unique': true},
            {'columns': ['production_id', 'day']},
            {'columns': ['load_id']},
        ],
    )
}}

{#- One row per listing × UTC day it was on sale: where it was, its cheapest and its
    last all-in price that day, its first and last quantity. A tick merges the new
    snapshots into the day's rows, so the daily marts never re-read a day of raw
    snapshots (a thousand listings × 96 snapshots per event). -#}
with new_rows as (
    select
        l.production_id,
        l.listing_id,
        (l.captured_at at time zone 'UTC')::date as day,
        l.captured_at,
        l.section,
        l.seat_row,
        l.quantity,
        l.all_in_price,
        l.load_id
    from {{ ref('stg_vividseats__listings') }} as l
    {% if is_incremental() %}
        where l.load_id > {{ load_cursor() }}
    {% endif %}
),

days as (
    select
        n.production_id,
        n.listing_id,
        n.day,
        min(n.captured_at) as first_seen_at,
        max(n.captured_at) as last_seen_at,
        (array_agg(n.section order by n.captured_at desc))[1] as section,
        (array_agg(n.seat_row order by n.captured_at desc))[1] as seat_row,
        (array_agg(n.quantity order by n.captured_at))[1] as first_quantity,
        (array_agg(n.quantity order by n.captured_at desc))[1] as last_quantity,
        min(n.all_in_price) as min_all_in_price,
        (array_agg(n.all_in_price order by n.captured_at desc))[1] as last_all_in_price,
        max(n.load_id) as load_id
    from new_rows as n
    group by n.production_id, n.listing_id, n.day
)

{% if is_incremental() %}
    select
        d.production_id,
        d.listing_id,
        d.day,
        least(d.first_seen_at, t.first_seen_at) as first_seen_at,
        greatest(d.last_seen_at, t.last_seen_at) as last_seen_at,
        case when t.last_seen_at > d.last_seen_at then t.section else d.section end as section,
        case when t.last_seen_at > d.last_seen_at then t.seat_row else d.seat_row end as seat_row,
        case
            when t.first_seen_at < d.first_seen_at then t.first_quantity else d.first_quantity
        end as first_quantity,
        case
            when t.last_seen_at > d.last_seen_at then t.last_quantity else d.last_quantity
        end as last_quantity,
        least(d.min_all_in_price, t.min_all_in_price) as min_all_in_price,
        case
            when t.last_seen_at > d.last_seen_at then t.last_all_in_price
            else d.last_all_in_price
        end as last_all_in_price,
        d.load_id
    from days as d
    left join {{ this }} as t
        on d.production_id = t.production_id and d.listing_id = t.listing_id and d.day = t.day
{% else %}
    select * from days
{% endif %}
