{{ rollup_tier_config() }}
{{ rollup_from_observations('hour', ref('fct_price_observations')) }}
