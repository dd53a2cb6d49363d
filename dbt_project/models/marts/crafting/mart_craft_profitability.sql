{#- What a craft earns where its result sells (docs/formulas.md#crafting): one row per
    recipe × market the result has a price in. Prices are the latest from mart_item_trends
    (the going rate, the same price every other mart uses).

    ingredient_cost  Σ quantity × ingredient price, each ingredient priced in the same
                     market, else in the market's supply market (a WoW realm buys its
                     reagents at the region's commodity house); null while any
                     ingredient has no price (missing_ingredients says how many).
    result_value     result_price × result_quantity.
    fees             result_quantity × the selling fee on one unit at result_price.
    profit           result_value − fees − ingredient_cost.
    margin_pct       100 × profit / ingredient_cost. -#}
with results as (
    select
        r.recipe_id,
        r.recipe_name,
        r.source,
        r.profession,
        r.skill_level,
        r.result_item_id as result_source_item_id,
        t.item_id as result_item_id,
        r.result_quantity,
        t.market_id,
        m.supply_market_id,
        t.price as result_price,
        t.as_of
    from {{ ref('recipes') }} as r
    inner join {{ ref('mart_item_trends') }} as t
        on t.item_id = r.source || ':' || r.result_item_id
    inner join {{ ref('dim_markets') }} as m
        on t.market_id = m.market_id
),

ingredients as (
    select
        res.recipe_id,
        res.market_id,
        count(*) as ingredients,
        count(coalesce(here.price, supply.price)) as ingredients_priced,
        sum(ri.quantity * coalesce(here.price, supply.price)) as priced_cost,
        min(coalesce(here.as_of, supply.as_of)) as oldest_ingredient_as_of
    from results as res
    inner join {{ ref('recipe_ingredients') }} as ri on res.recipe_id = ri.recipe_id
    left join {{ ref('mart_item_trends') }} as here
        on
            here.item_id = res.source || ':' || ri.ingredient_item_id
            and res.market_id = here.market_id
    left join {{ ref('mart_item_trends') }} as supply
        on
            supply.item_id = res.source || ':' || ri.ingredient_item_id
            and res.supply_market_id = supply.market_id
    group by res.recipe_id, res.market_id
),

costed as (
    select
        res.*,
        ing.ingredients,
        ing.ingredients - ing.ingredients_priced as missing_ingredients,
        case when ing.ingredients_priced = ing.ingredients then ing.priced_cost end
            as ingredient_cost,
        ing.oldest_ingredient_as_of,
        res.result_price * res.result_quantity as result_value,
        res.result_quantity
        * {{ sale_fee(
            'res.result_price', 'r.rate', 'r.cap', 'r.exempt_below', 'x.source_item_id is not null'
        ) }}
            as fees
    from results as res
    inner join ingredients as ing
        on
            res.recipe_id = ing.recipe_id
            and res.market_id = ing.market_id
    {{ fee_rule_joins(
        'res.source', 'res.result_source_item_id', "(res.as_of at time zone 'UTC')::date"
    ) }}
)

select
    recipe_id,
    recipe_name,
    source,
    profession,
    skill_level,
    market_id,
    result_item_id,
    result_quantity,
    result_price,
    result_value,
    ingredient_cost,
    fees,
    result_value - fees - ingredient_cost as profit,
    round(100.0 * (result_value - fees - ingredient_cost) / nullif(ingredient_cost, 0), 4)
        as margin_pct,
    ingredients,
    missing_ingredients,
    as_of,
    oldest_ingredient_as_of
from costed
