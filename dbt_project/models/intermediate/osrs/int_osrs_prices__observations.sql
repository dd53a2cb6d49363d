{#- OSRS buckets in the unified observation shape (docs/formulas.md#unified-observations):
    price is the mean of the non-null average insta-buy and insta-sell prices; high/low are
    those two. The 5m buckets feed the rollups; 1h buckets are kept for analysts but not
    rolled up again. -#}
{% for resolution in ['5m', '1h'] %}
    select
        'osrs_prices:' || b.source_item_id as item_id,
        'osrs-ge' as market_id,
        'osrs_prices' as source,
        b.bucket_at as observed_at,
        '{{ resolution }}' as resolution,
        {{ 'true' if resolution == '5m' else 'false' }} as is_rollup_input,
        round(
            case
                when b.avg_high_price is not null and b.avg_low_price is not null
                    then (b.avg_high_price + b.avg_low_price) / 2.0
                else coalesce(b.avg_high_price, b.avg_low_price)
            end,
            4
        ) as price,
        null::numeric as price_open,
        b.avg_high_price::numeric as price_high,
        b.avg_low_price::numeric as price_low,
        (b.high_price_volume + b.low_price_volume)::numeric as volume,
        null::bigint as listings,
        null::bigint as quantity_listed,
        b.load_id
    from {{ ref('stg_osrs_prices__prices_' ~ resolution) }} as b
    where b.avg_high_price is not null or b.avg_low_price is not null
    {% if not loop.last %}union all{% endif %}
{% endfor %}
