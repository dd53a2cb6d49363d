{#- One row per server × item × lot size × capture. A lot whose price is identical to the
    previous capture of the same server, item and lot, no more than 10 minutes earlier,
    is a repeat (clients re-send pages they just saw) and is flagged, not counted twice. -#}
with lots as (
    select
        o.server,
        o.source_item_id,
        o.captured_at,
        l.lot_size,
        l.lot_price,
        o.load_id
    from {{ ref('stg_dofus_market__observations') }} as o
    cross join lateral (
        values (1, o.price_x1), (10, o.price_x10), (100, o.price_x100)
    ) as l (lot_size, lot_price)
),

sequenced as (
    select
        lots.*,
        lag(lots.lot_price) over lot_history as previous_price,
        lag(lots.captured_at) over lot_history as previous_at
    from lots
    window lot_history as (
        partition by lots.server, lots.source_item_id, lots.lot_size
        order by lots.captured_at
    )
)

select
    server,
    source_item_id,
    captured_at,
    lot_size,
    lot_price,
    lot_price::numeric / lot_size as unit_price,
    coalesce(
        previous_at is not null
        and captured_at - previous_at <= interval '10 minutes'
        and lot_price is not distinct from previous_price,
        false
    ) as is_repeat,
    load_id
from sequenced
