select * from {{ ref('int_osrs_prices__items') }}
