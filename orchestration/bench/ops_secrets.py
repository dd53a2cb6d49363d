"""Secrets found, an operational figure of `snapmart bench --suite faults` (issue 21):
distinct random values planted in every secret setting, a live tick of every source
against the loopback simulator with an alert delivered to a loopback webhook and SMTP
server (each checks the planted credentials, so the secrets were really used), then every
file the tick left and every row of every table searched for each value.

tests/test_secrets.py runs the same tick on the test server and asserts the figure is 0.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ingestion.simulator.server import SimulatorServer
from orchestration import warehouse
from orchestration.runtime import private

# The settings that hold a secret, as the environment names them (dlt: SECTION__KEY),
# with the two webhooks (their URL's last segment is the token) and the WoW access token
# the OAuth server hands out.
SECRET_ENV = (
    "SOURCES__WOW_AUCTIONS__CLIENT_ID",
    "SOURCES__WOW_AUCTIONS__CLIENT_SECRET",
    "ALERTS__SMTP__PASSWORD",
)
WEBHOOKS = ("MAIN", "OPS")
SMTP_USER = "alerts-user"
PROFILE = (
    "profile: {name: Alice, default_market: osrs-ge}\n"
    "channels:\n  discord: {webhook: main}\n  email: {to: alice@example.com}\n"
    "alerts:\n"
    "  - {id: always, type: price_above, item: Nature rune, target: 1, cooldown: 1h,"
    " notify: [discord, email]}\n"
)


def planted(name: str) -> str:
    """A fresh random value (the setting's name in front, for a message naming a hit)."""
    return f"{name.lower()}-{secrets.token_hex(12)}"


class Webhook:
    """A Discord-compatible webhook on loopback whose URL path carries the secret token:
    it answers 204 to a POST on that path only, and keeps the bodies."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.bodies: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = self.path.endswith(f"/{hook.token}")
                if ok:
                    hook.bodies.append(json.loads(body))
                self.send_response(204 if ok else 404)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """The webhook's URL, the token its last segment (as Discord's are)."""
        return f"http://127.0.0.1:{self.server.server_port}/api/webhooks/42/{self.token}"


class Inbox:
    """An aiosmtpd handler and authenticator: accepts the planted login only, keeps mail."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.logins: list[bool] = []
        self.messages: list[bytes] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        """aiosmtpd's authenticator: success for the planted login and password only."""
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth, LoginPassword) and (
            auth.login.decode(),
            auth.password.decode(),
        ) == (self.user, self.password)
        self.logins.append(ok)
        return AuthResult(success=ok)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message; accept it."""
        self.messages.append(envelope.content)
        return "250 OK"


@dataclass
class PlantedTick:
    """A tick run with planted secrets: the values by setting, the process's result, the
    simulator's request log, what the webhook and the SMTP server received."""

    values: dict[str, str]
    result: subprocess.CompletedProcess
    served: list[str]
    webhook_posts: int
    smtp_logins: list[bool] = field(default_factory=list)
    smtp_messages: int = 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def planted_tick(env: Mapping[str, str], profiles: Path, timeout: float = 900) -> PlantedTick:
    """`snapmart refresh` (every source, live) as a process with ``env`` (the warehouse,
    home and landing zone it names) plus a planted value in every secret setting, the
    sources pointed at the simulator, and an always-true alert rule in ``profiles`` sent
    to the webhook and by mail (the profile file is removed after)."""
    from aiosmtpd.controller import Controller

    values = {key: planted(key.split("__")[-1]) for key in SECRET_ENV}
    wow_token = planted("wow_token")
    hooks = {name: Webhook(planted(f"webhook_{name}")) for name in WEBHOOKS}
    inbox = Inbox(SMTP_USER, values["ALERTS__SMTP__PASSWORD"])
    smtp_port = _free_port()
    smtp = Controller(
        inbox, hostname="127.0.0.1", port=smtp_port, authenticator=inbox, auth_require_tls=False
    )
    sim = SimulatorServer(
        wow_client=(
            values["SOURCES__WOW_AUCTIONS__CLIENT_ID"],
            values["SOURCES__WOW_AUCTIONS__CLIENT_SECRET"],
        ),
        wow_token=wow_token,
    )
    profiles.mkdir(parents=True, exist_ok=True)
    profile = profiles / "planted.yaml"
    profile.write_text(PROFILE)
    run_env = {
        **env,
        **values,
        **{f"ALERTS__WEBHOOKS__{name}": hook.url for name, hook in hooks.items()},
        "ALERTS__SMTP__HOST": "127.0.0.1",
        "ALERTS__SMTP__PORT": str(smtp_port),
        "ALERTS__SMTP__USERNAME": SMTP_USER,
        "ALERTS__SMTP__SENDER": "alerts@snapmart.test",
        "SOURCES__USER_STATE__PROFILES_DIR": str(profiles),
        "SOURCES__OSRS_PRICES__BASE_URL": sim.osrs_base_url,
        "SOURCES__WOW_AUCTIONS__BASE_URL": sim.url,
        "SOURCES__WOW_AUCTIONS__OAUTH_URL": sim.wow_oauth_url,
        "SOURCES__WOW_AUCTIONS__CONNECTED_REALMS": "3676",
        "SOURCES__OSRS_HISCORES__BASE_URL": sim.url,
        "SOURCES__BINANCE__BASE_URL": sim.url,
        "SOURCES__BINANCE__HISTORY_DAYS": "3",
        "SOURCES__YAHOO_FINANCE__BASE_URL": sim.url,
        "SOURCES__YAHOO_FINANCE__HISTORY_DAYS": "3",
        "SOURCES__VIVIDSEATS__BASE_URL": sim.url,
    }
    for source in ("OSRS_PRICES", "OSRS_HISCORES", "BINANCE", "YAHOO_FINANCE", "VIVIDSEATS"):
        run_env[f"SOURCES__{source}__REQUESTS_PER_SECOND"] = "0"
    smtp.start()
    sim.start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "refresh"],
            cwd=warehouse.PROJECT_ROOT,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        sim.stop()
        smtp.stop()
        for hook in hooks.values():
            hook.server.shutdown()
            hook.server.server_close()
        profile.unlink(missing_ok=True)
    values["wow access token"] = wow_token
    values.update({f"ALERTS__WEBHOOKS__{name}": hook.token for name, hook in hooks.items()})
    return PlantedTick(
        values,
        result,
        list(sim.requests),
        sum(len(h.bodies) for h in hooks.values()),
        inbox.logins,
        len(inbox.messages),
    )


def _files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        for dirpath, _, names in os.walk(root):
            for name in names:
                path = Path(dirpath, name)
                if path.is_file() and not path.is_symlink():
                    yield path


def _contents(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError:  # gone meanwhile (a server's temporary file)
        return b""
    if data[:2] == b"\x1f\x8b":  # gzip (dlt's compressed load files): search both forms
        with contextlib.suppress(OSError, EOFError):
            data += gzip.decompress(data)
    return data


def files_with(values: Mapping[str, str], roots: Iterable[Path]) -> tuple[int, list[str]]:
    """(files searched, ``setting: path`` for each value found in a file under ``roots``);
    every byte is searched, gzip files opened too."""
    needles = {name: value.encode() for name, value in values.items()}
    hits: list[str] = []
    scanned = 0
    for path in _files(roots):
        data = _contents(path)
        scanned += 1
        hits += [f"{name}: {path}" for name, value in needles.items() if value in data]
    return scanned, hits


def tables_with(info: warehouse.ConnectionInfo, values: Mapping[str, str]) -> tuple[int, list[str]]:
    """(tables searched, ``setting: schema.table`` for each value found in a table of the
    database ``info`` names). Each row is searched as text, every column at once (json,
    arrays and composite values included)."""
    hits: list[str] = []
    with psycopg.connect(info.url(), autocommit=True) as conn:
        tables = conn.execute(
            """select table_schema, table_name from information_schema.tables
            where table_type = 'BASE TABLE'
              and table_schema not in ('pg_catalog', 'information_schema')"""
        ).fetchall()
        for schema, table in tables:
            query = sql.SQL(
                "select exists (select 1 from {}.{} as t where strpos(t::text, %s) > 0)"
            ).format(sql.Identifier(schema), sql.Identifier(table))
            for name, value in values.items():
                if conn.execute(query, (value,)).fetchone()[0]:
                    hits.append(f"{name}: {schema}.{table}")
    return len(tables), hits


def loose_modes(state_dir: Path) -> list[str]:
    """What under ``state_dir`` (``.snapmart/``; its ``pgdata/`` aside) is not private:
    ``path mode`` for each folder not 0700 and file not 0600, and the folder itself when
    it is neither 0700 nor 0710 with the embedded server's group."""
    loose = []
    top = state_dir.stat()
    group = private.server_group(state_dir)
    want_top = (0o700, top.st_gid) if group is None else (0o710, group)
    if (stat.S_IMODE(top.st_mode), top.st_gid) != want_top:
        loose.append(f". {stat.S_IMODE(top.st_mode):o}")
    for dirpath, dirs, files in os.walk(state_dir):
        if Path(dirpath) == state_dir and private.SERVER_DATA in dirs:
            dirs.remove(private.SERVER_DATA)
        for name in dirs + files:
            path = Path(dirpath, name)
            if path.is_symlink():
                continue
            mode = stat.S_IMODE(path.lstat().st_mode)
            if mode != (private.DIR_MODE if path.is_dir() else private.FILE_MODE):
                loose.append(f"{path.relative_to(state_dir)} {mode:o}")
    return loose


def secrets_probe(log: Callable[[str], None] = print) -> dict[str, Any]:
    """The figure: a planted tick on the warehouse the environment names (a bench
    database: orchestration/bench/measure.py ``bench_environment``), in a scratch home;
    returns ``secrets_planted`` (values planted and used), ``secrets_found`` (hits in files,
    tables and the tick's own output; 0 is right), ``files_searched``, ``tables_searched``,
    ``loose_modes`` (entries of .snapmart/ not 0700/0600) and ``problems`` (each hit and
    loose entry, which `snapmart bench` counts as failures). A tick that fails is a
    RuntimeError: its figures would mean nothing."""
    from orchestration import dagster_home

    info = warehouse.current().info
    scratch = Path(tempfile.mkdtemp(prefix="snapmart-secrets-"))
    env = {k: v for k, v in os.environ.items() if k != "SNAPMART_DLT_DIR"}
    env.update(
        SNAPMART_HOME=str(scratch / "home"),
        DBT_TARGET_PATH=str(scratch / "home" / "target"),
        DBT_LOG_PATH=str(scratch / "home" / "logs"),
        SNAPMART_LANDING_DIR=os.environ.get("SNAPMART_LANDING_DIR", str(scratch / "landing")),
    )
    storage = dagster_home.dagster_database(info)
    try:
        log("secrets: a tick of every source with planted secrets")
        tick = planted_tick(env, scratch / "profiles")
        if tick.result.returncode != 0:
            raise RuntimeError(f"the planted tick failed: {tick.result.stderr.strip()[-500:]}")
        roots = [scratch, Path(env["SNAPMART_LANDING_DIR"])]
        files, file_hits = files_with(tick.values, roots)
        tables, table_hits = tables_with(info, tick.values)
        more, storage_hits = tables_with(storage, tick.values)
        # what the tick printed: where cron's mail and CI logs would keep a secret
        said = [
            f"the tick's {name} holds a planted secret"
            for name, text in (("stdout", tick.result.stdout), ("stderr", tick.result.stderr))
            if any(value in text for value in tick.values)
        ]
        loose = loose_modes(scratch / "home" / ".snapmart")
        hits = [*file_hits, *table_hits, *storage_hits, *said]
        for hit in [*hits, *loose]:
            log(f"secrets: {hit}")
        return {
            "secrets_planted": len(tick.values),
            "secrets_found": len(hits),
            "files_searched": files,
            "tables_searched": tables + more,
            "loose_modes": len(loose),
            "problems": [f"secret found: {h}" for h in hits]
            + [f"not private: {entry}" for entry in loose],
        }
    finally:
        warehouse.drop_database(storage)
        shutil.rmtree(scratch, ignore_errors=True)


def figures(scale: str, log: Callable[[str], None] = print) -> dict[str, Any]:
    """``secrets_probe`` in a bench database of its own (one planted tick at every
    ``scale``: the figure counts hits, not volume)."""
    from orchestration.bench.measure import bench_environment

    with bench_environment():
        return secrets_probe(log)
