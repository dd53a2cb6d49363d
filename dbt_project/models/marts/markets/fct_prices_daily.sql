{{ rollup_tier_config() }}
{{ rollup_from_buckets('day', ref('fct_prices_hourly')) }}
