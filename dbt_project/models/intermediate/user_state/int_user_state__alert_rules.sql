{#- One row per alert rule whose item, market and player the catalogue resolves: what the
    alert evaluator reads (orchestration/alerts/evaluate.py). A rule naming an unknown or
    ambiguous item, an unknown market or an untracked player is a line of
    int_user_state__rejected_lines and never fires. -#}
select
    a.profile_id,
    a.rule_id,
    a.rule_type,
    a.market_id,
    i.item_id,
    pr.player_id,
    a.metric,
    a.period,
    a.trend_state,
    a.name_filter,
    a.threshold,
    a.window_minutes,
    a.direction,
    a.cooldown_minutes,
    string_to_array(a.channels, ',') as channels,
    a.description,
    a.source_file,
    a.source_line
from {{ ref('stg_user_state__alert_rules') }} as a
inner join {{ ref('int_user_state__profiles') }} as p on a.profile_id = p.profile_id
left join {{ ref('int_user_state__item_references') }} as i
    on
        a.market_id = i.market_id
        and a.item = i.item
left join {{ ref('int_user_state__player_references') }} as pr
    on a.player_name = pr.player_name
left join {{ ref('dim_markets') }} as m on a.market_id = m.market_id
where
    (a.item is null or i.item_id is not null)
    and (a.player_name is null or pr.player_id is not null)
    and (a.item is not null or a.market_id is null or m.market_id is not null)
