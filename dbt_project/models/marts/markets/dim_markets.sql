select
    market_id,
    source,
    market_name,
    region,
    market_kind,
    currency
from {{ ref('markets') }}
