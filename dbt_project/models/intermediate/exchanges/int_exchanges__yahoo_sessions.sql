{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['provider_symbol', 'session_date'],
        indexes=[
            {'columns': ['provider_symbol', 'session_date'], 'unique': true},
            {'columns': ['load_id']},
        ],
    )
}}

{#- One row per Yahoo symbol and session (UTC date of its bars: a US session's bars, at
    the 13:30/14:30 UTC open or a repeated copy stamped at the 20:00/21:00 close, share
    it), with its prices as sent and the split factor that puts them on today's scale.

    A session Yahoo sent twice (its newest bar again, stamped at the close, the volume
    grown) is one observation: the copy of the newest load wins, within a load the one
    from the later answer, then the later stamp. observed_at is the session's first
    stamp and never moves once set, so the price fact (keyed on it) replaces its row
    instead of gaining a second one. A bar Yahoo left empty is no observation.

    Splits (int_exchanges__splits): Yahoo adjusts each answer for the splits it knew of
    when it answered, so a bar needs the splits dated after the newest session of its
    own answer (scale_date), as split_numerator_after / split_denominator_after: price ÷
    (num / den), volume × (num / den). A bar fetched after a split is already on its scale
    (no double adjustment); one fetched before it is put on the new scale when the split
    arrives. An answer fetched on the split's day before that session is in it may already
    be adjusted by Yahoo and would be adjusted twice: the fetch asks only for closed
    sessions, so this takes a fetch between the split day's open and its close + 7 h.

    Incremental on the dlt load id: a tick reads only new raw rows (their sessions take
    the newest copy; older copies are older loads), and when a split arrives it also
    re-emits the symbol's sessions it re-scales, with the split's load id (load_id =
    newest of the bar's and those splits' loads), so the price fact and every tier above
    it rewrite exactly those rows; a tick without a split touches no history. -#}
{% set cursor = load_cursor() if is_incremental() else none %}
with bars as (
    select
        b.provider_symbol,
        (b.bar_at at time zone 'UTC')::date as session_date,
        b.bar_at,
        b.open_price,
        b.high_price,
        b.low_price,
        b.close_price,
        b.volume,
        b.landing_file,
        b.captured_at,
        b.load_id
    from {{ ref('stg_yahoo_finance__daily_bars') }} as b
    {% if is_incremental() %}
        where b.load_id > {{ cursor }}
    {% endif %}
),

answers as (
    select
        b.landing_file,
        max(b.session_date) as scale_date
    from bars as b
    group by b.landing_file
),

copies as (
    select
        b.*,
        a.scale_date,
        min(b.bar_at) over (partition by b.provider_symbol, b.session_date) as first_bar_at,
        row_number() over (
            partition by b.provider_symbol, b.session_date
            order by b.load_id desc, b.captured_at desc, b.bar_at desc
        ) as newest_first
    from bars as b
    inner join answers as a on b.landing_file = a.landing_file
    where b.close_price is not null
),

sessions as (
    select
        c.provider_symbol,
        c.session_date,
        {% if is_incremental() %}
            coalesce(t.observed_at, c.first_bar_at) as observed_at,
        {% else %}
            c.first_bar_at as observed_at,
        {% endif %}
        c.bar_at,
        c.open_price,
        c.high_price,
        c.low_price,
        c.close_price,
        c.volume,
        c.scale_date,
        c.load_id as bar_load_id
    from copies as c
    {% if is_incremental() %}
        left join {{ this }} as t
            on c.provider_symbol = t.provider_symbol and c.session_date = t.session_date
    {% endif %}
    where c.newest_first = 1
),

splits as (
    select * from {{ ref('int_exchanges__splits') }}
),

{% if is_incremental() %}
    arrived_splits as (
        select
            s.provider_symbol,
            max(s.split_date) as split_date
        from splits as s
        where s.load_id > {{ cursor }}
        group by s.provider_symbol
    ),

    rescaled as (
        select
            t.provider_symbol,
            t.session_date,
            t.observed_at,
            t.bar_at,
            t.open_price,
            t.high_price,
            t.low_price,
            t.close_price,
            t.volume,
            t.scale_date,
            t.bar_load_id
        from arrived_splits as a
        inner join {{ this }} as t
            on
                a.provider_symbol = t.provider_symbol
                and a.split_date > t.session_date
                and a.split_date > t.scale_date
        where not exists (
            select 1
            from sessions as s
            where s.provider_symbol = t.provider_symbol and s.session_date = t.session_date
        )
    ),
{% endif %}

emitted as (
    select * from sessions
    {% if is_incremental() %}
        union all
        select * from rescaled
    {% endif %}
)

select
    e.provider_symbol,
    e.session_date,
    e.observed_at,
    e.bar_at,
    e.open_price,
    e.high_price,
    e.low_price,
    e.close_price,
    e.volume,
    e.scale_date,
    coalesce(s.cumulative_numerator, 1) as split_numerator_after,
    coalesce(s.cumulative_denominator, 1) as split_denominator_after,
    e.bar_load_id,
    greatest(e.bar_load_id, s.cumulative_load_id) as load_id
from emitted as e
left join splits as s
    on
        e.provider_symbol = s.provider_symbol
        and e.scale_date < s.split_date
        and (s.previous_split_date is null or e.scale_date >= s.previous_split_date)
