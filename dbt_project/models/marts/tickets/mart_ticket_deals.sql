{#- Listings in each upcoming event's newest snapshot priced at least
    `deal_discount_pct` % (20) under the median all-in price of their section in that
    snapshot, in sections with at least `deal_min_section_listings` (3) listings (a
    section's only listing is never "under its median"). Snapshots older than
    `deals_max_age_hours` (24) before the newest one are left out: a stale book is
    not a deal. -#}
with events as (
    select e.*
    from {{ ref('int_tickets__events') }} as e
    where e.event_date >= {{ tick_date() }}
),

latest as (
    select
        e.production_id,
        s.captured_at
    from events as e
    cross join lateral (
        select x.captured_at
        from {{ ref('int_tickets__event_snapshots') }} as x
        where x.production_id = e.production_id and x.listings > 0
        order by x.captured_at desc
        limit 1
    ) as s
),

fresh as (
    select l.*
    from latest as l
    where
        l.captured_at >= (select max(l2.captured_at) from latest as l2)
        - make_interval(hours => {{ var('deals_max_age_hours', 24) }})
),

sections as (
    select s.*
    from {{ ref('int_tickets__section_snapshots') }} as s
    inner join fresh as f on s.production_id = f.production_id and s.captured_at = f.captured_at
    where s.listings >= {{ var('deal_min_section_listings', 3) }}
)

select
    l.production_id,
    e.production_name as event_name,
    e.event_date,
    e.event_date - {{ tick_date() }} as days_to_event,
    l.section,
    l.listing_id,
    l.seat_row,
    l.quantity,
    l.price,
    l.all_in_price,
    s.median_price as section_median_price,
    s.get_in_price as section_get_in_price,
    s.listings as section_listings,
    round(s.median_price - l.all_in_price, 2) as saving,
    round(100 * (s.median_price - l.all_in_price) / s.median_price, 2) as discount_pct,
    l.notes,
    l.captured_at
from {{ ref('stg_vividseats__listings') }} as l
inner join sections as s
    on
        l.production_id = s.production_id
        and l.captured_at = s.captured_at
        and l.section = s.section
inner join events as e on l.production_id = e.production_id
where
    l.captured_at >= (select min(f.captured_at) from fresh as f)
    and l.all_in_price <= (1 - {{ var('deal_discount_pct', 20) }} / 100.0) * s.median_price
