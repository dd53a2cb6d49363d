"""The one PostgreSQL that dlt, dbt, Great Expectations and Dagster all share.

With ``SNAPMART_DATABASE_URL`` set we use that server and start nothing. Without it we
run a server of our own (orchestration/runtime/embedded.py), with data in
``.snapmart/pgdata`` under the home.

A ``Warehouse`` is that server for one ``Settings`` (orchestration/runtime/settings.py):
the edge of a process (a `snapmart` command, the Dagster resource of
orchestration/defs/resources.py, a test fixture) makes one, prepares it once (starts the
embedded server, creates the database and the roles of docs/roles.md) and passes it, or
its ``ConnectionInfo``, down. A new object checks again: there is no process-wide memory
of which warehouses are ready.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import psycopg

from orchestration.runtime import embedded, locks
from orchestration.runtime.connection import (
    DEFAULT_DB_NAME,
    URL_HINT,
    ConnectionInfo,
    WarehouseError,
    connect_mistake,
    missing_database,
    with_libpq_password,
)
from orchestration.runtime.embedded import DEFAULT_PORT, psql_path
from orchestration.runtime.roles import (
    ANALYST_ROLE,
    LOADER_ROLE,
    MARTS_SCHEMA,
    TRANSFORMER_ROLE,
    drop_database,
    ensure_database,
    ensure_roles,
    harden_server,
)
from orchestration.runtime.settings import PROJECT_ROOT, Settings

__all__ = [
    "ANALYST_ROLE",
    "DEFAULT_DB_NAME",
    "DEFAULT_PORT",
    "LOADER_ROLE",
    "MARTS_SCHEMA",
    "PROJECT_ROOT",
    "TRANSFORMER_ROLE",
    "URL_HINT",
    "ConnectionInfo",
    "Settings",
    "Warehouse",
    "WarehouseError",
    "connect",
    "current",
    "drop_database",
    "ensure_database",
    "ensure_roles",
    "psql_path",
    "require_database",
]


class Warehouse:
    """The warehouse ``settings`` name, and whether this object has prepared it
    (``info``: how to reach it, when the caller has prepared it already)."""

    def __init__(self, settings: Settings, info: ConnectionInfo | None = None) -> None:
        self.settings = settings
        self._info = info

    @classmethod
    def from_env(cls) -> Warehouse:
        """The warehouse the environment names (``Settings.from_env``), not prepared."""
        return cls(Settings.from_env())

    def __repr__(self) -> str:
        return f"Warehouse({self.settings!r}, prepared={self.prepared})"

    @property
    def embedded(self) -> bool:
        """Whether it is the embedded server (no database URL set)."""
        return self.settings.embedded

    @property
    def prepared(self) -> bool:
        """Whether this object has prepared it (``prepare``) already."""
        return self._info is not None

    def locate(self, start: bool = True) -> ConnectionInfo:
        """How to reach it: the external URL, else the embedded server (started on
        demand, unless ``start`` is false). Prepares nothing."""
        if self.settings.database_url is not None:
            # A URL without a password works wherever PostgreSQL accepts it (trust,
            # PGPASSWORD, ~/.pgpass): libpq's answer, once, for every tool.
            return with_libpq_password(ConnectionInfo.from_url(self.settings.database_url))
        home = self.settings.home
        if start:
            return embedded.start(home)
        port = embedded.running_port(home)
        if port is None:
            raise WarehouseError(
                "The embedded database is not running. Start it: snapmart db start"
            )
        return embedded.info_at(home, port)

    def prepare(self, create: bool = True) -> ConnectionInfo:
        """Start (if embedded), create the database (unless ``create`` is false on an
        external server: then a missing one is a WarehouseError, so a typo in its name
        creates nothing) and the roles; once per object, after which it returns what the
        first call found. A failed connection is a WarehouseError saying why."""
        if self._info is None:
            info = self.locate(start=True)
            try:
                # one process at a time: GRANTs and REVOKEs racing on the same catalogue
                # row fail with "tuple concurrently updated" (commands started at once)
                with locks.setup(replace(info, database="postgres"), "prepare"):
                    if create or self.embedded:
                        ensure_database(info)
                    else:
                        require_database(info)
                    if self.embedded:
                        harden_server(info)
                    ensure_roles(info, self.passwords())
            except psycopg.OperationalError as exc:
                raise connect_mistake(exc, info) from None
            self._info = info
        return self._info

    @property
    def info(self) -> ConnectionInfo:
        """How to reach it, prepared."""
        return self.prepare()

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        """A psycopg connection as the settings' user (``kwargs`` to ``psycopg.connect``)."""
        return psycopg.connect(self.prepare().url(), **kwargs)

    def passwords(self) -> dict[str, str] | None:
        """The embedded server's per-install passwords (None on an external server)."""
        return embedded.passwords(self.settings.home) if self.embedded else None

    def analyst_url(self) -> str:
        """What `snapmart db url` hands out (orchestration/runtime/roles.py)."""
        from orchestration.runtime.roles import analyst_url

        return analyst_url(self.prepare(), self.passwords())

    def status(self) -> dict[str, object]:
        """The embedded server's data folder, and whether and where it runs."""
        return embedded.status(self.settings.home)

    def stop(self) -> bool:
        """Stop the embedded server; False when it was not running."""
        return embedded.stop(self.settings.home)


def require_database(info: ConnectionInfo) -> None:
    """A WarehouseError unless ``info``'s database exists (naming the closest existing
    one); creates nothing."""
    with psycopg.connect(info.url("postgres"), autocommit=True) as conn:
        names = [r[0] for r in conn.execute("select datname from pg_database")]
    if info.database not in names:
        raise missing_database(info, names)


def current() -> Warehouse:
    """The warehouse the environment names, taken as prepared: reached (the embedded
    server started if need be), no database or role created. For callers that hold no
    ``Warehouse``, such as the tests and the benchmark, which prepare theirs first and
    then call a function directly; a command or a Dagster run passes its own."""
    settings = Settings.from_env()
    return Warehouse(settings, Warehouse(settings).locate())


def connect(info: ConnectionInfo | None = None, **kwargs: Any) -> psycopg.Connection:
    """A psycopg connection to ``info`` (by default the warehouse the environment names)."""
    return psycopg.connect((info or current().info).url(), **kwargs)
