select
    market_id,
    source,
    market_name,
    region,
    market_kind,
    currency,
    null::text as supply_market_id
from {{ ref('markets') }}

union all

select
    w.market_id,
    w.source,
    w.market_name,
    w.region,
    w.market_kind,
    w.currency,
    w.supply_market_id
from {{ ref('int_wow_auctions__markets') }} as w

union all

select
    d.market_id,
    d.source,
    d.market_name,
    d.region,
    d.market_kind,
    d.currency,
    d.supply_market_id
from {{ ref('int_dofus_market__markets') }} as d
