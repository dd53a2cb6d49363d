select * from {{ ref('int_osrs_prices__items') }}
union all
select * from {{ ref('int_wow_auctions__items') }}
union all
select * from {{ ref('int_dofus_market__items') }}
union all
select * from {{ ref('int_exchanges__items') }}
union all
select * from {{ ref('int_tickets__items') }}
