"""User state and alerts as Dagster assets.

raw_user_state/* (the profiles folder) is a source like the others: it reads the folder
and nothing downstream of it. dbt resolves its items, markets and players against the
dimensions (intermediate/int_user_state__*, which list the lines that name nothing known
in int_user_state__rejected_lines), so the data walks one way: raw → staging →
intermediate → marts. alerts/fct_alert_events sits downstream of the resolved rules and
of every mart a rule reads, so every tick that refreshes those marts evaluates the rules;
alerts/alert_deliveries sends what is pending, and its check reports deliveries whose fate
is unknown.
"""

from datetime import datetime
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
    multi_asset,
)

from ingestion.sources.user_state import TABLES
from orchestration import transform, user_state
from orchestration.alerts import deliver, evaluate, store
from orchestration.defs.resources import WarehouseResource

# The rules the evaluator reads: the loaded ones whose references the catalogue resolves.
RULES = AssetKey(["intermediate", "int_user_state__alert_rules"])
RULE_INPUTS = [
    AssetKey(["marts", name])
    for name in (
        "fct_price_observations",
        "mart_item_trends",
        "mart_buy_opportunities",
        "mart_sell_opportunities",
        "mart_arbitrage",
        "mart_flips",
        "mart_player_gains",
        "mart_player_achievements",
    )
] + [RULES, AssetKey(["raw_user_state", "profiles"])]  # profiles: where to deliver
EVENTS = AssetKey(["alerts", "fct_alert_events"])
DELIVERIES = AssetKey(["alerts", "alert_deliveries"])


@multi_asset(
    specs=[
        AssetSpec(
            AssetKey(["raw_user_state", table]),
            group_name="user_state",
            description=f"raw_user_state.{table}, from the profiles folder (config/profiles).",
        )
        for table in TABLES
    ],
    name="user_state_raw",
    pool="ingest_user_state",
)
def user_state_raw(context: AssetExecutionContext, warehouse: WarehouseResource) -> Any:
    """Archive the profiles folder if it changed and load the newest bundle into
    ``raw_user_state``; one materialization per table (rows, bundle, lines rejected)."""
    result = user_state.load(root=warehouse.landing, wh=warehouse.warehouse, run_id=context.run_id)
    for pointer, reason in result.rejects:
        context.log.warning(f"rejected {pointer}: {reason}")
    for table in TABLES:
        yield MaterializeResult(
            asset_key=AssetKey(["raw_user_state", table]),
            metadata={
                "rows": result.rows.get(table, 0),
                "bundle": result.bundle or "",
                "folder_changed": result.fetched,
                "lines_rejected": len(result.rejects),
            },
        )


class AlertsConfig(Config):
    """``backtest_since`` (ISO 8601): also evaluate the rules over the history since then,
    as `snapmart demo` does for its simulated week; by default only the newest data."""

    backtest_since: str | None = None


@asset(
    key=EVENTS,
    deps=RULE_INPUTS,
    group_name="alerts",
    description="Alert rules evaluated against the newest marts: new triggers, once per cooldown.",
)
def fct_alert_events(
    context: AssetExecutionContext, config: AlertsConfig, warehouse: WarehouseResource
) -> MaterializeResult:
    """Evaluate the alert rules against the newest marts (and, with ``backtest_since``,
    the history since then); new events once per cooldown, a preview in the metadata."""
    since = datetime.fromisoformat(config.backtest_since) if config.backtest_since else None
    wh = warehouse.warehouse
    # A run that selects this asset without the rules' dbt step (the UI's "Materialize")
    # on a warehouse that never built them: built first, from the profiles as loaded.
    transform.ensure_built(transform.model_ids([RULES.path[-1]], wh), wh)
    with wh.connect() as conn:
        rules = evaluate.load_rules(conn)
    if rules:  # a source's first tick on a fresh warehouse does not build every mart a rule reads
        marts = (k.path[-1] for k in RULE_INPUTS if k.path[0] == "marts")
        transform.ensure_built(transform.model_ids(marts, wh), wh)
    report = evaluate.evaluate_now(backtest_since=since, info=wh.info)
    preview = "\n".join(
        f"| {e.triggered_at:%Y-%m-%d %H:%M} | {e.profile_id}/{e.rule_id} | {e.title} |"
        for e in report.events[:20]
    )
    return MaterializeResult(
        metadata={
            "rules": report.rules,
            "observations": report.observations,
            "new_events": len(report.events),
            "suppressed_by_cooldown": report.suppressed,
            "deliveries_queued": report.deliveries,
            "preview": MetadataValue.md(
                "| triggered | rule | alert |\n|---|---|---|\n" + preview if preview else "none"
            ),
        }
    )


@asset(
    key=DELIVERIES,
    deps=[EVENTS],
    group_name="alerts",
    description="Pending alert deliveries sent (webhook, email) with retries; see the check.",
)
def alert_deliveries(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> MaterializeResult:
    """Send the pending deliveries of alert events (with retries); sent, pending,
    failed, newly unknown and retried counts in the metadata."""
    report = deliver.deliver_now(warehouse.info)
    for error in report.errors:
        context.log.warning(error)
    return MaterializeResult(
        metadata={
            "sent": report.sent,
            "still_pending": report.pending,
            "failed": report.failed,
            "new_unknown": report.unknown,
            "retries": report.retries,
        }
    )


def unknown_deliveries(warehouse: WarehouseResource) -> list[dict[str, Any]]:
    """Deliveries whose fate is unknown (a run stopped between sending and recording)."""
    with warehouse.warehouse.connect() as conn:
        store.ensure_schema(conn)
        rows = conn.execute(
            """select d.delivery_id, d.channel, e.profile_id, e.rule_id, e.title, d.updated_at
            from alerts.alert_deliveries as d
            inner join alerts.fct_alert_events as e on d.event_id = e.event_id
            where d.status = 'unknown' order by d.delivery_id"""
        ).fetchall()
    keys = ("delivery_id", "channel", "profile_id", "rule_id", "title", "updated_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


@asset_check(
    asset=DELIVERIES,
    name="alert_deliveries_unknown",
    description="No delivery whose fate is unknown (a run stopped between sending and "
    "recording it). Settle each with `snapmart alerts resolve ID --as sent|pending`.",
)
def alert_deliveries_unknown(warehouse: WarehouseResource) -> AssetCheckResult:
    """Fail (severity ERROR) while any delivery's fate is unknown, listing up to 50."""
    unknown = unknown_deliveries(warehouse)
    return AssetCheckResult(
        passed=not unknown,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "unknown": len(unknown),
            "deliveries": MetadataValue.json(
                [{**u, "updated_at": str(u["updated_at"])} for u in unknown[:50]]
            ),
        },
    )


ALERT_ASSETS = [user_state_raw, fct_alert_events, alert_deliveries]
ALERT_CHECKS = [alert_deliveries_unknown]
