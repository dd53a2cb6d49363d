"""Profiles, alert evaluation and delivery against real parts: simulated OSRS buckets
loaded and built by dlt and dbt, a webhook receiver and an SMTP server (aiosmtpd) on
loopback, and a real process killed between sending a webhook and recording it."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from ingestion.simulator.writer import write_osrs_prices
from orchestration import ingest, transform, user_state, warehouse
from orchestration.alerts import deliver, evaluate
from orchestration.cli import app
from orchestration.defs.alerts import alert_deliveries_unknown
from orchestration.defs.resources import WarehouseResource
from tests.conftest import SIM_END, query, scalar

SECRET_TOKEN = "s3cr3t-webhook-token"
FAST = deliver.Settings(max_attempts=3, backoff_seconds=0.01, timeout_seconds=5)
# What a tick builds for the rules: the price facts, the catalogue, and the rules resolved
# against it (views over raw_user_state: a later profiles load shows through them at once).
BUILD = (
    "+fct_price_observations +dim_items +dim_markets"
    " +int_user_state__alert_rules +int_user_state__rejected_lines"
)


class Receiver:
    """A Discord-compatible webhook on loopback: records each POST, answers with the next
    scripted status (204 when the script is empty), and can kill a process on receipt."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self.script: list[int] = []
        self.kill_pid: int | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(json.loads(body))
                receiver.paths.append(self.path)
                if receiver.kill_pid is not None:
                    os.kill(receiver.kill_pid, signal.SIGKILL)
                    receiver.kill_pid = None
                status = receiver.script.pop(0) if receiver.script else 204
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api/webhooks/42/{SECRET_TOKEN}"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    old = os.environ.get("ALERTS__WEBHOOKS__HOOK")
    os.environ["ALERTS__WEBHOOKS__HOOK"] = r.url
    yield r
    r.server.shutdown()
    if old is None:
        os.environ.pop("ALERTS__WEBHOOKS__HOOK", None)
    else:
        os.environ["ALERTS__WEBHOOKS__HOOK"] = old


def _tick(landing: Path, minutes: int) -> None:
    """One scheduled OSRS tick ``minutes`` after SIM_END: the new buckets land, load, build."""
    write_osrs_prices(
        0.5, seed=3, n_items=12, end=SIM_END + timedelta(minutes=minutes), root=landing
    )
    ingest.load_source("osrs_prices", root=landing)
    result = transform.run_dbt("build", select=BUILD)
    assert result.success, [(n.name, n.message) for n in result.failed()]


@pytest.fixture(scope="module")
def market(db, landing) -> dict[str, str]:
    _tick(landing, 0)
    item_id, name = query(
        db,
        """select o.item_id, i.source_item_id from marts.fct_price_observations as o
        join marts.dim_items as i using (item_id)
        where o.is_rollup_input group by 1, 2 order by count(*) desc, 1 limit 1""",
    )[0]
    return {"item_id": item_id, "source_item_id": name}


def _profile(folder: Path, market: dict[str, str], rules: str, channels: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alice.yaml").write_text(
        "profile: {name: Alice, default_market: osrs-ge}\n"
        "channels:\n"
        "  discord: {webhook: hook}\n"
        f"{channels}"
        f"bank:\n  - {{item: {market['source_item_id']}, quantity: 3}}\n"
        f"alerts:\n{rules}"
    )


def _rule(rule_id: str, market: dict[str, str], notify: str = "[discord]") -> str:
    # A target of 1 gp holds at every observation: the rule triggers on every refresh.
    return (
        f"  - {{id: {rule_id}, type: price_above, item: {market['source_item_id']}, "
        f"target: 1, cooldown: 1h, notify: {notify}}}\n"
    )


def _deliver(db) -> deliver.DeliveryReport:
    with warehouse.connect(db) as conn:
        return deliver.deliver(conn, FAST)


def _status(db, rule_id: str) -> list[tuple]:
    return query(
        db,
        """select d.status, d.attempts, d.last_error from alerts.alert_deliveries as d
        join alerts.fct_alert_events as e using (event_id) where e.rule_id = %s""",
        (rule_id,),
    )


def test_profiles_load_into_raw_without_any_mart(db, tmp_path) -> None:
    """The profiles folder is a source like the others: it loads on a warehouse where no
    mart was ever built, and loading builds none (the catalogue check is dbt's)."""
    assert scalar(db, "select to_regclass('marts.dim_items')") is None
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "eve.yaml").write_text(
        "profile: {default_market: osrs-ge, players: [Zezima]}\n"
        "favorites: [Coal, Natur rune]\n"
        "bank:\n  - {item: Coal, quantity: -1}\n"
        "alerts:\n  - {id: cheap, type: price_below, item: Coal, target: 1}\n"
    )
    loaded = user_state.load(folder=folder)
    assert loaded.rows == {"profiles": 1, "profile_players": 1, "favorites": 2,
                           "watchlists": 0, "bank_items": 0, "alert_rules": 1}  # fmt: skip
    assert loaded.rejects == [("eve.yaml:4", "eve.yaml line 4: negative quantity -1 for 'Coal'")]
    assert query(db, "select item from raw_user_state.favorites order by source_line, item") == [
        ("Coal",),
        ("Natur rune",),
    ]
    assert query(
        db, "select relname from pg_class join pg_namespace as n on n.oid = relnamespace"
        " where n.nspname in ('marts', 'intermediate', 'staging')"
    ) == []  # fmt: skip


def test_raw_user_state_from_before_names_loaded_as_written_gains_their_columns(db) -> None:
    """A warehouse whose raw tables predate a column (watchlists.item: items once loaded
    as ids) gets it, empty, before dbt's staging views need it, even for a table no load
    writes to (dlt adds columns only to the tables it loads rows into)."""
    user_state.ensure_tables(warehouse.current())
    with warehouse.connect(db, autocommit=True) as conn:
        conn.execute("alter table raw_user_state.watchlists drop column item")
        conn.execute("alter table raw_user_state.watchlists add column item_id varchar")
    user_state.ensure_tables(warehouse.current())
    columns = {
        c for (c,) in query(
            db, "select column_name from information_schema.columns"
            " where table_schema = 'raw_user_state' and table_name = 'watchlists'"
        )
    }  # fmt: skip
    assert {"item", "item_id", "market_id", "watchlist"} <= columns


def test_deleting_the_last_profile_empties_the_user_state(db, market, tmp_path) -> None:
    folder = tmp_path / "profiles"
    _profile(folder, market, _rule("gone-soon", market))
    loaded = user_state.load(folder=folder)
    assert loaded.rows["alert_rules"] == 1 and loaded.rows["profiles"] == 1
    (folder / "alice.yaml").unlink()
    emptied = user_state.load(folder=folder)
    assert set(emptied.rows.values()) == {0}
    for table in ("profiles", "bank_items", "alert_rules"):
        assert query(db, f"select count(*) from raw_user_state.{table}") == [(0,)], table


def test_three_refreshes_within_the_cooldown_give_one_event_and_one_delivery(
    db, landing, market, receiver, tmp_path
) -> None:
    folder = tmp_path / "profiles"
    _profile(folder, market, _rule("always", market))
    before = len(receiver.requests)
    reports, newest = [], []
    for minutes in (5, 10, 15):  # three ticks, 5 minutes apart, all inside the 1 h cooldown
        _tick(landing, minutes)
        newest.append(
            scalar(
                db,
                "select max(observed_at) from marts.fct_price_observations"
                " where is_rollup_input and item_id = %s",
                (market["item_id"],),
            )
        )
        user_state.load(folder=folder)
        reports.append(evaluate.evaluate_now())
        _deliver(db)
    assert [len(r.events) for r in reports] == [1, 0, 0]
    assert reports[1].suppressed >= 1 and reports[2].suppressed >= 1  # it held, and waited
    events = query(
        db, "select triggered_at, title from alerts.fct_alert_events where rule_id = 'always'"
    )
    assert len(events) == 1
    assert newest[0] < newest[1] < newest[2]  # each tick brought a newer bucket
    assert events[0][0] == newest[0]  # a new rule starts at the newest data, not history
    assert _status(db, "always") == [("sent", 1, None)]
    assert len(receiver.requests) - before == 1
    body = receiver.requests[-1]
    assert body["content"].startswith("🔔 ") and body["embeds"][0]["title"] == events[0][1]
    # The watermark followed the data: the third tick's newest bucket was evaluated.
    through = scalar(db, "select evaluated_through from alerts.rule_state where rule_id = 'always'")
    assert through == newest[2]
    # Evaluating again with no new data adds nothing.
    assert evaluate.evaluate_now().events == []


def test_a_crash_between_send_and_record_is_unknown_and_never_resent(
    db, landing, market, receiver, tmp_path
) -> None:
    folder = tmp_path / "profiles"
    _profile(folder, market, _rule("crash", market))
    user_state.load(folder=folder)
    assert len(evaluate.evaluate_now().events) == 1
    before = len(receiver.requests)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from orchestration.alerts import deliver; deliver.deliver_now()"],
        env=os.environ.copy(),
    )
    receiver.kill_pid = proc.pid  # the receiver kills it as the request arrives
    assert proc.wait(timeout=120) == -signal.SIGKILL
    assert len(receiver.requests) - before == 1
    assert _status(db, "crash")[0][0] == "sending"

    # The next run finds it sending: unknown, not resent.
    report = _deliver(db)
    assert report.unknown == 1 and report.sent == 0
    assert len(receiver.requests) - before == 1
    status, attempts, error = _status(db, "crash")[0]
    assert (status, attempts) == ("unknown", 1) and "not resent" in error
    again = _deliver(db)
    assert (again.unknown, again.sent) == (0, 0) and len(receiver.requests) - before == 1

    check = alert_deliveries_unknown(warehouse=WarehouseResource.from_env())
    assert not check.passed and check.metadata["unknown"].value == 1
    status = CliRunner().invoke(app, ["alerts", "status"])
    assert status.exit_code == 1 and "unknown 1" in status.output, status.output

    delivery_id = scalar(
        db,
        "select delivery_id from alerts.alert_deliveries join alerts.fct_alert_events"
        " using (event_id) where rule_id = 'crash'",
    )
    result = CliRunner().invoke(app, ["alerts", "resolve", str(delivery_id), "--as", "sent"])
    assert result.exit_code == 0, result.output
    assert _status(db, "crash")[0][0] == "sent"
    assert alert_deliveries_unknown(warehouse=WarehouseResource.from_env()).passed


def test_a_webhook_failing_twice_is_retried_then_sent(
    db, landing, market, receiver, tmp_path
) -> None:
    folder = tmp_path / "profiles"
    _profile(folder, market, _rule("flaky", market))
    user_state.load(folder=folder)
    assert len(evaluate.evaluate_now().events) == 1
    before = len(receiver.requests)
    receiver.script = [500, 500]  # then 204
    report = _deliver(db)
    assert (report.sent, report.retries) == (1, 2)
    assert len(receiver.requests) - before == 3
    assert _status(db, "flaky") == [("sent", 3, None)]
    assert (
        scalar(
            db,
            "select http_status from alerts.alert_deliveries join alerts.fct_alert_events"
            " using (event_id) where rule_id = 'flaky'",
        )
        == 204
    )


def test_an_unreachable_webhook_stays_pending_and_is_sent_next_run(
    db, landing, market, receiver, tmp_path, caplog
) -> None:
    folder = tmp_path / "profiles"
    _profile(folder, market, _rule("later", market))
    user_state.load(folder=folder)
    assert len(evaluate.evaluate_now().events) == 1
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    dead_url = f"http://127.0.0.1:{closed.server_port}/api/webhooks/42/{SECRET_TOKEN}"
    closed.server_close()  # nothing listens there any more
    os.environ["ALERTS__WEBHOOKS__HOOK"] = dead_url
    try:
        with caplog.at_level(logging.INFO, logger="snapmart.alerts"):
            report = _deliver(db)
    finally:
        os.environ["ALERTS__WEBHOOKS__HOOK"] = receiver.url
    assert (report.sent, report.pending) == (0, 1)
    status, attempts, error = _status(db, "later")[0]
    assert (status, attempts) == ("pending", 3) and error.startswith("connection failed")
    assert SECRET_TOKEN not in caplog.text and "127.0.0.1" not in error
    before = len(receiver.requests)
    assert _deliver(db).sent == 1
    assert _status(db, "later")[0][0] == "sent" and len(receiver.requests) - before == 1


def test_email_goes_through_smtp(db, landing, market, receiver, tmp_path) -> None:
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.messages: list[tuple[list[str], bytes]] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.messages.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

    inbox = Inbox()
    with socket.socket() as probe:  # a free loopback port for the SMTP server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {"ALERTS__SMTP__HOST": "127.0.0.1", "ALERTS__SMTP__PORT": str(port),
           "ALERTS__SMTP__SENDER": "alerts@snapmart.test"}  # fmt: skip
    os.environ.update(env)
    try:
        folder = tmp_path / "profiles"
        _profile(
            folder, market, _rule("mail", market, "[email]"), "  email: {to: alice@example.com}\n"
        )
        user_state.load(folder=folder)
        assert len(evaluate.evaluate_now().events) == 1
        report = _deliver(db)
    finally:
        controller.stop()
        for key in env:
            os.environ.pop(key, None)
    assert report.sent == 1
    assert _status(db, "mail") == [("sent", 1, None)]
    ((rcpt, content),) = inbox.messages
    assert rcpt == ["alice@example.com"]
    title = scalar(db, "select title from alerts.fct_alert_events where rule_id = 'mail'")
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert message["Subject"] == f"[snapmart] {title}"
    assert message["From"] == "alerts@snapmart.test"
    assert "Rule: alice / mail" in message.get_content()


def test_lines_the_catalogue_does_not_know_are_listed_by_dbt_and_left_out(
    db, market, tmp_path, monkeypatch
) -> None:
    """Items, markets and players load as written; dbt's int_user_state__rejected_lines
    lists each line that names nothing the catalogue knows, with the loader's words, and
    `snapmart profiles load` prints them; the user marts and the rules leave them out."""
    item_id, item = market["item_id"], market["source_item_id"]
    name = json.dumps(  # as a YAML double-quoted string
        scalar(db, "select item_name from marts.dim_items where item_id = %s", (item_id,))
    )
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "carol.yaml").write_text(
        "profile:\n"                                                        # 1
        "  default_market: osrs-ge\n"                                       # 2
        "  players: [Nobody]\n"                                             # 3
        "favorites:\n"                                                      # 4
        f"  - {item}\n"                                                     # 5
        "  - Natur rune\n"                                                  # 6
        "  - {market: nowhere, item: Coal}\n"                               # 7
        "bank:\n"                                                           # 8
        f"  - {{item: {name}, quantity: 2}}\n"                              # 9
        f"  - {{item: {item}, quantity: 3}}\n"                              # 10
        "  - {item: Natur rune, quantity: 4}\n"                             # 11
        "alerts:\n"                                                         # 12
        "  - {id: ghost, type: price_above, item: Natur rune, target: 1}\n"  # 13
        f"  - {{id: fine, type: price_above, item: {name}, target: 1}}\n"    # 14
        "  - {id: gains, type: achievement, player: Nobody}\n"              # 15
    )  # fmt: skip
    (folder / "dave.yaml").write_text("profile: {default_market: osrs-gee}\nfavorites: [Coal]\n")
    monkeypatch.setenv("SOURCES__USER_STATE__PROFILES_DIR", str(folder))
    result = CliRunner().invoke(app, ["profiles", "load"])
    assert result.exit_code == 1, result.output
    expected = [
        ("carol.yaml:3", "carol.yaml line 3: player 'Nobody' is not tracked (add it to the "
         "hiscores' tracked_players.csv)"),
        ("carol.yaml:6", "carol.yaml line 6: unknown item 'Natur rune' in market osrs-ge"),
        ("carol.yaml:7", "carol.yaml line 7: unknown market 'nowhere' (known: "
         + ", ".join(r[0] for r in query(
             db, 'select market_id from marts.dim_markets order by market_id collate "C"'))
         + ")"),
        ("carol.yaml:11", "carol.yaml line 11: unknown item 'Natur rune' in market osrs-ge"),
        ("carol.yaml:13", "carol.yaml line 13: unknown item 'Natur rune' in market osrs-ge"),
        ("carol.yaml:15", "carol.yaml line 15: player 'Nobody' is not tracked (add it to the "
         "hiscores' tracked_players.csv)"),
        ("dave.yaml:1", "dave.yaml line 1: unknown market 'osrs-gee'"),
    ]  # fmt: skip
    with warehouse.connect(db) as conn:
        assert user_state.catalogue_rejects(conn) == expected
    printed = " ".join(result.output.split())  # rich wraps long lines
    for _pointer, reason in expected:
        assert f"rejected: {reason}" in printed, (reason, result.output)
    assert printed.count("rejected:") == len(expected)  # nothing the files show wrong
    # A tick (here the one dbt asset, as `snapmart transform` runs it) lists them too: the
    # view's materialization carries them (orchestration/defs/run_metadata.py).
    tick = CliRunner().invoke(app, ["transform", "--select", "int_user_state__rejected_lines"])
    assert tick.exit_code == 0, tick.output
    printed = " ".join(tick.output.split())
    for _pointer, reason in expected:
        assert f"profile line rejected: {reason}" in printed, (reason, tick.output)
    assert f"profiles: {len(expected)} line(s) rejected" in printed, tick.output
    # Left out: what remains is what resolves, an item named by name and by id once.
    built = transform.run_dbt(  # (a rebuilt staging view drops the views over it: all of them)
        "build",
        select=f"+profile_watchlist +mart_watchlist_popularity +intermediate.user_state {BUILD}",
        unit_tests=False,
    )
    assert built.success, [(n.name, n.message) for n in built.failed()]
    watched = "select profile_id, watchlist_name, item_id from profiles.profile_watchlist"
    assert query(db, watched) == [("carol", "favorites", item_id)]
    popular = (
        "select item_id, watchers, watchlists, favorited_by from marts.mart_watchlist_popularity"
    )
    assert query(db, popular) == [(item_id, 1, 0, 1)]
    assert query(
        db, "select profile_id, item_id, quantity, source_line"
        " from intermediate.int_user_state__bank_items"
    ) == [("carol", item_id, 5, 9)]  # fmt: skip
    assert query(
        db, "select profile_id, rule_id, item_id from intermediate.int_user_state__alert_rules"
    ) == [("carol", "fine", item_id)]


def test_no_secret_in_any_table_and_analysts_see_only_marts(db, market, tmp_path) -> None:
    folder = tmp_path / "profiles"
    _profile(folder, market, _rule("seen", market))
    (folder / "bob.yaml").write_text(
        f"channels:\n  discord: {{webhook: 'http://127.0.0.1/api/webhooks/42/{SECRET_TOKEN}'}}\n"
        "bank:\n  - {item: 999999999, market: osrs-ge, quantity: 1}\n"
    )
    loaded = user_state.load(folder=folder)
    # The webhook URL the file itself shows wrong; the unknown item the catalogue (dbt).
    reasons = dict(loaded.rejects)
    assert set(reasons) == {"bob.yaml:2"}
    with warehouse.connect(db) as conn:
        unknown = dict(user_state.catalogue_rejects(conn))
    assert unknown == {"bob.yaml:4": "bob.yaml line 4: unknown item 999999999 in market osrs-ge"}
    assert (
        scalar(
            db,
            "select count(*) from raw_user_state.rejected_records where reason like 'bob.yaml%%'",
        )
        == 1
    )
    result = transform.run_dbt(
        "build",
        select="+profile_watchlist +profile_bank_craft_opportunities +profile_alert_effectiveness"
        " +mart_watchlist_popularity +mart_alert_effectiveness",
    )
    assert result.success, [(n.name, n.message) for n in result.failed()]
    fired = scalar(db, "select count(*) from alerts.fct_alert_events where profile_id = 'alice'")
    assert fired == 5  # one per test above, each a new price_above rule
    assert query(
        db,
        "select rule_type, alerts from profiles.profile_alert_effectiveness"
        " where profile_id = 'alice'",
    ) == [("price_above", fired)]
    assert query(db, "select rule_type, profiles, alerts from marts.mart_alert_effectiveness") == [
        ("price_above", 1, fired)
    ]
    # Every text column of every table we write, searched for the webhook's secret part.
    with warehouse.connect(db) as conn:
        columns = conn.execute(
            """select table_schema, table_name, column_name from information_schema.columns
            where table_schema in ('raw_user_state', 'alerts', 'marts', 'profiles', 'staging')
                and data_type in ('text', 'character varying', 'jsonb')"""
        ).fetchall()
        for schema, table, column in columns:
            hits = conn.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}"::text like %s',
                (f"%{SECRET_TOKEN}%",),
            ).fetchone()[0]
            assert hits == 0, f"{schema}.{table}.{column} holds the webhook secret"
    with warehouse.connect(db) as conn:
        conn.execute("set role snapmart_analyst")
        assert conn.execute("select count(*) from marts.mart_alert_effectiveness").fetchone() == (
            1,  # price_above, over all profiles
        )
        for table in (
            "raw_user_state.bank_items",
            "alerts.fct_alert_events",
            "profiles.profile_alert_effectiveness",
            "profiles.profile_watchlist",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {table}")
            conn.rollback()
            conn.execute("set role snapmart_analyst")


def test_a_failed_run_is_reported_once_through_the_ops_webhook(db, receiver, monkeypatch) -> None:
    from dagster import DagsterInstance, build_run_status_sensor_context, job, op

    from orchestration.defs.sensors import run_failure_notifier

    monkeypatch.setenv("ALERTS__WEBHOOKS__OPS", receiver.url)

    @op
    def fetch_prices() -> None:
        raise RuntimeError("the API answered 503 three times")

    @job
    def osrs_prices_tick() -> None:
        fetch_prices()

    instance = DagsterInstance.ephemeral()
    result = osrs_prices_tick.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    context = build_run_status_sensor_context(
        sensor_name="run_failure_notifier",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
        resources={"warehouse": WarehouseResource.from_env()},
    ).for_run_failure()
    before = len(receiver.requests)
    run_failure_notifier(context)
    assert len(receiver.requests) - before == 1
    body = receiver.requests[-1]
    assert body["content"] == "🔔 Run of osrs_prices_tick failed"
    assert result.run_id in body["embeds"][0]["description"]
    assert query(
        db,
        "select d.status, d.recipient from alerts.alert_deliveries as d join"
        " alerts.fct_alert_events as e using (event_id) where e.subject = %s",
        (result.run_id,),
    ) == [("sent", "ops")]
    run_failure_notifier(context)  # the sensor looking again reports nothing new
    assert len(receiver.requests) - before == 1
