"""`snapmart alerts …` and `snapmart profiles …`, and the demo's alert and bank tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from orchestration import warehouse
from orchestration.cli.exit_codes import ExitCode
from orchestration.cli.output import console, err, fail, start_warehouse

alerts_app = typer.Typer(help="Alert rules: evaluate, deliver, inspect, settle.")
profiles_app = typer.Typer(help="The profiles folder (favorites, watchlists, bank, alert rules).")


@profiles_app.command("load")
def profiles_load() -> None:
    """Load the profiles folder (what every refresh does), then check its lines against the
    item catalogue; lists each rejected line with its file and line number."""
    from ingestion.sources.user_state import profiles_dir
    from orchestration import user_state
    from orchestration.runtime.locks import LockBusy

    wh = start_warehouse()
    try:
        result = user_state.load(wh=wh)
    except user_state.UserStateError as exc:
        fail(exc)
        return
    except LockBusy as exc:  # another load of the profiles held the lock past the wait
        err.print(f"[red]{escape(str(exc))}[/]", soft_wrap=True)
        raise typer.Exit(int(ExitCode.BUSY)) from None
    console.print(f"Profiles folder: {profiles_dir()} (archived as {result.bundle or 'nothing'})")
    console.print(", ".join(f"{table} {n:,}" for table, n in result.rows.items()))
    unknown = _check_against_catalogue(wh)  # dbt: the lines naming nothing it knows
    rejects = sorted([*result.rejects, *(unknown or [])], key=_file_line)
    for _pointer, reason in rejects:
        err.print(f"[yellow]rejected:[/] {reason}")
    if unknown is None:
        console.print(
            "Items, markets and players are checked once the item catalogue is built:"
            " run `snapmart refresh` (or `snapmart demo`)."
        )
    if rejects:
        raise typer.Exit(1)


def _check_against_catalogue(wh: Any) -> list[tuple[str, str]] | None:
    """The loaded lines the catalogue does not resolve (dbt's int_user_state__rejected_lines,
    built with what it reads when the warehouse does not hold it yet: views, which show the
    raw tables as loaded). None while no market built a catalogue to check against."""
    from orchestration import transform, user_state

    with wh.connect() as conn:
        if not conn.execute("select to_regclass('marts.dim_items')").fetchone()[0]:
            return None
    transform.ensure_built(transform.model_ids([user_state.REJECTED_LINES], wh), wh)
    with wh.connect() as conn:
        return user_state.catalogue_rejects(conn)


def _ensure_rules(wh: Any) -> None:
    """The rules the evaluator reads (dbt's int_user_state__alert_rules, a view over the
    loaded profiles), built with what it reads when the warehouse does not hold it: on a
    fresh warehouse, or after a dbt run replaced the staging views under it."""
    from orchestration import transform
    from orchestration.alerts.evaluate import RULES_RELATION

    name = RULES_RELATION.rsplit(".", 1)[-1]
    transform.ensure_built(transform.model_ids([name], wh), wh)


def _file_line(reject: tuple[str, str]) -> tuple[str, int]:
    """A reject's (file, line), for listing them in the order of the files."""
    file, _, line = reject[0].rpartition(":")
    return (file, int(line)) if line.isdigit() else (reject[0], 0)


@alerts_app.command("evaluate")
def alerts_evaluate() -> None:
    """Evaluate every rule against the current marts (new triggers, once per cooldown)."""
    from orchestration.alerts import evaluate

    wh = start_warehouse()
    _ensure_rules(wh)
    report = evaluate.evaluate_now(info=wh.info)
    for e in report.events:
        console.print(f"{e.triggered_at:%Y-%m-%d %H:%M} {e.profile_id}/{e.rule_id}: {e.title}")
    console.print(
        f"{len(report.events)} new event(s), {report.deliveries} delivery(ies) queued, "
        f"{report.suppressed} held back by cooldowns ({report.rules} rules)."
    )


@alerts_app.command("deliver")
def alerts_deliver() -> None:
    """Send pending deliveries (with retries); exit 1 while any stays pending or unknown."""
    from orchestration.alerts import deliver

    wh = start_warehouse()
    report = deliver.deliver_now(wh.info)
    for error in report.errors:
        err.print(f"[yellow]{error}[/]")
    console.print(
        f"sent {report.sent}, still pending {report.pending}, failed {report.failed}, "
        f"new unknown {report.unknown} ({report.retries} retries)"
    )
    raise typer.Exit(1 if report.pending or report.unknown else 0)


@alerts_app.command("status")
def alerts_status() -> None:
    """Deliveries by status, and every one that needs a person (pending, unknown)."""
    from orchestration.alerts import deliver

    info = start_warehouse().info
    with warehouse.connect(info) as conn:
        counts = deliver.open_deliveries(conn)
        rows = conn.execute(
            """select d.delivery_id, d.status, d.channel, e.profile_id || '/' || e.rule_id,
                e.title, d.attempts, coalesce(d.last_error, ''), d.updated_at
            from alerts.alert_deliveries as d
            join alerts.fct_alert_events as e using (event_id)
            where d.status in ('pending', 'unknown', 'sending')
            order by d.delivery_id"""
        ).fetchall()
    console.print(", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "no deliveries")
    if rows:
        t = Table(title="Deliveries that need attention")
        for col in ("id", "status", "channel", "rule", "alert", "attempts", "last error"):
            t.add_column(col)
        for r in rows:
            t.add_row(str(r[0]), r[1], r[2], r[3], r[4][:60], str(r[5]), r[6][:80])
        console.print(t)
    if counts.get("unknown"):
        console.print(
            "[red]unknown[/]: a run stopped between sending and recording these; check the "
            "channel, then `snapmart alerts resolve ID --as sent` (it arrived) or "
            "`--as pending` (send it again)."
        )
        raise typer.Exit(1)


@alerts_app.command("resolve")
def alerts_resolve(
    delivery_id: Annotated[int, typer.Argument(help="The delivery (see `alerts status`).")],
    as_: Annotated[str, typer.Option("--as", help="sent (it arrived) or pending (resend).")],
) -> None:
    """Settle a delivery whose fate is unknown, after checking the channel."""
    if as_ not in ("sent", "pending", "failed"):
        fail(ValueError(f"--as is sent, pending or failed, not {as_!r}"))
    info = start_warehouse().info
    with warehouse.connect(info) as conn:
        row = conn.execute(
            """update alerts.alert_deliveries set status = %s, updated_at = now(),
                last_error = coalesce(last_error, '') || ' (resolved by hand as ' || %s || ')'
            where delivery_id = %s and status = 'unknown' returning delivery_id""",
            (as_, as_, delivery_id),
        ).fetchone()
        conn.commit()
    if row is None:
        fail(ValueError(f"delivery {delivery_id} is not unknown"), "see `snapmart alerts status`")
    console.print(f"delivery {delivery_id} is now {as_}.")


@alerts_app.command("backtest")
def alerts_backtest(
    days: Annotated[float, typer.Option(help="Replay this many days of history.")] = 7,
) -> None:
    """What the current rules would have sent over the last DAYS of data (nothing is
    recorded or sent: the evaluation runs in a transaction that is rolled back)."""
    from orchestration.alerts import evaluate, store

    wh = start_warehouse()
    _ensure_rules(wh)
    info = wh.info
    with warehouse.connect(info) as conn:
        store.ensure_schema(conn)
        conn.execute("delete from alerts.rule_state")
        conn.execute("delete from alerts.fct_alert_events")
        newest = conn.execute(
            "select max(observed_at) from marts.fct_price_observations"
        ).fetchone()[0]
        since = (newest or datetime.now(UTC)) - timedelta(days=days)
        report = evaluate.evaluate(conn, backtest_since=since)
        conn.rollback()
    _print_events([(e.triggered_at, f"{e.profile_id}/{e.rule_id}", e.title) for e in report.events])
    console.print(f"{len(report.events)} alert(s) since {since:%Y-%m-%d %H:%M} UTC (not recorded).")


def _print_events(events: list[tuple[Any, str, str]], limit: int = 40) -> None:
    t = Table(title="Alerts")
    for col in ("triggered (UTC)", "rule", "alert"):
        t.add_column(col)
    for when, rule, title in events[-limit:]:
        t.add_row(f"{when:%Y-%m-%d %H:%M}", rule, title)
    console.print(t)


def print_week_alerts(info: warehouse.ConnectionInfo, since: datetime) -> None:
    """The demo's answer to "what would the alerts have told me this week"."""
    with warehouse.connect(info) as conn:
        per_rule = conn.execute(
            """select e.profile_id || '/' || e.rule_id, e.rule_type, count(*),
                max(e.triggered_at),
                (array_agg(e.title order by e.triggered_at desc))[1]
            from alerts.fct_alert_events as e
            where e.triggered_at >= %s
            group by 1, 2 order by 1""",
            (since,),
        ).fetchall()
    if not per_rule:
        console.print("[dim]No alert rule fired in the simulated week.[/]")
        return
    t = Table(title=f"Alerts the simulated week would have sent (since {since:%Y-%m-%d %H:%M} UTC)")
    for col in ("rule", "type", "alerts", "last (UTC)", "last alert"):
        t.add_column(col, justify="right" if col == "alerts" else "left")
    for rule, rule_type, n, last, title in per_rule:
        t.add_row(rule, rule_type, str(n), f"{last:%m-%d %H:%M}", title)
    console.print(t)
    total = sum(r[2] for r in per_rule)
    console.print(
        f"{total} alerts from {len(per_rule)} rules in config/profiles/demo.yaml; each rule "
        "fires at most once per cooldown. Give a rule `notify:` and a channel to be told."
    )


def print_bank_crafts(info: warehouse.ConnectionInfo, profile: str, limit: int = 8) -> None:
    """Print the profile's most profitable crafts from its bank
    (``profiles.profile_bank_craft_opportunities``, read as the login user: analysts do not
    get that schema; at most ``limit``, best first; amounts in gp), or a line saying it has
    none."""
    with warehouse.connect(info) as conn:
        rows = conn.execute(
            """select recipe_name, crafts_from_bank, crafts_with_purchase, units_to_buy,
                missing_cost, sale_value, fees, profit, profit_over_selling_stock
            from profiles.profile_bank_craft_opportunities
            where profile_id = %s and profit is not null
            order by profit desc limit %s""",
            (profile, limit),
        ).fetchall()
    if not rows:
        console.print(f"[dim]Profile {profile!r} has no craft opportunities.[/]")
        return
    t = Table(title=f"What profile '{profile}' can craft from its bank (gp)")
    for col in (
        "recipe", "from bank", "topped up", "to buy", "cost to buy", "sale value", "fees",
        "profit", "vs selling stock",
    ):  # fmt: skip
        t.add_column(col, justify="left" if col == "recipe" else "right")
    for r in rows:
        t.add_row(r[0], *(f"{int(v):,}" if v is not None else "–" for v in r[1:]))
    console.print(t)
