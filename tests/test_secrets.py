"""Secrets stay secret (issue 21 item 6): distinct random values planted in every secret
setting (WoW client id and secret, the alert webhooks, the SMTP password; the WoW access
token the OAuth server hands out too), a live tick of every source against the loopback
simulator with an alert delivered to a loopback webhook and SMTP server (which accept the
planted credentials only), then every file the run left and every row of every table
searched for each value: none found. And ``.snapmart/`` is private: 0700/0600.

The tick is a real `snapmart refresh` process, as cron starts it, in the session's home
(the embedded server's credentials.json and pgdata are there): its dlt trace and state,
its Dagster run (compute logs under Dagster's home, events in ``<db>_dagster``), dbt's
target and logs, the landing zone. The tick and the searches are
orchestration/bench/ops_secrets.py's, which `snapmart bench --suite faults` reports.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration import dagster_home, warehouse
from orchestration.bench import ops_secrets
from orchestration.runtime import private


@pytest.fixture(scope="module")
def tick(db, landing, snapmart_home: Path) -> ops_secrets.PlantedTick:
    env = {**os.environ, "DBT_LOG_PATH": str(snapmart_home / "dbt_logs")}
    return ops_secrets.planted_tick(env, snapmart_home / "planted_profiles")


def test_the_tick_used_every_planted_secret(tick) -> None:
    """Else finding none would prove nothing: the OAuth server took the planted client,
    the API the planted token, the webhook its URL, the SMTP server its password."""
    out = tick.result.stdout[-3000:] + tick.result.stderr[-3000:]
    assert tick.result.returncode == 0, out
    assert "POST /oauth/token" in tick.served
    assert any(p.startswith("/data/wow/") for p in tick.served)
    assert tick.webhook_posts >= 1, out
    assert tick.smtp_logins == [True] and tick.smtp_messages == 1, out
    assert len(tick.values) == 6


def test_no_planted_secret_in_any_file_the_run_left(tick, landing, snapmart_home) -> None:
    """Landing, dlt's pipelines (state, trace, load packages), Dagster's home (compute
    logs), dbt's target and logs, the server's data folder: every byte, gzip opened."""
    roots = [landing, snapmart_home]
    project_logs = warehouse.PROJECT_ROOT / "logs"  # dbt's default log folder, if used
    scanned, hits = ops_secrets.files_with(tick.values, [*roots, project_logs])
    assert scanned > 100
    # dlt's trace of the WoW load, written after the token request, was among them
    traces = list((snapmart_home / ".snapmart" / "dlt").rglob("trace.pickle"))
    assert any("wow_auctions" in str(t) for t in traces), traces
    assert hits == []
    for stream in (tick.result.stdout, tick.result.stderr):
        assert [name for name, value in tick.values.items() if value in stream] == []


def test_no_planted_secret_in_any_table(tick, db) -> None:
    """Every table of the warehouse (raw, marts, alerts, user state, dlt's own) and of
    Dagster's storage (runs and their config, event logs)."""
    searched, hits = ops_secrets.tables_with(db, tick.values)
    assert searched > 50
    assert hits == []
    searched, hits = ops_secrets.tables_with(dagster_home.dagster_database(db), tick.values)
    assert searched > 5
    assert hits == []


def test_the_state_folder_is_private(tick, snapmart_home) -> None:
    """Everything under .snapmart/ (PostgreSQL's own pgdata aside): folders 0700, files
    0600; .snapmart/ itself 0700, or 0710 with the embedded server's group when the server
    runs as another OS user (it traverses to its data)."""
    state = snapmart_home / ".snapmart"
    assert {p.name for p in state.iterdir()} >= {"dlt", "dagster", "credentials.json"}
    assert sum(1 for _ in state.rglob("*")) > 20
    assert ops_secrets.loose_modes(state) == []
    if private.server_group(state) is None:
        assert stat.S_IMODE(state.stat().st_mode) == 0o700


def test_secure_fixes_what_an_older_version_left(tmp_path) -> None:
    """An install from before: .snapmart/ 0755, dlt's folders 0755, a trace 0644."""
    state = tmp_path / ".snapmart"
    trace = state / "dlt" / "p" / "trace.pickle"
    trace.parent.mkdir(parents=True)
    trace.write_bytes(b"x")
    for path in (state, state / "dlt", trace.parent):
        path.chmod(0o755)
    trace.chmod(0o644)
    assert ops_secrets.loose_modes(state) != []
    private.secure(state)
    modes = {
        str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode)
        for p in [state, *state.rglob("*")]
    }
    assert modes == {
        ".snapmart": 0o700,
        ".snapmart/dlt": 0o700,
        ".snapmart/dlt/p": 0o700,
        ".snapmart/dlt/p/trace.pickle": 0o600,
    }
    assert ops_secrets.loose_modes(state) == []


def test_the_database_passwords_stay_in_credentials_json(tick, db, landing, snapmart_home) -> None:
    """The warehouse login's password (and, on the embedded server, each role's) is in
    ``.snapmart/credentials.json`` (0600) and nowhere else the tick wrote: not in dlt's
    state or trace, dagster.yaml, dbt's target, a log, or a table."""
    passwords = {"login": db.password}
    stored = snapmart_home / ".snapmart" / "credentials.json"
    if stored.exists():
        passwords |= {f"role {k}": v for k, v in json.loads(stored.read_text()).items()}
    scanned, hits = ops_secrets.files_with(passwords, [landing, snapmart_home])
    assert scanned > 100
    assert [h for h in hits if not h.endswith(str(stored))] == []
    assert ops_secrets.tables_with(db, passwords)[1] == []


def test_a_loose_dlt_secrets_file_is_made_0600_and_said_so(tmp_path) -> None:
    """`.dlt/secrets.toml` as an editor leaves it (0644): every local user could read the
    credentials. Any `snapmart` command started there makes it 0600 and says so on stderr,
    once; the second command finds nothing to say."""
    secrets = tmp_path / ".dlt" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('[sources.wow_auctions]\nclient_secret = "s3cret"\n')
    secrets.chmod(0o644)
    run = [sys.executable, "-m", "orchestration.cli", "--help"]
    first = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert "secrets.toml holds secrets and was readable by others (644): made 600." in (
        " ".join(first.stderr.split())
    ), first.stderr
    assert "s3cret" not in first.stdout + first.stderr
    second = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "secrets.toml" not in second.stderr
