select
    market_id,
    source,
    market_name,
    region,
    market_kind,
    currency
from {{ ref('markets') }}

union all

select
    w.market_id,
    w.source,
    w.market_name,
    w.region,
    w.market_kind,
    w.currency
from {{ ref('int_wow_auctions__markets') }} as w
