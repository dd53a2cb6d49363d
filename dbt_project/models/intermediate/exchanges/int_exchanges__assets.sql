{#- Every asset either exchange source was ever told to track, as of its newest config
    line: one row per provider symbol, keyed like dim_items. -#}
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
    select
        provider,
        max(config_version_at) as config_version_at
    from configs
    group by provider
)

select
    n.provider || ':' || n.provider_symbol as item_id,
    case n.provider when 'binance' then 'binance-spot' else 'yahoo-us' end as market_id,
    n.provider as source,
    n.symbol,
    n.asset_name,
    n.asset_type,
    n.provider_symbol,
    n.currency,
    n.config_version_at = c.config_version_at as is_tracked
from newest as n
inner join current_versions as c on n.provider = c.provider
