"""The API's way into the warehouse: small pools of connections that act as a role of
docs/roles.md, so a route can read what that role reads and nothing else, whatever SQL it
runs: ``marts`` as the analyst (``Marts``), ``profiles`` as the profile reader (the
per-profile routes' ``Marts(info, role=PROFILE_READER_ROLE)``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from fastapi import Request
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from orchestration.runtime.connection import ConnectionInfo
from orchestration.runtime.roles import ANALYST_ROLE, PROFILE_READER_ROLE

# A few connections: the routes run one short query each; more clients wait their turn
# (up to POOL_WAIT_SECONDS) instead of opening connections the server must also hold.
POOL_MIN = 1
POOL_MAX = 4
POOL_WAIT_SECONDS = 10.0
# No API query should run longer; a runaway one is cut instead of holding a connection.
STATEMENT_TIMEOUT_MS = 15_000

Row = dict[str, Any]


class WarehouseUnavailable(Exception):
    """The warehouse did not answer (down, refused, or every connection busy past the
    wait). Its message never holds the connection string or password."""


def _configure(conn: psycopg.Connection) -> None:
    """Each new connection: times in UTC (what every response says), a statement timeout,
    and read-only transactions (the analyst may not write anyway: a second lock)."""
    conn.execute("set timezone = 'UTC'")
    conn.execute(f"set statement_timeout = {STATEMENT_TIMEOUT_MS}")
    conn.execute("set default_transaction_read_only = on")


class Marts:
    """Reads from the marts through a pool of analyst connections (psycopg_pool).

    ``info``: the warehouse (prepared: roles exist); its login user acts as ``role``
    (``snapmart_analyst`` unless told) through libpq ``options=--role=…``
    (``ConnectionInfo.url``). ``open`` before use, ``close`` after; both are idempotent."""

    def __init__(
        self,
        info: ConnectionInfo,
        min_size: int = POOL_MIN,
        max_size: int = POOL_MAX,
        role: str = ANALYST_ROLE,
    ):
        self.info = info
        self.database = info.database
        self.role = role
        self._pool = ConnectionPool(
            info.url(role=role),
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True, "row_factory": dict_row},
            configure=_configure,
            check=ConnectionPool.check_connection,
            timeout=POOL_WAIT_SECONDS,
            name="snapmart-api" if role == ANALYST_ROLE else f"snapmart-api-{role}",
            open=False,
        )

    def open(self, wait: bool = True) -> None:
        """Open the pool; with ``wait``, until its first connection is made
        (WarehouseUnavailable after POOL_WAIT_SECONDS)."""
        try:
            self._pool.open(wait=wait, timeout=POOL_WAIT_SECONDS)
        except PoolTimeout:
            raise WarehouseUnavailable(
                f"cannot connect to the warehouse {self.database!r} as {self.role}"
            ) from None

    def close(self) -> None:
        """Close every connection of the pool."""
        self._pool.close()

    def fetch(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        """The rows of one query as dicts (column name → value; timestamptz in UTC).
        Raises WarehouseUnavailable when no connection can be had or it broke;
        other database errors (a bug in the SQL) propagate as psycopg errors."""
        try:
            with self._pool.connection() as conn:
                return conn.execute(sql, params).fetchall()  # type: ignore[return-value]
        except PoolTimeout:
            raise WarehouseUnavailable("every warehouse connection is busy") from None
        except psycopg.OperationalError:
            # the message may name host and user; never the password, but keep it short
            raise WarehouseUnavailable("the warehouse connection failed") from None


def marts_of(request: Request) -> Marts:
    """The app's Marts (``create_app`` keeps it in ``app.state.marts``): a route's dependency."""
    return request.app.state.marts


def profile_pool(info: ConnectionInfo) -> Marts:
    """The per-profile routes' pool: connections acting as ``snapmart_profile_reader``,
    which reads schema ``profiles`` and nothing else (not ``marts``: what a profile route
    needs from there it asks ``Marts``). None kept open while idle (``min_size`` 0): most
    servers answer few profile requests."""
    return Marts(info, min_size=0, max_size=2, role=PROFILE_READER_ROLE)


def profiles_of(request: Request) -> Marts:
    """The app's profile pool (``app.state.profiles``): a per-profile route's dependency."""
    return request.app.state.profiles
