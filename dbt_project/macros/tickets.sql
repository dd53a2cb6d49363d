{#- The tickets marts' bucket aggregate (hourly and daily alike), from one row per
    listing × bucket (`per_listing`: production_id, section, bucket_start, listing_id,
    min_price, last_price, last_quantity, last_seen_at, load_id):
    * get_in_price: the cheapest all-in price any listing asked during the bucket;
    * median_price, avg_price: over the listings on sale during the bucket, each once,
      at its last price in the bucket (a listing up for the whole hour is not counted
      four times; one up for five minutes still counts);
    * listings, tickets: the listings on sale at any time in the bucket, and their
      tickets (each at its last quantity);
    * close_listings, close_tickets: what was on sale at the event's last snapshot with
      listings in the bucket. -#}
{% macro event_price_buckets(per_listing) %}
    select
        p.production_id,
        p.section,
        p.bucket_start,
        min(p.min_price) as get_in_price,
        round((percentile_cont(0.5) within group (order by p.last_price))::numeric, 3)
            as median_price,
        round(avg(p.last_price), 2) as avg_price,
        count(*) as listings,
        sum(p.last_quantity) as tickets,
        count(*) filter (where p.last_seen_at = c.close_at) as close_listings,
        coalesce(sum(p.last_quantity) filter (where p.last_seen_at = c.close_at), 0)
            as close_tickets,
        max(p.load_id) as load_id
    from {{ per_listing }} as p
    inner join (
        select
            production_id,
            bucket_start,
            max(last_seen_at) as close_at
        from {{ per_listing }}
        group by production_id, bucket_start
    ) as c
        on p.production_id = c.production_id and p.bucket_start = c.bucket_start
    group by p.production_id, p.section, p.bucket_start
{% endmacro %}
