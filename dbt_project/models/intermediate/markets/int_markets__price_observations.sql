{#- Every market source's observations in one shape; each source adds one line here. -#}
select * from {{ ref('int_osrs_prices__observations') }}
