{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['item_id'],
        indexes=[{'columns': ['item_id'], 'unique': true}, {'columns': ['load_id']}],
    )
}}

{#- Every exchange asset the data holds (a kline, a 24h ticker, a daily bar with a
    close), whether or not the config lists it now or ever did: a replayed archive
    without its tracked_assets file, or a symbol dropped from the config, keeps its
    dimension row. Incremental by dlt load: a tick reads only its own loads' rows (the
    raw tables' load-id index) and folds them into the asset's row, so minute klines
    piling up in raw never make this a scan. The currency is the one Yahoo's chart
    meta gave with the asset's newest bar (Binance answers carry none). -#}
{#- a full build reads every load (load ids are positive) -#}
{% set cursor = load_cursor() if is_incremental() else 0 %}

with new_rows as (
    select
        'binance:' || k.provider_symbol as item_id,
        'binance' as source,
        k.provider_symbol,
        null::text as currency,
        k.open_time as observed_at,
        k.load_id
    from {{ ref('stg_binance__klines') }} as k
    where k.load_id > {{ cursor }}

    union all

    select
        'binance:' || tk.provider_symbol as item_id,
        'binance' as source,
        tk.provider_symbol,
        null::text as currency,
        tk.updated_at as observed_at,
        tk.load_id
    from {{ ref('stg_binance__tickers') }} as tk
    where tk.load_id > {{ cursor }}

    union all

    select
        'yahoo_finance:' || b.provider_symbol as item_id,
        'yahoo_finance' as source,
        b.provider_symbol,
        b.currency,
        b.bar_at as observed_at,
        b.load_id
    from {{ ref('stg_yahoo_finance__daily_bars') }} as b
    -- an empty bar (null prices) is no observation, as in int_exchanges__observations
    where b.close_price is not null and b.load_id > {{ cursor }}
),

grouped as (
    select
        item_id,
        source,
        provider_symbol,
        min(observed_at) as first_observed_at,
        max(observed_at) as last_observed_at,
        max(load_id) as load_id
    from new_rows
    group by item_id, source, provider_symbol
),

newest_currency as (
    select distinct on (item_id)
        item_id,
        currency,
        observed_at
    from new_rows
    where currency is not null
    order by item_id asc, observed_at desc
),

previous as (
    {% if is_incremental() %}
        select
            p.item_id,
            p.currency,
            p.currency_at,
            p.first_observed_at,
            p.last_observed_at
        from {{ this }} as p
        where p.item_id in (select g.item_id from grouped as g)
    {% else %}
        select
            null::text as item_id,
            null::text as currency,
            null::timestamptz as currency_at,
            null::timestamptz as first_observed_at,
            null::timestamptz as last_observed_at
        where false
    {% endif %}
)

select
    g.item_id,
    case g.source when 'binance' then 'binance-spot' else 'yahoo-us' end as market_id,
    g.source,
    g.provider_symbol,
    -- a late load of older bars does not overwrite the newer bar's currency
    case
        when p.currency_at > c.observed_at or c.currency is null then p.currency
        else c.currency
    end as currency,
    case
        when p.currency_at > c.observed_at or c.currency is null then p.currency_at
        else c.observed_at
    end as currency_at,
    least(g.first_observed_at, p.first_observed_at) as first_observed_at,
    greatest(g.last_observed_at, p.last_observed_at) as last_observed_at,
    g.load_id
from grouped as g
left join newest_currency as c on g.item_id = c.item_id
left join previous as p on g.item_id = p.item_id
