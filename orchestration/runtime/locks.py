"""One run per source (and per dbt build step) at a time, whoever starts it: PostgreSQL
session-level advisory locks, held on a connection of their own for as long as the work.

Dagster's pools only order the steps of runs one Dagster instance launches; a `snapmart`
command in another shell, a second code server or a cron job on another host share only
the database. So a source's fetch + load (orchestration/defs/raw.py) and each dbt build
step (orchestration/defs/transform.py) take a lock in the warehouse first:

- the key is a stable 64-bit hash of ``snapmart/<name>`` (``source:<source>``,
  ``dbt:<step>``), namespaced so it does not collide with another application's locks;
- the lock connection's ``application_name`` says who holds it (Dagster run id, pid and
  host of the process); ``pg_locks`` joined with ``pg_stat_activity`` reads it back, with
  when that connection started, for the sentence a waiting run ends with;
- a second run polls ``pg_try_advisory_lock`` for up to ``SNAPMART_LOCK_WAIT_SECONDS``
  (default 600, orchestration/runtime/settings.py), then raises :class:`LockBusy`; the
  CLI turns that into exit code 5 (``ExitCode.BUSY``);
- a holder that dies (kill -9, a lost host) loses its connection, and PostgreSQL drops
  the lock with it: nothing to clean up.

One-time setup steps that processes started at once would race on (creating a database
and its roles, Dagster's tables and pools, a first dbt build) take a lock too, with
:func:`setup`: held for seconds, they wait up to SETUP_WAIT_SECONDS whatever
SNAPMART_LOCK_WAIT_SECONDS says, since that setting is how long a *run* waits for another
run, and a run given 1 s must still start when eight others set up the same instance.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import psycopg

from orchestration.runtime.connection import ConnectionInfo
from orchestration.runtime.settings import lock_wait_seconds

NAMESPACE = "snapmart/"
APP_PREFIX = "snapmart-lock"
POLL_SECONDS = 0.5
SETUP_WAIT_SECONDS = 600.0
"""How long a process waits for another's one-time setup (see :func:`setup`)."""
# application_name keeps 63 bytes (NAMEDATALEN - 1): prefix, run id (a uuid: 36), pid, host
APP_NAME_BYTES = 63


class LockBusy(RuntimeError):
    """Another run held the lock for the whole waiting time; the message is the one
    sentence a user sees (it names the holder)."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: the Dagster run id (``-`` outside Dagster), the process id and host
    of the process holding it, and when its lock connection started (None: not visible)."""

    run_id: str
    pid: int | None
    host: str
    since: datetime | None

    def __str__(self) -> str:
        since = f", since {self.since:%Y-%m-%d %H:%M:%S %Z}" if self.since else ""
        return f"run {self.run_id} (pid {self.pid or '?'} on {self.host}{since})"


def source_lock(source: str) -> str:
    """The lock name of a source's fetch + load."""
    return f"source:{source}"


def dbt_lock(step: str) -> str:
    """The lock name of a dbt build step (one ``@dbt_assets``: its models are built by one
    run at a time)."""
    return f"dbt:{step}"


def lock_key(name: str) -> int:
    """The advisory lock key of ``name``: the first 8 bytes of the BLAKE2b hash of
    ``snapmart/<name>`` as a signed bigint, the same in every process and release."""
    digest = hashlib.blake2b((NAMESPACE + name).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def application_name(run_id: str | None, pid: int | None = None, host: str | None = None) -> str:
    """``snapmart-lock <run id> <pid> <host>``, cut to what PostgreSQL keeps."""
    host = (host or socket.gethostname()).replace(" ", "_")
    text = f"{APP_PREFIX} {run_id or '-'} {pid or os.getpid()} {host}"
    return text.encode()[:APP_NAME_BYTES].decode(errors="ignore")


def _parse_holder(app: str | None, since: datetime | None) -> Holder:
    parts = (app or "").split(" ")
    if len(parts) >= 3 and parts[0] == APP_PREFIX:
        pid = int(parts[2]) if parts[2].isdigit() else None
        return Holder(parts[1], pid, parts[3] if len(parts) > 3 else "?", since)
    return Holder("-", None, "?", since)  # taken by hand (psql) or another tool


def holder(conn: psycopg.Connection, name: str) -> Holder | None:
    """Who holds lock ``name`` now (None: nobody), from pg_locks and pg_stat_activity."""
    key = lock_key(name) & 0xFFFF_FFFF_FFFF_FFFF
    row = conn.execute(
        "select a.application_name, a.backend_start"
        "  from pg_locks as l left join pg_stat_activity as a on a.pid = l.pid"
        " where l.locktype = 'advisory' and l.granted and l.objsubid = 1"
        "   and l.database = (select oid from pg_database where datname = current_database())"
        "   and l.classid::bigint = %s and l.objid::bigint = %s",
        (key >> 32, key & 0xFFFF_FFFF),
    ).fetchone()
    return None if row is None else _parse_holder(row[0], row[1])


def busy_sentence(name: str, who: Holder | None, waited: float) -> str:
    """The one sentence a run that gave up says: what is locked, who holds it, how long
    this run waited, and what to do."""
    what = name.replace("source:", "source ", 1).replace("dbt:", "dbt build step ", 1)
    by = "another run" if who is None else str(who)
    setting = " (SNAPMART_LOCK_WAIT_SECONDS)" if what != name else ""
    return (
        f"{what} is busy: {by} holds its lock and this run waited {waited:.0f} s for it"
        f"{setting}; try again when that run ends."
    )


BUSY_PATTERN = re.compile(
    r"(?:source |dbt build step )?\S+ is busy: .*? holds its lock and this run waited .*?"
    r"try again when that run ends\."
)


def busy_sentence_in(message: str) -> str | None:
    """The :class:`LockBusy` sentence ``message`` carries (e.g. a Dagster step failure read
    back from the event log, after the exception's class name), or None."""
    found = BUSY_PATTERN.search(message)
    return found.group(0) if found else None


def is_busy(message: str) -> bool:
    """True when ``message`` carries a :class:`LockBusy` sentence."""
    return busy_sentence_in(message) is not None


@contextlib.contextmanager
def hold(
    info: ConnectionInfo,
    name: str,
    *,
    run_id: str | None = None,
    wait: float | None = None,
    on_wait: Callable[[Holder | None], None] | None = None,
) -> Iterator[Holder]:
    """Hold advisory lock ``name`` for the block, on a connection of its own to ``info``.

    Polls every POLL_SECONDS for up to ``wait`` seconds (default: the
    SNAPMART_LOCK_WAIT_SECONDS setting); ``on_wait`` hears the holder once, when the lock
    is first found taken (before waiting). Raises :class:`LockBusy` (one sentence naming
    the holder) when the wait runs out, psycopg's errors when the database cannot be
    reached. Yields this holder."""
    wait = lock_wait_seconds() if wait is None else wait
    key = lock_key(name)
    app = application_name(run_id)
    conn = psycopg.connect(info.url(), autocommit=True, application_name=app)
    try:
        start = time.monotonic()
        told = False
        while not conn.execute("select pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
            waited = time.monotonic() - start
            if waited >= wait:
                raise LockBusy(busy_sentence(name, holder(conn, name), waited))
            if not told and on_wait is not None:
                on_wait(holder(conn, name))
                told = True
            time.sleep(min(POLL_SECONDS, max(wait - waited, 0.01)))
        me = _parse_holder(app, None)
        try:
            yield me
        finally:
            # closing the session releases it too; unlocking first says so at once
            with contextlib.suppress(psycopg.Error):
                conn.execute("select pg_advisory_unlock(%s)", (key,))
    finally:
        conn.close()


@contextlib.contextmanager
def setup(info: ConnectionInfo, name: str) -> Iterator[Holder]:
    """Hold lock ``name`` for a one-time setup step (the module's docstring): as
    :func:`hold`, waiting up to SETUP_WAIT_SECONDS instead of SNAPMART_LOCK_WAIT_SECONDS.
    Raises :class:`LockBusy` only when a setup step takes longer than that."""
    with hold(info, name, wait=SETUP_WAIT_SECONDS) as me:
        yield me
