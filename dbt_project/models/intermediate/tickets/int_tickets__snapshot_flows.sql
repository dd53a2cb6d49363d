{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['production_id', 'section', 'captured_at'],
        indexes=[
            {'columns': ['production_id', 'captured_at']},
            {'columns': ['load_id']},
        ],
    )
}}

{#- What changed in each section between an event's snapshot and its previous one:
    listings gone (sold, or pulled by the seller: the API does not say which) and the
    tickets they held, tickets sold out of listings still up (quantity went down), and
    new listings and tickets. Only the new snapshots and their predecessors are read. -#}
with new_snapshots as (
    select
        s.production_id,
        s.captured_at,
        s.previous_captured_at,
        s.load_id
    from {{ ref('int_tickets__event_snapshots') }} as s
    where
        s.previous_captured_at is not null
        {% if is_incremental() %}
            and s.load_id > {{ load_cursor() }}
        {% endif %}
),

listings as (
    select
        l.production_id,
        l.captured_at,
        l.listing_id,
        l.section,
        l.quantity
    from {{ ref('stg_vividseats__listings') }} as l
    where l.captured_at >= (select min(n.previous_captured_at) from new_snapshots as n)
),

now_books as (
    select
        l.*,
        n.captured_at as pair_at,
        n.load_id
    from listings as l
    inner join new_snapshots as n
        on l.production_id = n.production_id and l.captured_at = n.captured_at
),

before_books as (
    select
        l.*,
        n.captured_at as pair_at,
        n.load_id
    from listings as l
    inner join new_snapshots as n
        on l.production_id = n.production_id and l.captured_at = n.previous_captured_at
),

pairs as (
    select
        coalesce(c.production_id, b.production_id) as production_id,
        coalesce(c.section, b.section) as section,
        coalesce(c.pair_at, b.pair_at) as captured_at,
        coalesce(c.load_id, b.load_id) as load_id,
        c.quantity as quantity_now,
        b.quantity as quantity_before
    from now_books as c
    full join before_books as b
        on
            c.production_id = b.production_id
            and c.pair_at = b.pair_at
            and c.listing_id = b.listing_id
)

select
    p.production_id,
    p.section,
    p.captured_at,
    count(*) filter (where p.quantity_now is null) as listings_gone,
    sum(
        case
            when p.quantity_now is null then p.quantity_before
            when p.quantity_before > p.quantity_now then p.quantity_before - p.quantity_now
            else 0
        end
    ) as tickets_gone,
    count(*) filter (where p.quantity_before is null) as listings_new,
    sum(
        case
            when p.quantity_before is null then p.quantity_now
            when p.quantity_now > p.quantity_before then p.quantity_now - p.quantity_before
            else 0
        end
    ) as tickets_new,
    max(p.load_id) as load_id
from pairs as p
group by p.production_id, p.section, p.captured_at
