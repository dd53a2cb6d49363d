{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['production_id', 'section', 'day'],
        indexes=[
            {'columns': ['production_id', 'section', 'day'], 'unique': true},
            {'columns': ['load_id']},
        ],
    )
}}

{#- Production × section × UTC day: the listings and tickets that disappeared (sold, or
    pulled: the API does not say which) and appeared between consecutive snapshots, what
    was left at the day's close, and when the section sells out if its last 7 days'
    net depletion (tickets gone − tickets new, per day observed) goes on. A tick
    recomputes only the days its new snapshots touched, reading 7 days of flows. -#}
with touched as (
    select distinct
        f.production_id,
        (f.captured_at at time zone 'UTC')::date as day
    from {{ ref('int_tickets__snapshot_flows') }} as f
    {% if is_incremental() %}
        where f.load_id > {{ load_cursor() }}
    {% endif %}
),

spans as (
    select
        production_id,
        min(day) - 6 as from_day,
        max(day) as to_day
    from touched
    group by production_id
),

flows as (
    select
        f.production_id,
        f.section,
        (f.captured_at at time zone 'UTC')::date as day,
        sum(f.listings_gone) as listings_gone,
        sum(f.tickets_gone) as tickets_gone,
        sum(f.listings_new) as listings_new,
        sum(f.tickets_new) as tickets_new,
        max(f.load_id) as load_id
    from {{ ref('int_tickets__snapshot_flows') }} as f
    inner join spans as s
        on
            f.production_id = s.production_id
            and f.captured_at >= (s.from_day::timestamp at time zone 'UTC')
            and f.captured_at < ((s.to_day + 1)::timestamp at time zone 'UTC')
    group by f.production_id, f.section, (f.captured_at at time zone 'UTC')::date
),

days as (
    select f.*
    from flows as f
    inner join touched as t on f.production_id = t.production_id and f.day = t.day
),

trailing_week as (
    select
        d.production_id,
        d.section,
        d.day,
        sum(w.tickets_gone) as tickets_gone_7d,
        sum(w.tickets_new) as tickets_new_7d,
        count(*) as days_observed
    from days as d
    inner join flows as w
        on
            d.production_id = w.production_id
            and d.section = w.section
            and w.day between d.day - 6 and d.day
    group by d.production_id, d.section, d.day
),

measured as (
    select
        d.production_id,
        d.section,
        d.day,
        e.event_date,
        e.event_date - d.day as days_to_event,
        d.listings_gone,
        d.tickets_gone,
        d.listings_new,
        d.tickets_new,
        coalesce(p.close_listings, 0) as listings_left,
        coalesce(p.close_tickets, 0) as tickets_left,
        round(r.tickets_gone_7d::numeric / r.days_observed, 2) as sell_rate_7d,
        round((r.tickets_gone_7d - r.tickets_new_7d)::numeric / r.days_observed, 2)
            as net_depletion_7d,
        d.load_id
    from days as d
    inner join trailing_week as r
        on d.production_id = r.production_id and d.section = r.section and d.day = r.day
    left join {{ ref('mart_event_prices_daily') }} as p
        on
            d.production_id = p.production_id
            and d.section = p.section
            and p.bucket_start = (d.day::timestamp at time zone 'UTC')
    left join {{ ref('int_tickets__events') }} as e on d.production_id = e.production_id
)

select
    m.production_id,
    m.section,
    m.day,
    m.event_date,
    m.days_to_event,
    m.listings_gone,
    m.tickets_gone,
    m.listings_new,
    m.tickets_new,
    m.listings_left,
    m.tickets_left,
    m.sell_rate_7d,
    m.net_depletion_7d,
    case
        when m.tickets_left = 0 then m.day
        when m.net_depletion_7d > 0
            then m.day + ceil(m.tickets_left / m.net_depletion_7d)::int
    end as projected_sellout_date,
    m.load_id
from measured as m
