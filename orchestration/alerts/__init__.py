"""Price and progression alerts: evaluate the rules against the marts, deliver the events.

``store`` holds the ``alerts`` schema (events, deliveries, per-rule state), ``rules`` the
SQL that asks each rule type whether its condition held, ``evaluate`` turns that into
events once per cooldown, ``deliver`` sends them (Discord-compatible webhooks, SMTP).
"""
