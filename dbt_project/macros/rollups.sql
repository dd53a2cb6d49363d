{#- The config every OHLC tier shares: incremental delete+insert on its grain, with the
    grain, the load id and a BRIN on time indexed. -#}
{% macro rollup_tier_config() %}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['market_id', 'item_id', 'bucket_start'],
        indexes=[
            {'columns': ['market_id', 'item_id', 'bucket_start'], 'unique': true},
            {'columns': ['max_load_id']},
            {'columns': ['bucket_start'], 'type': 'brin'},
        ],
    ) }}
{% endmacro %}

{#- OHLC rollups. A tick recomputes only the buckets that received new rows (found by
    load id), from all rows of those buckets, so late observations land correctly.
    Observations use price_open/high/low where present (candles keep true OHLC), else
    the first/last/max/min price. -#}
{% macro rollup_from_observations(part, observations, resolution_filter=none) %}
with
{% if is_incremental() %}
touched as (
    select distinct
        o.market_id,
        o.item_id,
        {{ utc_bucket(part, 'o.observed_at') }} as bucket_start
    from {{ observations }} as o
    where o.is_rollup_input
      and o.load_id > {{ load_cursor('max_load_id') }}
      {% if resolution_filter %}and o.resolution {{ resolution_filter }}{% endif %}
),
{% endif %}
obs as (
    select
        o.*,
        {{ utc_bucket(part, 'o.observed_at') }} as bucket_start
    from {{ observations }} as o
    {% if is_incremental() %}
        inner join touched as t
            on o.market_id = t.market_id
            and o.item_id = t.item_id
            and o.observed_at >= t.bucket_start
            and o.observed_at < t.bucket_start + {{ bucket_interval(part) }}
    {% endif %}
    where o.is_rollup_input
    {% if resolution_filter %}and o.resolution {{ resolution_filter }}{% endif %}
)
select
    market_id,
    item_id,
    bucket_start,
    (array_agg(coalesce(price_open, price) order by observed_at))[1] as open,
    max(greatest(price_high, price_low, price)) as high,
    min(least(price_high, price_low, price)) as low,
    (array_agg(price order by observed_at desc))[1] as close,
    round(avg(price), 9) as avg_price,
    round(sum(price * volume) / nullif(sum(volume), 0), 9) as vwap,
    sum(volume) as volume,
    count(*) as observations,
    min(observed_at) as first_observed_at,
    max(observed_at) as last_observed_at,
    max(load_id) as max_load_id
from obs
group by market_id, item_id, bucket_start
{% endmacro %}

{% macro rollup_from_buckets(part, buckets) %}
with
{% if is_incremental() %}
touched as (
    select distinct
        b.market_id,
        b.item_id,
        {{ utc_bucket(part, 'b.bucket_start') }} as bucket_start
    from {{ buckets }} as b
    where b.max_load_id > {{ load_cursor('max_load_id') }}
),
{% endif %}
src as (
    select
        b.*,
        {{ utc_bucket(part, 'b.bucket_start') }} as rollup_start
    from {{ buckets }} as b
    {% if is_incremental() %}
        inner join touched as t
            on b.market_id = t.market_id
            and b.item_id = t.item_id
            and b.bucket_start >= t.bucket_start
            and b.bucket_start < t.bucket_start + {{ bucket_interval(part) }}
    {% endif %}
)
select
    market_id,
    item_id,
    rollup_start as bucket_start,
    (array_agg(open order by bucket_start))[1] as open,
    max(high) as high,
    min(low) as low,
    (array_agg(close order by bucket_start desc))[1] as close,
    round(sum(avg_price * observations) / sum(observations), 9) as avg_price,
    round(
        sum(vwap * volume) filter (where vwap is not null)
        / nullif(sum(volume) filter (where vwap is not null), 0),
        9
    ) as vwap,
    sum(volume) as volume,
    sum(observations) as observations,
    min(first_observed_at) as first_observed_at,
    max(last_observed_at) as last_observed_at,
    max(max_load_id) as max_load_id
from src
group by market_id, item_id, rollup_start
{% endmacro %}
