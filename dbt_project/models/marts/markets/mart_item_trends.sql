{#- One row per item × market: where its price is and where it is heading
    (docs/formulas.md#trends).

    as_of        the item's latest observation; every window is measured back from it.
                 Items listed: those observed within trend_lookback_days of their own
                 market's newest hour.
    change_X_pct 100 × (price − price X ago) / price X ago, where "price X ago" is the
                 last observation at or before as_of − X.
    ma_7d/30d    mean daily close over the 7/30 UTC days ending on as_of's day.
    ema_7d       exponential average of daily closes, α = 2/(7+1) = 0.25, weights
                 0.75^k for the close k days before as_of's day, over the 30-day
                 window, normalised by the sum of weights present.
    volatility_30d  sample stdev of day-over-day % changes of daily closes (30 days).
    zscore_30d   (price − ma_30d) / sample stdev of the 30 daily closes.
    trend_state  σ = volatility_30d × price / 100 (in price units) compared with the
                 7-day move (price − price 7d ago): spiking > 2σ, increasing > 0.5σ,
                 crashing < −2σ, decreasing < −0.5σ, else stable; out_of_stock when the
                 last observation had no listing; null without 7 days of history.
    market_value snapshot listing sources (WoW, ...): mean snapshot value per UTC day
                 over the 14 days ending on as_of's day, day k days old weighted
                 2^(−k/2); null for sources without listing snapshots.
    forecast_*_1d next day's price: a random walk with drift on daily closes. Day to
                 day these prices move close to a random walk, so the best guess for
                 tomorrow is today's price moved by the average recent daily change:
                     forecast = price × (1 + μ/100), band = price × (1 + (μ ± 1.96 s)/100)
                 with μ = mean and s = sample stdev (= volatility_30d) of the day-over-
                 day % changes of the last 30 daily closes; the band holds ~95 % of next
                 days if changes are roughly normal. Null with fewer than
                 `forecast_min_changes` day-over-day changes; the low end stops at 0. -#}
with market_newest as (
    -- each market's own newest hour: a market whose source stopped (or started late)
    -- keeps its trends, whatever the other markets or the calendar say
    select
        market_id,
        max(bucket_start) as newest_bucket
    from {{ ref('fct_prices_hourly') }}
    group by market_id
),

latest as (
    select distinct on (h.market_id, h.item_id)
        h.market_id,
        h.item_id,
        h.last_observed_at as as_of,
        h.close as price
    from {{ ref('fct_prices_hourly') }} as h
    inner join market_newest as m
        on
            h.market_id = m.market_id
            and h.bucket_start >= m.newest_bucket - interval '{{ var("trend_lookback_days") }} days'
    order by h.market_id asc, h.item_id asc, h.bucket_start desc
),

last_obs as (
    select
        l.*,
        lo.listings
    from latest as l
    left join lateral (
        select o.listings
        from {{ ref('fct_price_observations') }} as o
        where
            o.market_id = l.market_id
            and o.item_id = l.item_id
            and o.is_rollup_input
            and o.observed_at = l.as_of
        order by o.resolution
        limit 1
    ) as lo on true
),

points as (
    select
        l.*,
        p1.price as price_1d_ago,
        p7.price as price_7d_ago,
        p30.price as price_30d_ago
    from last_obs as l
    {% for days in [1, 7, 30] %}
        left join lateral (
            select o.price
            from {{ ref('fct_price_observations') }} as o
            where
                o.market_id = l.market_id
                and o.item_id = l.item_id
                and o.is_rollup_input
                and o.observed_at <= l.as_of - interval '{{ days }} days'
            order by o.observed_at desc
            limit 1
        ) as p{{ days }} on true
    {% endfor %}
),

daily as (
    select
        d.market_id,
        d.item_id,
        d.close,
        ({{ utc_bucket('day', 'l.as_of') }}::date - d.bucket_start::date) as age_days,
        100.0 * (d.close / nullif(lag(d.close) over w, 0) - 1) as daily_change_pct
    from {{ ref('fct_prices_daily') }} as d
    inner join latest as l
        on
            d.market_id = l.market_id
            and d.item_id = l.item_id
            and d.bucket_start > {{ utc_bucket('day', 'l.as_of') }} - interval '30 days'
            and d.bucket_start <= l.as_of
    window w as (partition by d.market_id, d.item_id order by d.bucket_start)
),

stats as (
    select
        market_id,
        item_id,
        avg(close) filter (where age_days < 7) as ma_7d,
        avg(close) as ma_30d,
        sum(close * power(0.75, age_days)) / sum(power(0.75, age_days)) as ema_7d,
        stddev_samp(daily_change_pct) as volatility_30d,
        avg(daily_change_pct) as drift_pct,
        count(daily_change_pct) as day_changes,
        stddev_samp(close) as close_stddev_30d,
        count(*) as days_observed_30d
    from daily
    group by market_id, item_id
),

snapshot_days as (
    -- snapshot listing sources: mean snapshot value per UTC day of the 14 days to as_of
    select
        l.market_id,
        l.item_id,
        ({{ utc_bucket('day', 'l.as_of') }}::date - {{ utc_bucket('day', 'o.observed_at') }}::date)
            as age_days,
        avg(o.price) as day_value
    from latest as l
    inner join {{ ref('fct_price_observations') }} as o
        on
            l.market_id = o.market_id
            and l.item_id = o.item_id
            and o.resolution = 'snapshot'
            and o.observed_at > {{ utc_bucket('day', 'l.as_of') }} - interval '13 days'
            and l.as_of >= o.observed_at
    group by l.market_id, l.item_id, age_days
),

market_values as (
    select
        market_id,
        item_id,
        sum(day_value * power(2, -age_days / 2.0)) / sum(power(2, -age_days / 2.0)) as market_value
    from snapshot_days
    group by market_id, item_id
),

combined as (
    select
        p.market_id,
        p.item_id,
        p.price,
        s.ma_7d,
        s.ma_30d,
        s.ema_7d,
        {{ pct_change('p.price', 'p.price_1d_ago') }} as change_1d_pct,
        {{ pct_change('p.price', 'p.price_7d_ago') }} as change_7d_pct,
        {{ pct_change('p.price', 'p.price_30d_ago') }} as change_30d_pct,
        s.volatility_30d,
        (p.price - s.ma_30d) / nullif(s.close_stddev_30d, 0) as zscore_30d,
        coalesce(s.days_observed_30d, 0) as days_observed_30d,
        p.price - p.price_7d_ago as move_7d,
        s.volatility_30d * p.price / 100.0 as sigma,
        p.listings,
        mv.market_value,
        case
            when s.day_changes >= {{ var("forecast_min_changes") }}
                then p.price * (1 + s.drift_pct / 100.0)
        end as forecast_price_1d,
        case
            when s.day_changes >= {{ var("forecast_min_changes") }}
                then greatest(0, p.price * (1 + (s.drift_pct - 1.96 * s.volatility_30d) / 100.0))
        end as forecast_low_1d,
        case
            when s.day_changes >= {{ var("forecast_min_changes") }}
                then p.price * (1 + (s.drift_pct + 1.96 * s.volatility_30d) / 100.0)
        end as forecast_high_1d,
        p.as_of
    from points as p
    left join stats as s
        on
            p.market_id = s.market_id
            and p.item_id = s.item_id
    left join market_values as mv
        on
            p.market_id = mv.market_id
            and p.item_id = mv.item_id
)

select
    market_id,
    item_id,
    price,
    round(ma_7d, 4) as ma_7d,
    round(ma_30d, 4) as ma_30d,
    round(ema_7d, 4) as ema_7d,
    change_1d_pct,
    change_7d_pct,
    change_30d_pct,
    round(volatility_30d, 4) as volatility_30d,
    round(zscore_30d, 4) as zscore_30d,
    case
        when listings = 0 then 'out_of_stock'
        when move_7d is null or sigma is null then null
        when move_7d > 2 * sigma then 'spiking'
        when move_7d > 0.5 * sigma then 'increasing'
        when move_7d < -2 * sigma then 'crashing'
        when move_7d < -0.5 * sigma then 'decreasing'
        else 'stable'
    end as trend_state,
    round(market_value, 4) as market_value,
    days_observed_30d,
    round(forecast_price_1d, 4) as forecast_price_1d,
    round(forecast_low_1d, 4) as forecast_low_1d,
    round(forecast_high_1d, 4) as forecast_high_1d,
    as_of
from combined
