{#- One row per event that was ever tracked or has data (a production record, listings):
    what it is, as its newest production record says (the config's note and venue only
    until one is fetched), whether the config still tracks it and it is upcoming, how its
    last fetch went, and its book at the newest snapshot. The config decides what is
    fetched, never which events exist: a replayed archive without its tracked_events
    file, or an event removed from the config, keeps its row (is_tracked false). -#}
with configs as (
    select * from {{ ref('int_tickets__tracked_events') }}
),

ids as (
    select production_id from configs
    union
    select production_id from {{ ref('int_tickets__events') }}
    union
    select production_id from {{ ref('int_tickets__sections') }}
)

select
    i.production_id,
    coalesce(e.production_name, c.note, 'production ' || i.production_id) as event_name,
    e.event_local_at,
    e.event_date,
    coalesce(e.venue_name, c.venue) as venue_name,
    e.venue_city,
    c.performer,
    c.resolved_from,
    coalesce(c.is_tracked, false) as is_tracked,
    coalesce(e.event_date < {{ tick_date() }}, false) as is_past,
    e.event_date - {{ tick_date() }} as days_to_event,
    f.fetched_at as last_fetched_at,
    f.fetch_status as last_fetch_status,
    f.detail as last_fetch_detail,
    s.captured_at as last_snapshot_at,
    s.listings,
    s.tickets,
    s.get_in_price
from ids as i
left join configs as c on i.production_id = c.production_id
left join {{ ref('int_tickets__events') }} as e on i.production_id = e.production_id
left join lateral (
    select
        x.fetched_at,
        x.fetch_status,
        x.detail
    from {{ ref('stg_vividseats__fetch_events') }} as x
    where x.production_id = i.production_id
    order by x.fetched_at desc
    limit 1
) as f on true
left join lateral (
    select
        x.captured_at,
        x.listings,
        x.tickets,
        x.get_in_price
    from {{ ref('int_tickets__event_snapshots') }} as x
    where x.production_id = i.production_id
    order by x.captured_at desc
    limit 1
) as s on true
