{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['market_id', 'item_id', 'resolution', 'observed_at'],
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['market_id', 'item_id', 'observed_at']},
            {'columns': ['load_id']},
            {'columns': ['source', 'load_id']},
            {'columns': ['observed_at'], 'type': 'brin'},
        ],
    )
}}

{#- One row per item × market × resolution × observed_at. A tick reads only raw rows
    from dlt loads newer than the newest one already here (load_id), so its cost follows
    the new data, not the history. A backfill (Dagster partitions, `snapmart backfill`)
    passes rebuild_from / rebuild_to and also re-reads every row observed in that range;
    it keeps the load cursor so a tick's load that landed meanwhile is not skipped. -#}
select
    o.item_id,
    o.market_id,
    o.source,
    o.observed_at,
    o.resolution,
    o.is_rollup_input,
    o.price,
    o.price_open,
    o.price_high,
    o.price_low,
    o.volume,
    o.listings,
    o.quantity_listed,
    o.load_id
from {{ ref('int_markets__price_observations') }} as o
{% if is_incremental() %}
    where
        o.load_id > {{ load_cursor() }}
        {% if var('rebuild_from', none) and var('rebuild_to', none) %}
            or (
                o.observed_at >= cast('{{ var("rebuild_from") }}' as timestamptz)
                and o.observed_at < cast('{{ var("rebuild_to") }}' as timestamptz)
            )
        {% endif %}
{% endif %}
