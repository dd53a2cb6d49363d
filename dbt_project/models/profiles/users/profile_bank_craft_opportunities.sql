{#- What each profile can craft from its bank (docs/formulas.md#crafting), per profile ×
    recipe × market the result sells in (mart_craft_profitability), for recipes the bank
    holds at least one ingredient of. Ingredient prices as in mart_craft_profitability: the
    latest price in the market, else in its supply market. Per-profile data: schema
    `profiles`, which the analyst role does not read (docs/roles.md).

    crafts_from_bank       min over ingredients of floor(in_bank / per_craft): crafts
                           possible with nothing bought.
    crafts_with_purchase   max over ingredients of floor(in_bank / per_craft): crafts
                           that use up the most plentiful ingredient, buying the rest.
    units_to_buy           Σ max(0, crafts_with_purchase × per_craft − in_bank).
    missing_cost           Σ those units × their price (null while one has no price).
    sale_value             crafts_with_purchase × result_value (one craft's result).
    fees                   crafts_with_purchase × one craft's selling fee.
    profit                 sale_value − fees − missing_cost: the cash the bank stock
                           turns into when crafted and sold.
    bank_stock_value       Σ min(in_bank, crafts_with_purchase × per_craft) × price:
                           what the stock used would fetch sold as it is.
    profit_over_selling_stock  profit − bank_stock_value: crafting against selling the
                           ingredients (= crafts_with_purchase × the recipe's profit). -#}
with bank as (
    select
        profile_id,
        item_id,
        sum(quantity) as quantity
    from {{ ref('int_user_state__bank_items') }}
    group by profile_id, item_id
),

crafts as (
    select
        c.recipe_id,
        c.recipe_name,
        c.source,
        c.profession,
        c.market_id,
        m.supply_market_id,
        c.result_item_id,
        c.result_quantity,
        c.result_price,
        c.result_value,
        c.fees,
        c.as_of
    from {{ ref('mart_craft_profitability') }} as c
    inner join {{ ref('dim_markets') }} as m on c.market_id = m.market_id
),

lines as (
    select
        p.profile_id,
        c.recipe_id,
        c.market_id,
        ri.quantity as per_craft,
        coalesce(b.quantity, 0) as in_bank,
        coalesce(here.price, supply.price) as unit_price
    from (select distinct profile_id from bank) as p
    cross join crafts as c
    inner join {{ ref('recipe_ingredients') }} as ri on c.recipe_id = ri.recipe_id
    left join bank as b
        on
            p.profile_id = b.profile_id
            and b.item_id = c.source || ':' || ri.ingredient_item_id
    left join {{ ref('mart_item_trends') }} as here
        on
            here.item_id = c.source || ':' || ri.ingredient_item_id
            and c.market_id = here.market_id
    left join {{ ref('mart_item_trends') }} as supply
        on
            supply.item_id = c.source || ':' || ri.ingredient_item_id
            and c.supply_market_id = supply.market_id
),

planned as (
    select
        profile_id,
        recipe_id,
        market_id,
        min(floor(1.0 * in_bank / per_craft))::bigint as crafts_from_bank,
        max(floor(1.0 * in_bank / per_craft))::bigint as crafts_with_purchase,
        count(*) as ingredients,
        count(*) filter (where in_bank > 0) as ingredients_in_bank
    from lines
    group by profile_id, recipe_id, market_id
    having count(*) filter (where in_bank > 0) > 0
),

costed as (
    select
        pl.profile_id,
        pl.recipe_id,
        pl.market_id,
        pl.crafts_from_bank,
        pl.crafts_with_purchase,
        pl.ingredients,
        pl.ingredients_in_bank,
        sum(greatest(pl.crafts_with_purchase * l.per_craft - l.in_bank, 0)) as units_to_buy,
        case
            when
                bool_and(
                    l.unit_price is not null or pl.crafts_with_purchase * l.per_craft <= l.in_bank
                )
                then sum(
                    greatest(pl.crafts_with_purchase * l.per_craft - l.in_bank, 0)
                    * coalesce(l.unit_price, 0)
                )
        end as missing_cost,
        case
            when bool_and(l.unit_price is not null)
                then sum(least(l.in_bank, pl.crafts_with_purchase * l.per_craft) * l.unit_price)
        end as bank_stock_value
    from planned as pl
    inner join lines as l
        on
            pl.profile_id = l.profile_id
            and pl.recipe_id = l.recipe_id
            and pl.market_id = l.market_id
    group by
        pl.profile_id, pl.recipe_id, pl.market_id, pl.crafts_from_bank,
        pl.crafts_with_purchase, pl.ingredients, pl.ingredients_in_bank
)

select
    co.profile_id,
    co.recipe_id,
    c.recipe_name,
    c.source,
    c.profession,
    co.market_id,
    c.result_item_id,
    co.crafts_from_bank,
    co.crafts_with_purchase,
    co.ingredients,
    co.ingredients_in_bank,
    co.units_to_buy,
    co.missing_cost,
    co.crafts_with_purchase * c.result_quantity as result_units,
    c.result_price,
    co.crafts_with_purchase * c.result_value as sale_value,
    co.crafts_with_purchase * c.fees as fees,
    co.crafts_with_purchase * (c.result_value - c.fees) - co.missing_cost as profit,
    co.bank_stock_value,
    co.crafts_with_purchase * (c.result_value - c.fees) - co.missing_cost - co.bank_stock_value
        as profit_over_selling_stock,
    c.as_of
from costed as co
inner join crafts as c
    on
        co.recipe_id = c.recipe_id
        and co.market_id = c.market_id
where co.crafts_with_purchase >= 1
