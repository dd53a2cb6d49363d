{#- Every market source's observations in one shape; each source adds one branch here. -#}
select * from {{ ref('int_osrs_prices__observations') }}
union all
select * from {{ ref('int_wow_auctions__observations') }}
union all
select * from {{ ref('int_dofus_market__observations') }}
union all
select * from {{ ref('int_exchanges__observations') }}
union all
select * from {{ ref('int_tickets__observations') }}
