{#- Buy an item in one market, move it, sell it in another of the same source
    (docs/formulas.md#arbitrage): one row per item × buy market × sell market that still
    pays after the selling fee and the cost of moving it. Never a row whose profit fees or
    transfer eat.

    buy_price, sell_price  each market's latest price from mart_item_trends (the going
                           rate: snapshot market value, mean lot price, ...), like for
                           like on both sides; a price older than
                           `arbitrage_max_age_hours` before its source's newest is stale
                           and left out.
    fees           the sell market's fee rule on the sell price (fee_rules, per unit).
    transfer_cost  cost_per_unit + cost_rate × buy_price from market_transfer_costs: an
                   exact (from, to) rule wins over the source's `*` default, which only
                   joins markets of one region; no rule, no trade.
    net_profit     sell_price − fees − transfer_cost − buy_price (per unit), > 0.
    roi_pct        100 × net_profit / (buy_price + transfer_cost): return on the money
                   put in. -#}
with latest as (
    select
        t.market_id,
        t.item_id,
        t.price,
        t.as_of,
        m.source,
        m.region,
        m.market_name
    from {{ ref('mart_item_trends') }} as t
    inner join {{ ref('dim_markets') }} as m on t.market_id = m.market_id
    where t.price > 0
),

-- each source's newest price once: a per-row subquery over `latest` was quadratic in
-- items (105 s of a 30,000-item tick)
newest as (
    select
        source,
        max(as_of) as newest_as_of
    from latest
    group by source
),

fresh as (
    select l.*
    from latest as l
    inner join newest as n on l.source = n.source
    where l.as_of >= n.newest_as_of - interval '{{ var("arbitrage_max_age_hours") }} hours'
),

pairs as (
    select
        b.item_id,
        b.source,
        b.market_id as buy_market_id,
        b.market_name as buy_market_name,
        s.market_id as sell_market_id,
        s.market_name as sell_market_name,
        b.price as buy_price,
        s.price as sell_price,
        b.as_of as buy_as_of,
        s.as_of as sell_as_of,
        tc.cost_per_unit,
        tc.cost_rate
    from fresh as b
    inner join fresh as s
        on
            b.item_id = s.item_id
            and b.source = s.source
            and b.market_id <> s.market_id
            and b.price < s.price
    inner join lateral (
        select
            c.cost_per_unit,
            c.cost_rate
        from {{ ref('market_transfer_costs') }} as c
        where
            c.source = b.source
            and (
                (c.from_market_id = b.market_id and c.to_market_id = s.market_id)
                or (c.from_market_id = '*' and c.to_market_id = '*' and b.region = s.region)
            )
        order by c.from_market_id = '*'
        limit 1
    ) as tc on true
),

costed as (
    select
        p.*,
        i.item_name,
        {{ sale_fee(
            'p.sell_price', 'r.rate', 'r.cap', 'r.exempt_below', 'x.source_item_id is not null'
        ) }}
            as fees,
        round(p.cost_per_unit + p.cost_rate * p.buy_price, 4) as transfer_cost
    from pairs as p
    inner join {{ ref('dim_items') }} as i on p.item_id = i.item_id
    {{ fee_rule_joins('p.source', 'i.source_item_id', "(p.sell_as_of at time zone 'UTC')::date") }}
)

select
    item_id,
    item_name,
    source,
    buy_market_id,
    buy_market_name,
    sell_market_id,
    sell_market_name,
    buy_price,
    sell_price,
    fees,
    transfer_cost,
    sell_price - fees - transfer_cost - buy_price as net_profit,
    round(100.0 * (sell_price - fees - transfer_cost - buy_price) / (buy_price + transfer_cost), 4)
        as roi_pct,
    buy_as_of,
    sell_as_of
from costed
where sell_price - fees - transfer_cost - buy_price > 0
