{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['production_id', 'captured_at'],
        indexes=[
            {'columns': ['production_id', 'captured_at'], 'unique': true},
            {'columns': ['load_id']},
        ],
    )
}}

{#- One row per listings snapshot of an event, empty ones included (every listings
    file loaded is a snapshot, even with no tickets), with the event's previous
    snapshot: the listing-count drop the sell-out check looks at, and the pair the
    sell-through flows compare. -#}
with snapshots as (
    select
        s.production_id,
        s.captured_at,
        s.load_id
    from {{ ref('stg_vividseats__listing_snapshots') }} as s
    {% if is_incremental() %}
        where s.load_id > {{ load_cursor() }}
    {% endif %}
),

books as (
    select
        c.production_id,
        c.captured_at,
        sum(c.listings) as listings,
        sum(c.tickets) as tickets,
        min(c.get_in_price) as get_in_price
    from {{ ref('int_tickets__section_snapshots') }} as c
    inner join snapshots as s
        on c.production_id = s.production_id and c.captured_at = s.captured_at
    group by c.production_id, c.captured_at
),

new_rows as (
    select
        s.production_id,
        s.captured_at,
        coalesce(b.listings, 0) as listings,
        coalesce(b.tickets, 0) as tickets,
        b.get_in_price,
        s.load_id
    from snapshots as s
    left join books as b
        on s.production_id = b.production_id and s.captured_at = b.captured_at
),

candidates as (
    select
        n.production_id,
        n.captured_at,
        n.listings,
        true as is_new
    from new_rows as n
    {% if is_incremental() %}
        union all
        -- each event's newest snapshot already here, before the new ones
        select
            p.production_id,
            p.captured_at,
            p.listings,
            false as is_new
        from (select distinct n.production_id from new_rows as n) as e
        cross join lateral (
            select
                t.production_id,
                t.captured_at,
                t.listings
            from {{ this }} as t
            where
                t.production_id = e.production_id
                and t.captured_at < (
                    select min(n2.captured_at) from new_rows as n2
                    where n2.production_id = e.production_id
                )
            order by t.captured_at desc
            limit 1
        ) as p
    {% endif %}
),

paired as (
    select
        c.production_id,
        c.captured_at,
        c.is_new,
        lag(c.captured_at) over w as previous_captured_at,
        lag(c.listings) over w as previous_listings
    from candidates as c
    window w as (partition by c.production_id order by c.captured_at)
)

select
    n.production_id,
    n.captured_at,
    n.listings,
    n.tickets,
    n.get_in_price,
    p.previous_captured_at,
    p.previous_listings,
    case
        when p.previous_listings > 0
            then round(100.0 * (p.previous_listings - n.listings) / p.previous_listings, 2)
    end as listings_drop_pct,
    n.load_id
from new_rows as n
inner join paired as p
    on n.production_id = p.production_id and n.captured_at = p.captured_at and p.is_new
