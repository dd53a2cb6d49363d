{{ rollup_tier_config() }}
{{ rollup_from_buckets('month', ref('fct_prices_daily')) }}
