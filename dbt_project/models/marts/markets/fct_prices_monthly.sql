{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['market_id', 'item_id', 'bucket_start'],
        indexes=[
            {'columns': ['market_id', 'item_id', 'bucket_start'], 'unique': true},
            {'columns': ['max_load_id']},
        ],
    )
}}
{{ rollup_from_buckets('month', ref('fct_prices_daily')) }}
