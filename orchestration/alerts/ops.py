"""Pipeline failures, told through the same channels and delivery machinery as alerts.

A failed run becomes an event of the operator profile ``ops`` (rule ``run_failure``,
subject = the run id, so a run is reported once however often the sensor looks) with
a delivery per configured channel: the webhook named ``ops`` (``ALERTS__WEBHOOKS__OPS``)
and/or the address in ``ALERTS__OPS__EMAIL``. Delivery then goes through
``deliver.deliver``: recorded before it is sent, retried, never resent blindly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ingestion.http import dlt_config
from orchestration import warehouse
from orchestration.alerts import deliver, store

PROFILE, RULE, WEBHOOK = "ops", "run_failure", "ops"


def channels() -> list[tuple[str, str]]:
    """(channel, recipient) pairs configured for operators."""
    found: list[tuple[str, str]] = []
    if deliver.secret(f"alerts.webhooks.{WEBHOOK}"):
        found.append(("discord", WEBHOOK))
    email = dlt_config("alerts.ops.email")
    if email:
        found.append(("email", str(email)))
    return found


def record_run_failure(
    run_id: str, job_name: str, failed_at: datetime, reason: str, info: Any = None
) -> int | None:
    """Record the failure as an event with its pending deliveries; None when no channel
    is configured or this run was already reported."""
    targets = channels()
    if not targets:
        return None
    title = f"Run of {job_name} failed"
    message = f"Dagster run {run_id} of job {job_name} failed: {reason.strip()[:1500]}"
    with warehouse.connect(info) as conn:
        store.ensure_schema(conn)
        row = conn.execute(
            """insert into alerts.fct_alert_events (profile_id, rule_id, rule_type, subject,
                triggered_at, title, message)
            values (%s, %s, 'run_failure', %s, %s, %s, %s)
            on conflict (profile_id, rule_id, subject, triggered_at) do nothing
            returning event_id""",
            (PROFILE, RULE, run_id, failed_at, title, message),
        ).fetchone()
        if row is None:
            return None
        for channel, recipient in targets:
            conn.execute(
                """insert into alerts.alert_deliveries (event_id, channel, recipient)
                values (%s, %s, %s) on conflict do nothing""",
                (row[0], channel, recipient),
            )
        conn.commit()
    return row[0]
