"""Deliver pending alert events: Discord-compatible webhooks and SMTP email.

The state machine is what keeps a crash from turning into a silent duplicate:

    pending ──(committed before the request)──▶ sending ──▶ sent
       ▲                                          │
       └──── retryable failure after retries ─────┤──▶ failed   (refused for good)
                                                  └──▶ unknown  (may have gone out)

A run first turns every ``sending`` row it finds into ``unknown``: only one deliverer
runs at a time (an advisory lock), so ``sending`` at the start of a run means the
previous one stopped between the request and its record. Those are never resent
blindly; the ``alert_deliveries_unknown`` check reports them and
``snapmart alerts resolve`` settles them. A read timeout after the request went out
is ``unknown`` too, for the same reason.

Secrets: a profile names its webhook (``discord: {webhook: main}``) and the URL comes
from ``alerts.webhooks.main`` in dlt's secrets (env ``ALERTS__WEBHOOKS__MAIN`` or
``.dlt/secrets.toml``); SMTP settings from ``alerts.smtp.*``. Errors are recorded and
logged as the exception type and HTTP status, scrubbed of every secret, never a URL.
"""

from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import psycopg
import requests

from ingestion.http import dlt_config, dlt_secret
from orchestration.alerts import store

log = logging.getLogger("snapmart.alerts")
LOCK_ID = 7_007_002
USER_AGENT = "snapmart-alerts/0.1"
EMBED_COLOURS = {1: 0x2ECC71, -1: 0xE74C3C}  # up green, down red; else blurple
DEFAULT_COLOUR = 0x5865F2


class Permanent(Exception):
    """The receiver refused for good (4xx other than 429, a bad address): do not retry."""


class Retryable(Exception):
    """Nothing was accepted (5xx, 429, connection refused): safe to try again."""


class Ambiguous(Exception):
    """The request may have been accepted (timeout while waiting for the answer)."""


@dataclass
class Settings:
    """How a delivery run retries: attempts per delivery per run, the first backoff in seconds
    (doubling after each retry, a receiver's Retry-After instead when it sends one, at most
    60 s), the request timeout in seconds, and the hours after which a pending delivery
    fails."""

    max_attempts: int = 4  # per run
    backoff_seconds: float = 1.0  # 1, 2, 4 … between attempts
    timeout_seconds: float = 10.0
    expire_hours: float = 24.0  # a pending delivery older than this fails

    @classmethod
    def from_config(cls) -> Settings:
        """The settings from dlt config ``alerts.<field>`` (env ``ALERTS__MAX_ATTEMPTS`` …), each
        unset one at its default; a value that does not convert to the default's type is a
        ValueError."""

        def get(key: str, default: Any) -> Any:
            value = dlt_config(f"alerts.{key}")
            return default if value in (None, "") else type(default)(value)

        base = cls()
        return cls(
            max_attempts=get("max_attempts", base.max_attempts),
            backoff_seconds=get("backoff_seconds", base.backoff_seconds),
            timeout_seconds=get("timeout_seconds", base.timeout_seconds),
            expire_hours=get("expire_hours", base.expire_hours),
        )


@dataclass
class DeliveryReport:
    """What one delivery run did: deliveries sent, left pending (retries used up, or a channel
    not configured), failed (refused for good, or expired), found or made ``unknown`` (may
    have gone out), retries made, and error lines (a delivery still pending after its
    retries, or another run holding the lock)."""

    sent: int = 0
    pending: int = 0
    failed: int = 0
    unknown: int = 0  # newly found unknown this run (sending after a crash, timeouts)
    retries: int = 0
    errors: list[str] = field(default_factory=list)


def secret(key: str) -> str | None:
    """A configured secret (dlt's secrets: the environment or secrets.toml); None when unset,
    a UserMistake when the secrets file cannot be read."""
    return dlt_secret(key)


def _scrub(text: str, secrets: list[str]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text[:500]


# --------------------------------------------------------------------------- channels


def discord_payload(event: dict[str, Any]) -> dict[str, Any]:
    """Discord's webhook body: a short ``content`` line and one embed with the details."""
    fields = [
        {"name": "Rule", "value": f"{event['profile_id']} / {event['rule_id']}", "inline": True}
    ]
    if event.get("observed_value") is not None:
        fields.append({"name": "Value", "value": f"{event['observed_value']:,.2f}", "inline": True})
    if event.get("threshold") is not None:
        fields.append({"name": "Threshold", "value": f"{event['threshold']:,.2f}", "inline": True})
    return {
        "content": f"🔔 {event['title']}",
        "embeds": [
            {
                "title": event["title"][:256],
                "description": event["message"][:4000],
                "color": EMBED_COLOURS.get(event.get("direction") or 0, DEFAULT_COLOUR),
                "timestamp": event["triggered_at"].astimezone(UTC).isoformat(),
                "fields": fields,
                "footer": {"text": f"snapmart · {event['rule_type']}"},
            }
        ],
        "allowed_mentions": {"parse": []},
    }


def send_webhook(url: str, payload: dict[str, Any], settings: Settings) -> int:
    """POST ``payload`` to a webhook; returns the 2xx status. Raises Retryable (connection
    refused, connect timeout, 429 or 5xx, with the Retry-After seconds when sent), Permanent
    (any other status) or Ambiguous (a read timeout or a connection dropped after the
    request went out: it may have been delivered). Discord answers 204 to a webhook without
    ``?wait=true`` (https://discord.com/developers/docs/resources/webhook#execute-webhook)."""
    try:
        resp = requests.post(
            url,
            json=payload,
            timeout=(min(5.0, settings.timeout_seconds), settings.timeout_seconds),
            headers={"User-Agent": USER_AGENT},
        )
    except requests.exceptions.ReadTimeout:
        raise Ambiguous("timed out waiting for the webhook's answer") from None
    except requests.ConnectionError as exc:
        if "aborted" in str(exc).lower():  # dropped after the request went out
            raise Ambiguous("the connection dropped before the webhook answered") from None
        raise Retryable(f"connection failed ({type(exc).__name__})") from None
    except requests.Timeout:
        raise Retryable("timed out connecting to the webhook") from None
    if 200 <= resp.status_code < 300:
        return resp.status_code
    if resp.status_code == 429 or resp.status_code >= 500:
        err = Retryable(f"HTTP {resp.status_code}")
        err.retry_after = _retry_after(resp)  # type: ignore[attr-defined]
        err.status = resp.status_code  # type: ignore[attr-defined]
        raise err
    err2 = Permanent(f"HTTP {resp.status_code}")
    err2.status = resp.status_code  # type: ignore[attr-defined]
    raise err2


def _retry_after(resp: requests.Response) -> float | None:
    header = resp.headers.get("Retry-After")
    try:
        return float(header) if header else None
    except ValueError:
        return None


@dataclass
class SmtpSettings:
    """The SMTP server alerts are mailed through (``alerts.smtp.*``): host, port, sender, and
    an optional login and STARTTLS."""

    host: str
    port: int
    sender: str
    username: str | None
    password: str | None
    starttls: bool

    @classmethod
    def from_config(cls) -> SmtpSettings | None:
        """The settings from dlt config and secrets (``alerts.smtp.host``, ``port`` 25,
        ``sender`` snapmart@localhost, ``username``, ``password`` as a secret, ``starttls``
        false); None when no host is set: email is not configured."""
        host = _config("alerts.smtp.host")
        if not host:
            return None
        return cls(
            host=host,
            port=int(_config("alerts.smtp.port") or 25),
            sender=_config("alerts.smtp.sender") or "snapmart@localhost",
            username=_config("alerts.smtp.username"),
            password=secret("alerts.smtp.password"),
            starttls=str(_config("alerts.smtp.starttls") or "false").lower() in ("1", "true"),
        )


def _config(key: str) -> str | None:
    value = dlt_config(key)
    if value in (None, ""):
        value = secret(key)
    return None if value in (None, "") else str(value)


def send_email(smtp: SmtpSettings, to: str, event: dict[str, Any], settings: Settings) -> None:
    """Mail one event to ``to``. Raises Permanent (recipient refused, authentication failed,
    a 5xx reply), Retryable (a 4xx reply, or the connection failing before the message was
    sent) or Ambiguous (the connection lost while sending: it may be queued already)."""
    msg = EmailMessage()
    msg["From"], msg["To"] = smtp.sender, to
    msg["Subject"] = f"[snapmart] {event['title']}"
    msg["X-Snapmart-Event"] = str(event["event_id"])
    msg.set_content(f"{event['message']}\n\nRule: {event['profile_id']} / {event['rule_id']}\n")
    sent_data = False
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=settings.timeout_seconds) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            sent_data = True
            client.send_message(msg)
    except smtplib.SMTPRecipientsRefused:
        raise Permanent("recipient refused") from None
    except smtplib.SMTPAuthenticationError:
        raise Permanent("SMTP authentication failed") from None
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise Retryable(f"SMTP {exc.smtp_code}") from None
        raise Permanent(f"SMTP {exc.smtp_code}") from None
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        if sent_data:  # the message may be queued already
            raise Ambiguous(f"SMTP connection lost while sending ({type(exc).__name__})") from None
        raise Retryable(f"SMTP connection failed ({type(exc).__name__})") from None


# --------------------------------------------------------------------------- the run

OPEN_SQL = """
select d.delivery_id, d.channel, d.recipient, d.created_at,
    e.event_id, e.profile_id, e.rule_id, e.rule_type, e.triggered_at, e.observed_value,
    e.threshold, e.direction, e.title, e.message
from alerts.alert_deliveries as d
inner join alerts.fct_alert_events as e on d.event_id = e.event_id
where d.status = 'pending'
order by d.delivery_id
"""


def _set(conn: psycopg.Connection, delivery_id: int, status: str, **cols: Any) -> None:
    sets = ", ".join(f"{k} = %({k})s" for k in cols)
    conn.execute(
        f"update alerts.alert_deliveries set status = %(status)s, updated_at = now()"
        f"{', ' + sets if sets else ''} where delivery_id = %(id)s",
        {"status": status, "id": delivery_id, **cols},
    )
    conn.commit()


def deliver(
    conn: psycopg.Connection, settings: Settings | None = None, sleep: Any = time.sleep
) -> DeliveryReport:
    """Send every pending delivery; ``conn`` is committed after each state change."""
    settings = settings or Settings.from_config()
    report = DeliveryReport()
    store.ensure_schema(conn)
    conn.commit()
    if not conn.execute("select pg_try_advisory_lock(%s)", (LOCK_ID,)).fetchone()[0]:
        conn.commit()
        report.errors.append("another delivery run holds the lock; nothing done")
        return report
    try:
        crashed = conn.execute(
            """update alerts.alert_deliveries set status = 'unknown', updated_at = now(),
                last_error = 'found sending at the start of a run: the previous run stopped '
                    || 'between the request and its record; not resent'
            where status = 'sending' returning delivery_id"""
        ).fetchall()
        conn.commit()
        report.unknown += len(crashed)
        for (delivery_id,) in crashed:
            log.warning("delivery %s was left sending by a stopped run: now unknown", delivery_id)
        expired = conn.execute(
            """update alerts.alert_deliveries set status = 'failed', updated_at = now(),
                last_error = coalesce(last_error || '; ', '') || 'expired after '
                    || %s || ' h pending'
            where status = 'pending' and created_at < now() - make_interval(hours => %s)
            returning delivery_id""",
            (f"{settings.expire_hours:g}", int(settings.expire_hours)),
        ).fetchall()
        conn.commit()
        report.failed += len(expired)
        cols = [
            "delivery_id", "channel", "recipient", "created_at", "event_id", "profile_id",
            "rule_id", "rule_type", "triggered_at", "observed_value", "threshold", "direction",
            "title", "message",
        ]  # fmt: skip
        rows = [dict(zip(cols, r, strict=True)) for r in conn.execute(OPEN_SQL).fetchall()]
        conn.commit()
        smtp = SmtpSettings.from_config() if any(r["channel"] == "email" for r in rows) else None
        for row in rows:
            _deliver_one(conn, row, settings, smtp, report, sleep)
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (LOCK_ID,))
        conn.commit()
    return report


def _deliver_one(
    conn: psycopg.Connection,
    row: dict[str, Any],
    settings: Settings,
    smtp: SmtpSettings | None,
    report: DeliveryReport,
    sleep: Any,
) -> None:
    delivery_id = row["delivery_id"]
    secrets: list[str] = []
    if row["channel"] == "discord":
        key = f"alerts.webhooks.{row['recipient']}"
        url = secret(key)
        if not url:
            env = key.upper().replace(".", "__")
            _set(conn, delivery_id, "pending", last_error=f"webhook secret not set ({env})")
            report.pending += 1
            return
        secrets.append(url)
        payload = discord_payload(row)

        def attempt() -> int | None:
            return send_webhook(url, payload, settings)
    else:
        if smtp is None:
            _set(
                conn, delivery_id, "pending", last_error="SMTP not configured (ALERTS__SMTP__HOST)"
            )
            report.pending += 1
            return
        secrets += [s for s in (smtp.password,) if s]

        def attempt() -> int | None:
            send_email(smtp, row["recipient"], row, settings)
            return None

    # The intent is on record (pending); mark it sending before anything leaves.
    conn.execute(
        """update alerts.alert_deliveries set status = 'sending', updated_at = now(),
            attempts = attempts + 1 where delivery_id = %s""",
        (delivery_id,),
    )
    conn.commit()
    last_error, last_status = "", None
    for n in range(1, settings.max_attempts + 1):
        try:
            status = attempt()
        except Retryable as exc:
            last_error = _scrub(str(exc), secrets)
            last_status = getattr(exc, "status", None)
            if n < settings.max_attempts:
                report.retries += 1
                wait = getattr(exc, "retry_after", None) or settings.backoff_seconds * 2 ** (n - 1)
                log.info("delivery %s: %s, retrying in %.1fs", delivery_id, last_error, wait)
                sleep(min(wait, 60.0))
                conn.execute(
                    "update alerts.alert_deliveries set attempts = attempts + 1 "
                    "where delivery_id = %s",
                    (delivery_id,),
                )
                conn.commit()
            continue
        except Permanent as exc:
            msg = _scrub(str(exc), secrets)
            _set(conn, delivery_id, "failed", last_error=msg,
                 http_status=getattr(exc, "status", None))  # fmt: skip
            report.failed += 1
            log.warning("delivery %s failed for good: %s", delivery_id, msg)
            return
        except Ambiguous as exc:
            msg = _scrub(str(exc), secrets) + "; it may have been delivered: not resent"
            _set(conn, delivery_id, "unknown", last_error=msg)
            report.unknown += 1
            log.warning("delivery %s: %s", delivery_id, msg)
            return
        _set(conn, delivery_id, "sent", http_status=status, sent_at=datetime.now(UTC),
             last_error=None)  # fmt: skip
        report.sent += 1
        return
    _set(conn, delivery_id, "pending", last_error=last_error, http_status=last_status)
    report.pending += 1
    report.errors.append(f"delivery {delivery_id}: {last_error}")
    log.warning("delivery %s still pending after %d attempts: %s", delivery_id, n, last_error)


def deliver_now(info: Any = None, settings: Settings | None = None) -> DeliveryReport:
    """``deliver`` on a connection of its own to the warehouse (``info``, else the default one)."""
    from orchestration import warehouse

    with warehouse.connect(info) as conn:
        return deliver(conn, settings)


def open_deliveries(conn: psycopg.Connection) -> dict[str, int]:
    """Deliveries per status (pending, sending, sent, failed, unknown) → how many; a status
    with none is absent. Creates the alerts schema when missing."""
    store.ensure_schema(conn)
    return dict(
        conn.execute(
            "select status, count(*) from alerts.alert_deliveries group by status"
        ).fetchall()
    )
