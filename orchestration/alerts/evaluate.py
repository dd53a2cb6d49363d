"""Rules → events, once per cooldown, in one transaction per run.

For each rule: read its observations since its watermark (``alerts.rule_state``),
walk them in time order and open an event when the condition holds and the rule has
no event for the same subject within its cooldown (a trend-state rule only when the
state is *entered*). Events, their pending deliveries and the new watermarks commit
together, so a crash leaves the previous run's state and the next run redoes the
work; ``unique (profile_id, rule_id, subject, triggered_at)`` makes a redo add nothing.

A rule seen for the first time alerts on the newest data only, not on its history —
unless the run is a backtest (the demo's "what the simulated week would have sent"),
whose events are flagged ``is_backtest`` and get no deliveries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from orchestration.alerts import store
from orchestration.alerts.rules import HISTORY_TYPES, Observation, Rule, observe

LOCK_ID = 7_007_001  # pg advisory lock: one evaluator at a time


@dataclass
class NewEvent:
    """An alert event a run opened: its id in ``alerts.fct_alert_events``, the rule it is for,
    when the condition held (data time, UTC) and its title."""

    event_id: int
    profile_id: str
    rule_id: str
    triggered_at: datetime
    title: str


@dataclass
class EvaluationReport:
    """What one evaluation did: rules read, observations read, conditions that held, those
    held back by a cooldown (or an unchanged trend state), the events opened and the
    deliveries queued for them."""

    rules: int = 0
    observations: int = 0
    hits: int = 0
    suppressed: int = 0  # conditions that held inside a cooldown (or an unchanged state)
    events: list[NewEvent] = field(default_factory=list)
    deliveries: int = 0


# The rules whose items, markets and players the catalogue resolves (dbt's view over the
# loaded profiles; a rule naming something unknown is a rejected line and never fires).
RULES_RELATION = "intermediate.int_user_state__alert_rules"
RULES_SQL = f"""
select
    r.profile_id, r.rule_id, r.rule_type, r.market_id, r.item_id, r.player_id, r.metric,
    r.period, r.trend_state, r.name_filter, r.threshold, r.window_minutes, r.direction,
    r.cooldown_minutes, coalesce(array_to_string(r.channels, ','), ''), r.description
from {RULES_RELATION} as r
order by r.profile_id, r.rule_id
"""


def load_rules(conn: psycopg.Connection) -> list[Rule]:
    """Every alert rule as dbt resolved it (``RULES_RELATION``), ordered by profile and
    rule; none when that model was never built."""
    if not conn.execute("select to_regclass(%s)", (RULES_RELATION,)).fetchone()[0]:
        return []
    rules = []
    for row in conn.execute(RULES_SQL).fetchall():
        *head, channels, description = row
        rules.append(Rule(*head, tuple(c for c in channels.split(",") if c), description))
    return rules


def _fmt(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


class _Names:
    """Item and player names and market currencies for messages: markets up front (a
    handful), items and players looked up as events need them."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.markets = {
            m: (name, cur)
            for m, name, cur in conn.execute(
                "select market_id, market_name, currency from marts.dim_markets"
            ).fetchall()
        }
        self.has_players = bool(
            conn.execute("select to_regclass('marts.dim_players')").fetchone()[0]
        )
        self._items: dict[str, str | None] = {}
        self._players: dict[str, str | None] = {}

    def item(self, item_id: str | None) -> str:
        if item_id and item_id not in self._items:
            row = self.conn.execute(
                "select item_name from marts.dim_items where item_id = %s", (item_id,)
            ).fetchone()
            self._items[item_id] = row[0] if row else None
        return (self._items.get(item_id) if item_id else None) or item_id or "?"

    def player(self, player_id: str | None) -> str:
        if player_id and self.has_players and player_id not in self._players:
            row = self.conn.execute(
                "select username from marts.dim_players where player_id = %s", (player_id,)
            ).fetchone()
            self._players[player_id] = row[0] if row else None
        return (self._players.get(player_id) if player_id else None) or player_id or ""

    def money(self, market_id: str | None, value: float | None) -> str:
        currency = self.markets.get(market_id or "", ("", ""))[1]
        return f"{_fmt(value)} {currency}".strip()


def describe(rule: Rule, obs: Observation, names: _Names) -> tuple[str, str]:
    """(title, message) in plain words; never a secret, never a URL."""
    subject_item = obs.subject.split("|")[-1] if "|" in obs.subject else obs.subject
    market = rule.market_id
    if rule.rule_type in ("buy_opportunity", "sell_opportunity"):
        market = obs.subject.split("|")[0]
    item = names.item(rule.item_id or subject_item)
    where = names.markets.get(market or "", (market or "", ""))[0]
    when = obs.observed_at.strftime("%Y-%m-%d %H:%M UTC")
    player = names.player(rule.player_id)
    t = rule.rule_type
    if t in ("price_below", "price_above"):
        sign, side = ("≤", "below") if t == "price_below" else ("≥", "above")
        title = f"{item} at {names.money(market, obs.value)} ({sign} {_fmt(rule.threshold)})"
        body = f"{item} ({where}) is at {names.money(market, obs.value)}, at or {side} your "
        body += f"target of {names.money(market, rule.threshold)}."
    elif t == "price_change":
        hours = (rule.window_minutes or 0) / 60
        title = f"{item} {obs.value:+.1f} % in {hours:g} h"
        body = f"{item} ({where}) moved {obs.value:+.2f} % in {hours:g} hours to "
        body += f"{names.money(market, obs.price)} (your threshold: {_fmt(rule.threshold)} %)."
    elif t == "trend_state":
        title = f"{item} is now {obs.state}"
        body = f"{item} ({where}) entered the trend state '{obs.state}' at "
        body += f"{names.money(market, obs.price)}."
    elif t in ("buy_opportunity", "sell_opportunity"):
        verb = "Buy" if t == "buy_opportunity" else "Sell"
        title = f"{verb} {item}: {names.money(market, obs.value)} expected profit"
        body = f"{verb} {item} in {where} at {names.money(market, obs.price)}: expected profit "
        body += f"{names.money(market, obs.value)} per unit after fees."
    elif t == "arbitrage":
        route_market = obs.subject.split("|")[1].split(">")[0]
        title = f"Arbitrage {item}: {names.money(route_market, obs.value)} per unit"
        body = f"{item}: buy and sell {obs.label} for {names.money(route_market, obs.value)} "
        body += "net profit per unit after fees and transfer costs."
    elif t == "flip_margin":
        title = f"Flip {item}: margin {names.money('osrs-ge', obs.value)}"
        body = f"{item} buys at {names.money('osrs-ge', obs.price)} with a margin of "
        body += f"{names.money('osrs-ge', obs.value)} after tax."
    elif t == "hiscore_gain":
        title = f"{obs.label}: +{_fmt(obs.value)}"
        body = f"{obs.label} gained {_fmt(obs.value)} (your threshold: {_fmt(rule.threshold)})."
    else:  # achievement
        title = f"{player}: {obs.label}"
        body = f"{player} reached {obs.label} ({_fmt(obs.value)})."
    if rule.description:
        body = f"{rule.description}\n{body}"
    return title, f"{body} Observed {when}."


def evaluate(
    conn: psycopg.Connection, *, backtest_since: datetime | None = None
) -> EvaluationReport:
    """One evaluation of every rule; the caller commits (``conn`` not in autocommit).

    ``backtest_since``: rules seen for the first time replay their history from then
    (events flagged ``is_backtest``, not delivered) instead of starting at the newest data.
    """
    backtest = backtest_since is not None
    store.ensure_schema(conn)
    conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_ID,))
    report = EvaluationReport()
    rules = load_rules(conn)
    if not rules:
        return report
    names = _Names(conn)
    recipients = {
        pid: {"discord": hook, "email": email}
        for pid, hook, email in conn.execute(
            "select profile_id, discord_webhook, email_to from raw_user_state.profiles"
        ).fetchall()
    }
    states = {
        (p, r): (through, last)
        for p, r, through, last in conn.execute(
            "select profile_id, rule_id, evaluated_through, last_states from alerts.rule_state"
        ).fetchall()
    }
    for rule in rules:
        report.rules += 1
        known = rule.key in states
        through, last_states = states.get(rule.key, (None, {}))
        latest_only = not known and not backtest and rule.rule_type in HISTORY_TYPES
        since = through if known else backtest_since
        observations = observe(conn, rule, since, latest_only)
        report.observations += len(observations)
        last_event: dict[str, datetime] = dict(
            conn.execute(
                """select subject, max(triggered_at) from alerts.fct_alert_events
                where profile_id = %s and rule_id = %s group by subject""",
                rule.key,
            ).fetchall()
        )
        cooldown = timedelta(minutes=rule.cooldown_minutes)
        for obs in observations:
            fire = obs.hit
            if rule.rule_type == "trend_state":
                fire = obs.hit and last_states.get(obs.subject) != obs.state
                last_states[obs.subject] = obs.state
            if not fire:
                continue
            report.hits += 1
            previous = last_event.get(obs.subject)
            if previous is not None and obs.observed_at < previous + cooldown:
                report.suppressed += 1
                continue
            last_event[obs.subject] = obs.observed_at
            event = _insert_event(conn, rule, obs, names, backtest)
            if event is None:
                continue
            report.events.append(event)
            if backtest:
                continue
            for channel in rule.channels:
                recipient = recipients.get(rule.profile_id, {}).get(channel)
                if recipient:
                    conn.execute(
                        """insert into alerts.alert_deliveries (event_id, channel, recipient)
                        values (%s, %s, %s) on conflict do nothing""",
                        (event.event_id, channel, recipient),
                    )
                    report.deliveries += 1
        newest = max((o.observed_at for o in observations), default=since)
        conn.execute(
            """insert into alerts.rule_state (profile_id, rule_id, evaluated_through, last_states)
            values (%s, %s, %s, %s)
            on conflict (profile_id, rule_id) do update set
                evaluated_through = excluded.evaluated_through,
                last_states = excluded.last_states, updated_at = now()""",
            (*rule.key, newest, json.dumps(last_states)),
        )
    return report


def _insert_event(
    conn: psycopg.Connection, rule: Rule, obs: Observation, names: _Names, backtest: bool
) -> NewEvent | None:
    title, message = describe(rule, obs, names)
    item_id = rule.item_id
    if item_id is None and rule.rule_type in ("buy_opportunity", "sell_opportunity"):
        item_id = obs.subject.split("|")[1]
    elif item_id is None and rule.rule_type in ("arbitrage", "flip_margin"):
        item_id = obs.subject.split("|")[0]
    market_id = rule.market_id
    if rule.rule_type in ("buy_opportunity", "sell_opportunity"):
        market_id = obs.subject.split("|")[0]
    row = conn.execute(
        """insert into alerts.fct_alert_events (
            profile_id, rule_id, rule_type, subject, market_id, item_id, player_id,
            triggered_at, observed_value, threshold, trigger_price, direction, title, message,
            is_backtest)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (profile_id, rule_id, subject, triggered_at) do nothing
        returning event_id""",
        (
            rule.profile_id, rule.rule_id, rule.rule_type, obs.subject, market_id, item_id,
            rule.player_id, obs.observed_at, obs.value, rule.threshold, obs.price,
            obs.direction, title, message, backtest,
        ),
    ).fetchone()  # fmt: skip
    if row is None:
        return None
    return NewEvent(row[0], rule.profile_id, rule.rule_id, obs.observed_at, title)


def evaluate_now(*, backtest_since: datetime | None = None, info: Any = None) -> EvaluationReport:
    """``evaluate`` on a connection of its own to the warehouse, committed; see ``evaluate``
    for ``backtest_since``."""
    from orchestration import warehouse

    with warehouse.connect(info) as conn:
        report = evaluate(conn, backtest_since=backtest_since)
        conn.commit()
    return report
