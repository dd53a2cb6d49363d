{#- Every exchange asset that either source was ever told to track or holds data of: one
    row per provider symbol, keyed like dim_items. The config only decides what is
    fetched (is_tracked: in its provider's newest config version, which may name no
    asset at all); an asset with facts and no config line (a replayed archive without its
    tracked_assets file) keeps its row, described from the API answers: a Binance spot
    symbol is its base asset followed by its quote asset (exchangeInfo's baseAsset ||
    quoteAsset, e.g. BTC + USDT), so the longest known quote asset it ends with gives the
    symbol and the currency; a Yahoo symbol is ours as it is, with the currency of its
    newest bar (chart meta.currency).
    Binance lists only crypto; whether a Yahoo symbol is a stock or an ETF is not in the
    bars, so its asset_type stays null until a config line says. -#}
with configs as (
    select * from {{ ref('stg_binance__tracked_assets') }}
    union all
    select * from {{ ref('stg_yahoo_finance__tracked_assets') }}
),

newest as (
    select distinct on (provider, provider_symbol) *
    from configs
    order by provider asc, provider_symbol asc, config_version_at desc
),

current_versions as (
    -- from every loaded version, an empty one included (it tracks nothing)
    select
        'binance' as provider,
        max(config_version_at) as config_version_at
    from {{ ref('stg_binance__config_versions') }}
    union all
    select
        'yahoo_finance' as provider,
        max(config_version_at) as config_version_at
    from {{ ref('stg_yahoo_finance__config_versions') }}
),

configured as (
    select
        n.provider || ':' || n.provider_symbol as item_id,
        n.provider as source,
        n.symbol,
        nullif(n.asset_name, '') as asset_name,
        n.asset_type,
        n.provider_symbol,
        nullif(n.currency, '') as currency,
        n.config_version_at = c.config_version_at as is_tracked
    from newest as n
    inner join current_versions as c on n.provider = c.provider
),

observed as (
    select * from {{ ref('int_exchanges__observed_assets') }}
),

-- Binance's spot quote assets (GET /api/v3/exchangeInfo, symbols[].quoteAsset)
quote_assets (quote_asset) as (
    values
    ('USDT'), ('USDC'), ('FDUSD'), ('TUSD'), ('BUSD'), ('USDP'), ('DAI'), ('PAX'),
    ('AEUR'), ('EURI'), ('BTC'), ('ETH'), ('BNB'), ('XRP'), ('TRX'), ('DOGE'), ('DOT'),
    ('EUR'), ('GBP'), ('AUD'), ('TRY'), ('BRL'), ('JPY'), ('MXN'), ('PLN'), ('RON'),
    ('ARS'), ('ZAR'), ('UAH'), ('IDR'), ('COP'), ('CZK'), ('RUB'), ('NGN'), ('BIDR'),
    ('IDRT'), ('BVND'), ('VAI')
),

binance_pairs as (
    select distinct on (o.item_id)
        o.item_id,
        left(o.provider_symbol, length(o.provider_symbol) - length(q.quote_asset))
            as base_asset,
        q.quote_asset
    from observed as o
    inner join quote_assets as q
        on
            o.source = 'binance'
            and right(o.provider_symbol, length(q.quote_asset)) = q.quote_asset
            and length(o.provider_symbol) > length(q.quote_asset)
    order by o.item_id asc, length(q.quote_asset) desc
)

select
    coalesce(f.item_id, o.item_id) as item_id,
    case coalesce(f.source, o.source) when 'binance' then 'binance-spot' else 'yahoo-us' end
        as market_id,
    coalesce(f.source, o.source) as source,
    coalesce(f.symbol, p.base_asset, o.provider_symbol) as symbol,
    coalesce(f.asset_name, f.symbol, p.base_asset, o.provider_symbol) as asset_name,
    coalesce(f.asset_type, case when o.source = 'binance' then 'crypto' end) as asset_type,
    coalesce(f.provider_symbol, o.provider_symbol) as provider_symbol,
    coalesce(f.currency, o.currency, p.quote_asset) as currency,
    coalesce(f.is_tracked, false) as is_tracked,
    o.first_observed_at,
    o.last_observed_at
from configured as f
full join observed as o on f.item_id = o.item_id
left join binance_pairs as p on o.item_id = p.item_id
