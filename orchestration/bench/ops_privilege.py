"""Issue 21's "analyst probes denied": the probe battery of
orchestration/runtime/probes.py run against the bench's built warehouse."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator

import psycopg
from psycopg import sql

from orchestration import warehouse
from orchestration.runtime import embedded
from orchestration.runtime.probes import (
    analyst_info,
    analyst_probes,
    summary,
    unreadable_marts,
)
from orchestration.runtime.roles import ANALYST_ROLE


def analyst_probe_figures(
    info: warehouse.ConnectionInfo, log: Callable[[str], None] = lambda _m: None
) -> dict[str, int]:
    """Probe ``info``'s warehouse (prepared, marts built) as ``snapmart_analyst``:
    ``analyst_probes`` tried, ``analyst_probes_denied``, ``analyst_probes_visible_by_design``
    (the system catalogues, which PostgreSQL shows every role) and ``analyst_marts_unreadable``
    (the positive control: marts the analyst could not read; 0 when all is well). Each
    probe that was not denied is logged. WarehouseError when the analyst cannot log in."""
    with _analyst_login(info) as passwords:
        results = analyst_probes(info, passwords)
        unreadable = unreadable_marts(info, passwords)
    for r in results:
        if not r.denied:
            log(f"  analyst probe {r.outcome}: {r.kind} {r.target}: {r.detail}")
    for relation, message in unreadable.items():
        log(f"  analyst cannot read marts.{relation}: {message}")
    return {**summary(results), "analyst_marts_unreadable": len(unreadable)}


@contextlib.contextmanager
def _analyst_login(info: warehouse.ConnectionInfo) -> Iterator[dict[str, str] | None]:
    """The analyst's password for the probes: the embedded server's own, or none (libpq's
    trust, ``.pgpass`` or ``PGPASSWORD``), if the analyst logs in with it. Else (an external
    server, where snapmart keeps none, or one whose tests set another) a random one set for
    the probes when the bench's login may read and set role passwords (a superuser's), the
    role's previous password (its stored hash, or none) put back afterwards; else None, and
    the probes say why they cannot log in."""
    settings = warehouse.Settings.from_env()
    passwords = warehouse.Warehouse(settings, info).passwords()
    # The bench reaches its scratch database by URL, but on the home's embedded server,
    # whose roles carry the passwords kept with it.
    if passwords is None and embedded.running_port(settings.home) == info.port:
        passwords = embedded.passwords(settings.home)
    if _logs_in(info, passwords):
        yield passwords
        return
    alter = "alter role {} password {}"
    with warehouse.connect(info, autocommit=True) as conn:
        try:
            row = conn.execute(
                "select rolpassword from pg_authid where rolname = %s", (ANALYST_ROLE,)
            ).fetchone()
        except psycopg.errors.InsufficientPrivilege:
            row = None
        if row is None:
            yield None
            return
        password = secrets.token_urlsafe(18)
        conn.execute(sql.SQL(alter).format(sql.Identifier(ANALYST_ROLE), sql.Literal(password)))
        try:
            yield {ANALYST_ROLE: password}
        finally:
            # a stored SCRAM hash given back as the password is taken as that hash
            previous = sql.Literal(row[0]) if row[0] else sql.SQL("null")
            conn.execute(sql.SQL(alter).format(sql.Identifier(ANALYST_ROLE), previous))


def _logs_in(info: warehouse.ConnectionInfo, passwords: dict[str, str] | None) -> bool:
    """Whether the analyst logs in to ``info``'s database with ``passwords``."""
    try:
        psycopg.connect(analyst_info(info, passwords).url(), connect_timeout=10).close()
    except psycopg.OperationalError:
        return False
    return True
