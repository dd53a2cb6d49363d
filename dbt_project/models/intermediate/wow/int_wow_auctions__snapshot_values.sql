{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['market_id', 'item_id', 'snapshot_at'],
        indexes=[
            {'columns': ['market_id', 'item_id', 'snapshot_at'], 'unique': true},
            {'columns': ['load_id']},
        ],
    )
}}

{#- One value per item × market × snapshot, TSM-style (docs/formulas.md#market-value): sort
    the units on sale by unit price; take the cheapest 15 % of units (rounded up, at least
    one), then keep going up to 30 % (rounded down) while each listing's price is below 1.2
    × the previous one; of that set, drop units more than 1.5 standard deviations
    (population, over units) from its mean; the mean of the rest is the snapshot value.
    Listings are weighted by how many of their units fall in the set, so stacks are never
    expanded row by row. A snapshot arrives in one dlt load, so a tick only values new
    snapshots. -#}
with listings as (
    select *
    from {{ ref('int_wow_auctions__listings') }}
    {% if is_incremental() %}
        where load_id > {{ load_cursor() }}
    {% endif %}
),

ranked as (
    select
        l.*,
        sum(l.quantity) over snap as total_units,
        coalesce(sum(l.quantity) over (
            partition by l.market_id, l.item_id, l.snapshot_at
            order by l.unit_price, l.auction_id
            rows between unbounded preceding and 1 preceding
        ), 0) as units_before,
        lag(l.unit_price) over (
            partition by l.market_id, l.item_id, l.snapshot_at
            order by l.unit_price, l.auction_id
        ) as previous_price
    from listings as l
    window snap as (partition by l.market_id, l.item_id, l.snapshot_at)
),

cuts as (
    select
        r.*,
        greatest(ceil(0.15 * r.total_units), 1) as base_cut,
        floor(0.30 * r.total_units) as extension_cut
    from ranked as r
),

breaks as (
    -- the first listing past the 15 % that is ≥ 1.2 × its predecessor ends the set
    select
        c.market_id,
        c.item_id,
        c.snapshot_at,
        min(c.units_before) as first_break
    from cuts as c
    where c.units_before >= c.base_cut and c.unit_price >= 1.2 * c.previous_price
    group by c.market_id, c.item_id, c.snapshot_at
),

weighted as (
    select
        c.*,
        greatest(
            0,
            least(
                c.quantity,
                greatest(
                    c.base_cut, least(c.extension_cut, coalesce(b.first_break, c.extension_cut))
                )
                - c.units_before
            )
        ) as units_in_set
    from cuts as c
    left join breaks as b
        on
            c.market_id = b.market_id
            and c.item_id = b.item_id
            and c.snapshot_at = b.snapshot_at
),

set_mean as (
    select
        w.market_id,
        w.item_id,
        w.snapshot_at,
        sum(w.units_in_set * w.unit_price) / sum(w.units_in_set) as mean_price
    from weighted as w
    where w.units_in_set > 0
    group by w.market_id, w.item_id, w.snapshot_at
),

set_spread as (
    select
        m.market_id,
        m.item_id,
        m.snapshot_at,
        m.mean_price,
        sqrt(sum(w.units_in_set * power(w.unit_price - m.mean_price, 2)) / sum(w.units_in_set))
            as stddev_price
    from set_mean as m
    inner join weighted as w
        on
            m.market_id = w.market_id
            and m.item_id = w.item_id
            and m.snapshot_at = w.snapshot_at
            and w.units_in_set > 0
    group by m.market_id, m.item_id, m.snapshot_at, m.mean_price
),

valued as (
    select
        s.market_id,
        s.item_id,
        s.snapshot_at,
        sum(w.units_in_set * w.unit_price) / sum(w.units_in_set) as snapshot_value
    from set_spread as s
    inner join weighted as w
        on
            s.market_id = w.market_id
            and s.item_id = w.item_id
            and s.snapshot_at = w.snapshot_at
            and w.units_in_set > 0
            and abs(w.unit_price - s.mean_price) <= 1.5 * s.stddev_price
    group by s.market_id, s.item_id, s.snapshot_at
),

books as (
    select
        l.market_id,
        l.item_id,
        l.snapshot_at,
        min(l.unit_price) as min_price,
        max(l.unit_price) as max_price,
        count(*) as listings,
        sum(l.quantity) as quantity_listed,
        max(l.load_id) as load_id
    from listings as l
    group by l.market_id, l.item_id, l.snapshot_at
)

select
    b.market_id,
    b.item_id,
    b.snapshot_at,
    round(v.snapshot_value, 4) as snapshot_value,
    round(b.min_price, 4) as min_price,
    round(b.max_price, 4) as max_price,
    b.listings,
    b.quantity_listed,
    b.load_id
from books as b
inner join valued as v
    on
        b.market_id = v.market_id
        and b.item_id = v.item_id
        and b.snapshot_at = v.snapshot_at
