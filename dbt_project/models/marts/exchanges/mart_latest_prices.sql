{#- One row per exchange asset with a price, tracked or not (is_tracked): the price now and
    its 24-hour change (docs/formulas.md#exchanges). Binance from the newest 24h ticker (a
    live price); Yahoo, and a Binance symbol the newest ticker no longer covers (dropped
    from the config), from its newest daily candle against the one before it. Each asset is
    one index probe, not a scan of history. -#}
with assets as (
    select * from {{ ref('int_exchanges__assets') }}
),

newest_ticker as (
    select max(t.captured_at) as captured_at from {{ ref('stg_binance__tickers') }} as t
),

binance as (
    select
        t.provider_symbol,
        t.last_price as price,
        round(t.change_24h_pct, 4) as change_24h_pct,
        t.updated_at
    from {{ ref('stg_binance__tickers') }} as t
    where t.captured_at = (select n.captured_at from newest_ticker as n)
),

bars as (
    select
        a.item_id,
        b.close as price,
        b.bucket_start,
        b.last_observed_at,
        lag(b.close) over (partition by a.item_id order by b.bucket_start) as previous_close,
        row_number() over (partition by a.item_id order by b.bucket_start desc) as newest_first
    from assets as a
    cross join
        lateral (
            select
                d.close,
                d.bucket_start,
                d.last_observed_at
            from {{ ref('fct_prices_daily') }} as d
            where d.market_id = a.market_id and d.item_id = a.item_id
            order by d.bucket_start desc
            limit 2
        ) as b
)

select
    a.symbol,
    a.asset_name,
    a.asset_type,
    a.item_id,
    a.market_id,
    a.source,
    a.currency,
    a.is_tracked,
    coalesce(bn.price, y.price) as price,
    coalesce(
        bn.change_24h_pct,
        round((y.price - y.previous_close) / nullif(y.previous_close, 0) * 100, 4)
    ) as change_24h_pct,
    coalesce(bn.updated_at, y.last_observed_at) as updated_at
from assets as a
left join binance as bn on a.source = 'binance' and a.provider_symbol = bn.provider_symbol
left join bars as y on a.item_id = y.item_id and y.newest_first = 1
where coalesce(bn.price, y.price) is not null
