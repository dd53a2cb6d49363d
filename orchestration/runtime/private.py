"""``.snapmart/`` is private to its owner: directories 0700, files 0600.

It holds the embedded server's passwords (credentials.json), dlt's pipelines (state,
traces, load packages of raw rows), Dagster's home and the logs: nothing another local
user should read. Two things keep it so:

- ``restrict_umask()`` at the start of every snapmart process (the CLI's ``main``, the
  Dagster code location, orchestration/definitions.py), so whatever dlt, dbt, Dagster or
  we create from then on is born 0700/0600 (and so are the landing files, dbt's target
  and logs, which live outside ``.snapmart/``);
- ``secure(state_dir)`` as a process starts, which fixes the modes of what an older
  version (or a process with a looser umask) left.

``pgdata/`` is left alone: PostgreSQL keeps it 0700 itself, owned by the server's OS
user. When that user is not us (as root, the embedded server runs as its own OS user,
orchestration/runtime/embedded.py), ``.snapmart/`` itself is 0710 with that user's group,
so the server can traverse it to its data, but neither it nor anyone else can list it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600
TRAVERSE_MODE = 0o710  # .snapmart/ when the embedded server runs as another OS user
SERVER_DATA = "pgdata"


def restrict_umask() -> int:
    """Make everything this process creates from now on private (umask 077); returns the
    previous umask."""
    return os.umask(PRIVATE_UMASK)


def server_group(state_dir: Path) -> int | None:
    """The group the embedded server runs with when its OS user is not us (``pgdata/``
    owned by another uid), else None: the running server's own group (read from /proc:
    a server started by an older snapmart may run with another), else pgdata's, which is
    what the next start uses (orchestration/runtime/embedded.py)."""
    try:
        st = (state_dir / SERVER_DATA).stat()
    except (FileNotFoundError, PermissionError):
        return None
    if st.st_uid == os.geteuid():
        return None
    return _running_server_gid(state_dir / SERVER_DATA) or st.st_gid


def _running_server_gid(pgdata: Path) -> int | None:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, ValueError):
        return None
    for line in status.splitlines():
        if line.startswith("Gid:"):
            return int(line.split()[1])  # the real gid
    return None


def secure(state_dir: Path) -> None:
    """``state_dir`` (``.snapmart/``) and everything under it, ``pgdata/`` aside: folders
    0700, files 0600 (symlinks are not followed); ``state_dir`` itself 0710 with the
    server's group when the embedded server runs as another OS user (``server_group``).
    A missing ``state_dir`` is left missing (whatever creates it later does so under
    ``restrict_umask``)."""
    if not state_dir.is_dir():
        return
    group = server_group(state_dir)
    if group is not None:
        with contextlib.suppress(PermissionError):
            os.chown(state_dir, -1, group)
        _chmod(state_dir, TRAVERSE_MODE)
    else:
        _chmod(state_dir, DIR_MODE)
    for root, dirs, files in os.walk(state_dir):
        if Path(root) == state_dir and SERVER_DATA in dirs:
            dirs.remove(SERVER_DATA)  # PostgreSQL's own, kept 0700 by the server
        for name in dirs:
            _chmod(Path(root, name), DIR_MODE)
        for name in files:
            _chmod(Path(root, name), FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    try:
        st = path.lstat()
    except FileNotFoundError:  # removed meanwhile (a dlt temp file)
        return
    if stat.S_ISLNK(st.st_mode) or stat.S_IMODE(st.st_mode) == mode:
        return
    # Not ours (another OS user's file in a shared home): leave it to its owner.
    with contextlib.suppress(PermissionError, FileNotFoundError):
        path.chmod(mode)


def dlt_secrets_files() -> list[Path]:
    """dlt's secrets files a process started here reads: ``.dlt/secrets.toml`` under the
    working directory (dlt's project settings folder); those that exist."""
    return [p for p in [Path.cwd() / ".dlt" / "secrets.toml"] if p.is_file()]


def secure_secrets_file(path: Path) -> str | None:
    """Make dlt's secrets file ``path`` 0600 when its group or others may read or write it
    and this user owns it (``ssh`` refuses such a key; we fix the mode and say so): the
    sentence saying what was changed, or None when nothing was. A file of another owner
    is left as it is, and said so when it is loose."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    mode = stat.S_IMODE(st.st_mode)
    if not mode & 0o077:
        return None
    if st.st_uid != os.geteuid():
        return (
            f"{path} holds secrets and is readable by others ({mode:o});"
            " its owner should chmod 600 it."
        )
    os.chmod(path, FILE_MODE)
    return f"{path} holds secrets and was readable by others ({mode:o}): made {FILE_MODE:o}."
