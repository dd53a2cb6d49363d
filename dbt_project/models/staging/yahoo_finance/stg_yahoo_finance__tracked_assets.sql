select
    symbol,
    name as asset_name,
    asset_type,
    provider,
    provider_symbol,
    currency,
    captured_at as config_version_at,
    _dlt_load_id::numeric as load_id
from {{ source('yahoo_finance', 'tracked_assets') }}
