"""The ``alerts`` schema: written by the evaluator and the deliverer, read by dbt.

It is operational state, not a mart: analysts do not read it (``snapmart_analyst`` has
no grant on it); ``marts.mart_alert_effectiveness`` (per rule type, no profile) is their
view of it, ``profiles.profile_alert_effectiveness`` the per-profile one. The transformer
reads it through the default privileges ``snapmart db`` sets for the login user.
"""

from __future__ import annotations

import psycopg

from orchestration import warehouse

SCHEMA = "alerts"

DDL = """
create schema if not exists alerts;

create table if not exists alerts.fct_alert_events (
    event_id bigserial primary key,
    profile_id text not null,
    rule_id text not null,
    rule_type text not null,
    subject text not null,
    market_id text,
    item_id text,
    player_id text,
    triggered_at timestamptz not null,
    observed_value double precision,
    threshold double precision,
    trigger_price double precision,
    direction smallint,
    title text not null,
    message text not null,
    is_backtest boolean not null default false,
    evaluated_at timestamptz not null default now(),
    unique (profile_id, rule_id, subject, triggered_at)
);
create index if not exists fct_alert_events_cooldown_idx
    on alerts.fct_alert_events (profile_id, rule_id, subject, triggered_at desc);

create table if not exists alerts.rule_state (
    profile_id text not null,
    rule_id text not null,
    evaluated_through timestamptz,
    last_states jsonb not null default '{}'::jsonb,
    updated_at timestamptz not null default now(),
    primary key (profile_id, rule_id)
);

create table if not exists alerts.alert_deliveries (
    delivery_id bigserial primary key,
    event_id bigint not null references alerts.fct_alert_events (event_id) on delete cascade,
    channel text not null check (channel in ('discord', 'email')),
    recipient text not null,
    status text not null default 'pending'
        check (status in ('pending', 'sending', 'sent', 'unknown', 'failed')),
    attempts integer not null default 0,
    http_status integer,
    last_error text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    sent_at timestamptz,
    unique (event_id, channel)
);
create index if not exists alert_deliveries_open_idx
    on alerts.alert_deliveries (status) where status in ('pending', 'sending', 'unknown');
"""


def ensure_schema(conn: psycopg.Connection | None = None) -> None:
    """Create the alerts schema and its tables when missing, and let the transformer read them.
    On ``conn`` (the caller commits), else on a connection of its own, autocommitted."""
    if conn is None:
        with warehouse.connect(autocommit=True) as own:
            own.execute(DDL)
            grant_to_transformer(own, SCHEMA)
        return
    conn.execute(DDL)
    grant_to_transformer(conn, SCHEMA)


def grant_to_transformer(conn: psycopg.Connection, schema: str) -> None:
    """dbt (the transformer) reads the orchestrator's own schemas (alerts, ops) as sources."""
    conn.execute(f"grant usage on schema {schema} to {warehouse.TRANSFORMER_ROLE}")
    conn.execute(f"grant select on all tables in schema {schema} to {warehouse.TRANSFORMER_ROLE}")
