{#- One row per event ever tracked or fetched: what it is, whether it is still tracked
    and upcoming, how its last fetch went, and its book at the newest snapshot. -#}
with configs as (
    select distinct on (t.production_id)
        t.production_id,
        t.performer,
        t.venue,
        t.note,
        t.resolved_from,
        t.config_version_at
    from {{ ref('stg_vividseats__tracked_events') }} as t
    order by t.production_id asc, t.config_version_at desc
),

newest_config as (
    select max(config_version_at) as version_at
    from {{ ref('stg_vividseats__tracked_events') }}
),

ids as (
    select production_id from configs
    union
    select production_id from {{ ref('int_tickets__events') }}
)

select
    i.production_id,
    coalesce(e.production_name, c.note) as event_name,
    e.event_local_at,
    e.event_date,
    e.venue_name,
    e.venue_city,
    c.performer,
    coalesce(c.resolved_from, 'production_id') as resolved_from,
    coalesce(c.config_version_at = n.version_at, false) as is_tracked,
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
cross join newest_config as n
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
