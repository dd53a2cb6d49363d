{{ rollup_tier_config() }}
{{ rollup_from_buckets('week', ref('fct_prices_daily')) }}
