{#- Event sections in the dim_items shape. -#}
select
    'vividseats:' || s.production_id || ':' || s.section as item_id,
    'vividseats' as source,
    s.production_id || ':' || s.section as source_item_id,
    coalesce(e.production_name, 'production ' || s.production_id) || ' - ' || s.section
        as item_name,
    'event section' as category,
    jsonb_build_object(
        'production_id', s.production_id,
        'section', s.section,
        'event_date', e.event_date,
        'venue', e.venue_name
    ) as attributes
from {{ ref('int_tickets__sections') }} as s
left join {{ ref('int_tickets__events') }} as e on s.production_id = e.production_id
