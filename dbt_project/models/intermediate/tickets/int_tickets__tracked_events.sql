{#- Every event any version of the events config resolved to, as its newest line there
    describes it, and whether the newest version (the one the fetch follows) still holds
    it. A version that resolved to no event (every line removed, or a performer with
    nothing upcoming) untracks them all; a version rejected whole is no version. -#}
with versions as (
    select v.config_version_at
    from {{ ref('stg_vividseats__config_versions') }} as v
    where v.events > 0 or v.events_rejected = 0

    union all

    select t.config_version_at
    from {{ ref('stg_vividseats__tracked_events') }} as t
),

newest_version as (
    select max(config_version_at) as version_at
    from versions
),

lines as (
    select distinct on (t.production_id)
        t.production_id,
        t.performer,
        t.venue,
        t.note,
        t.resolved_from,
        t.config_version_at
    from {{ ref('stg_vividseats__tracked_events') }} as t
    order by t.production_id asc, t.config_version_at desc
)

select
    l.production_id,
    l.performer,
    l.venue,
    l.note,
    l.resolved_from,
    l.config_version_at,
    l.config_version_at >= n.version_at as is_tracked
from lines as l
cross join newest_version as n
