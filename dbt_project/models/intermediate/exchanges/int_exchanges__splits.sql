{#- Stock splits as Yahoo reports them (chart events.splits, on the split session's bar):
    one row per symbol and split date. A split reported twice (a repeated session, an
    answer fetched again) counts once, as of the first load that brought it.

    ratio = numerator / denominator (4:1 → 4, a 1:10 reverse split → 0.1): a price from
    before the split is put on the new scale as price ÷ ratio, a volume as volume × ratio
    (Yahoo's own adjustment: https://help.yahoo.com/kb/SLN28256.html).

    A bar needs every split dated after the answer it came in (Yahoo adjusts an answer
    for the splits it knew of when it answered), so the factor is a suffix product:
    cumulative_numerator / cumulative_denominator multiply this split and every later one
    of the symbol, and apply to a bar whose answer's newest session lies in
    [previous_split_date, split_date). Kept as exact products of the numerators and of
    the denominators, so 3:2 then 1:10 is 3 / 20, not a rounded ratio. cumulative_load_id
    is the newest load among those splits: a split that arrives moves the bars it
    re-scales into that load, which is how the incremental facts pick them up. -#}
with recursive splits as (
    select
        b.provider_symbol,
        (b.bar_at at time zone 'UTC')::date as split_date,
        (array_agg(b.split_numerator order by b.load_id, b.bar_at))[1] as numerator,
        (array_agg(b.split_denominator order by b.load_id, b.bar_at))[1] as denominator,
        min(b.load_id) as load_id
    from {{ ref('stg_yahoo_finance__daily_bars') }} as b
    where b.split_numerator > 0 and b.split_denominator > 0
    group by b.provider_symbol, (b.bar_at at time zone 'UTC')::date
),

ranked as (
    select
        s.provider_symbol,
        s.split_date,
        s.numerator,
        s.denominator,
        s.load_id,
        lag(s.split_date) over (
            partition by s.provider_symbol order by s.split_date
        ) as previous_split_date,
        row_number() over (
            partition by s.provider_symbol order by s.split_date desc
        ) as newest_first
    from splits as s
),

cumulative as (
    select
        r.provider_symbol,
        r.newest_first,
        r.numerator as cumulative_numerator,
        r.denominator as cumulative_denominator,
        r.load_id as cumulative_load_id
    from ranked as r
    where r.newest_first = 1

    union all

    select
        r.provider_symbol,
        r.newest_first,
        c.cumulative_numerator * r.numerator as cumulative_numerator,
        c.cumulative_denominator * r.denominator as cumulative_denominator,
        greatest(c.cumulative_load_id, r.load_id) as cumulative_load_id
    from cumulative as c
    inner join ranked as r
        on c.provider_symbol = r.provider_symbol and r.newest_first = c.newest_first + 1
)

select
    r.provider_symbol,
    r.split_date,
    r.previous_split_date,
    r.numerator,
    r.denominator,
    trim_scale(r.numerator / r.denominator) as ratio,
    c.cumulative_numerator,
    c.cumulative_denominator,
    r.load_id,
    c.cumulative_load_id
from ranked as r
inner join cumulative as c
    on r.provider_symbol = c.provider_symbol and r.newest_first = c.newest_first
