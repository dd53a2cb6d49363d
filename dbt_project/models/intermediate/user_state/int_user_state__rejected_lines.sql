{#- The loaded profile lines whose item, market or player the catalogue does not know:
    one row per line × field, with the reason the profile loader gave before this check
    moved downstream of the marts ("<file> line <n>: <what>"). The user marts and the
    alert rules leave these lines out (each int_user_state__ model keeps what resolves).

    The lines of a profile left out whole (an unknown default market,
    int_user_state__profiles) are not listed one by one: that profile is one line, its
    default_market. A rule's item or market is reported at the line of that key, its
    player at the rule's line; what the files themselves show wrong (a negative quantity,
    a malformed rule) never loads and is in raw_user_state.rejected_records. -#}
with kept as (
    select profile_id from {{ ref('int_user_state__profiles') }}
),

item_lines as (
    select
        'favorites' as line_table,
        profile_id,
        source_file,
        source_line,
        market_id,
        item
    from {{ ref('stg_user_state__favorites') }}
    union all
    select
        'watchlists' as line_table,
        profile_id,
        source_file,
        source_line,
        market_id,
        item
    from {{ ref('stg_user_state__watchlists') }}
    union all
    select
        'bank_items' as line_table,
        profile_id,
        source_file,
        source_line,
        market_id,
        item
    from {{ ref('stg_user_state__bank_items') }}
    union all
    select
        'alert_rules' as line_table,
        profile_id,
        source_file,
        reference_line as source_line,
        market_id,
        item
    from {{ ref('stg_user_state__alert_rules') }}
    where item is not null
),

lines as (
    select
        'profiles' as line_table,
        s.profile_id,
        s.source_file,
        s.default_market_line as source_line,
        'default_market' as field,
        s.default_market_id as reference,
        'unknown market ' || {{ profile_name('s.default_market_id') }} as problem
    from {{ ref('stg_user_state__profiles') }} as s
    where
        s.default_market_id is not null
        and s.profile_id not in (select k.profile_id from kept as k)

    union all

    select
        'profile_players' as line_table,
        pp.profile_id,
        pp.source_file,
        pp.source_line,
        'player' as field,
        pp.player_name as reference,
        r.problem
    from {{ ref('stg_user_state__profile_players') }} as pp
    inner join {{ ref('int_user_state__player_references') }} as r
        on pp.player_name = r.player_name
    where r.problem is not null

    union all

    select
        l.line_table,
        l.profile_id,
        l.source_file,
        l.source_line,
        r.problem_field as field,
        case when r.problem_field = 'market' then l.market_id else l.item end as reference,
        r.problem
    from item_lines as l
    inner join {{ ref('int_user_state__item_references') }} as r
        on
            l.market_id = r.market_id
            and l.item = r.item
    where r.problem is not null

    union all

    select
        'alert_rules' as line_table,
        a.profile_id,
        a.source_file,
        a.reference_line as source_line,
        'market' as field,
        a.market_id as reference,
        'unknown market ' || {{ profile_name('a.market_id') }} as problem
    from {{ ref('stg_user_state__alert_rules') }} as a
    left join {{ ref('dim_markets') }} as m on a.market_id = m.market_id
    where
        a.item is null
        and a.market_id is not null
        and m.market_id is null

    union all

    select
        'alert_rules' as line_table,
        a.profile_id,
        a.source_file,
        a.source_line,
        'player' as field,
        a.player_name as reference,
        r.problem
    from {{ ref('stg_user_state__alert_rules') }} as a
    inner join {{ ref('int_user_state__player_references') }} as r
        on a.player_name = r.player_name
    where r.problem is not null
)

select
    l.line_table,
    l.profile_id,
    l.source_file,
    l.source_line,
    l.source_file || ':' || l.source_line as record_pointer,
    l.field,
    l.reference,
    l.source_file || ' line ' || l.source_line || ': ' || l.problem as reason
from lines as l
where
    l.line_table = 'profiles'
    or l.profile_id in (select k.profile_id from kept as k)
