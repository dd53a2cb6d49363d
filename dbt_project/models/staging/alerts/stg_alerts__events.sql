select
    event_id,
    profile_id,
    rule_id,
    rule_type,
    subject,
    market_id,
    item_id,
    player_id,
    triggered_at,
    observed_value,
    threshold,
    trigger_price,
    direction,
    title,
    is_backtest,
    evaluated_at
from {{ source('alerts', 'fct_alert_events') }}
