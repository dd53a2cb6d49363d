{{ rollup_tier_config() }}
{#- Sub-daily observations only: a daily candle (1d kline, stock bar) is the daily tier's. -#}
{{ rollup_from_observations('hour', ref('fct_price_observations'), "is distinct from '1d'") }}
