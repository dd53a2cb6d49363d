{#- Did each profile's price alerts call the move? Per rule type × profile, from
    int_alerts__price_outcomes; the same figures over all profiles, without the profile,
    are marts.mart_alert_effectiveness (what analysts read). Per-profile data: schema
    `profiles`, which the analyst role does not read (docs/roles.md).

    alerts            price alerts fired (backtests included: they are what the rules
                      would have sent).
    evaluated_24h     of those, alerts whose 24 h horizon has passed in the data.
    held_24h          of those, alerts whose price kept moving the alert's way.
    share_held_24h    held_24h / evaluated_24h (null before any is evaluated).
    avg_move_24h_pct  mean move in the alert's direction, percent of the trigger price.
    The same for 7 days. -#}
select
    rule_type,
    profile_id,
    count(*) as alerts,
    count(held_24h) as evaluated_24h,
    count(*) filter (where held_24h) as held_24h,
    round(1.0 * count(*) filter (where held_24h) / nullif(count(held_24h), 0), 4)
        as share_held_24h,
    round(avg(move_24h_pct), 4) as avg_move_24h_pct,
    count(held_7d) as evaluated_7d,
    count(*) filter (where held_7d) as held_7d,
    round(1.0 * count(*) filter (where held_7d) / nullif(count(held_7d), 0), 4)
        as share_held_7d,
    round(avg(move_7d_pct), 4) as avg_move_7d_pct,
    min(triggered_at) as first_triggered_at,
    max(triggered_at) as last_triggered_at
from {{ ref('int_alerts__price_outcomes') }}
group by rule_type, profile_id
