"""How to reach a PostgreSQL: host, port, login and database, as a URL for each tool,
and in the one form we ever print (the password masked)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

from ingestion.mistakes import UserMistake

DEFAULT_DB_NAME = "snapmart"
URL_HINT = "check SNAPMART_DATABASE_URL, or unset it to use the embedded server"


class WarehouseError(UserMistake):
    """A problem with the warehouse a user can fix: one sentence, and a hint."""


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
        5432, user postgres and database snapmart; another scheme, or a Unix-socket folder
        as the host (``?host=/run/postgresql``, peer authentication's way in), is a
        WarehouseError."""
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise WarehouseError(
                f"SNAPMART_DATABASE_URL must start with postgresql:// (got {parts.scheme}://).",
                "snapmart works on PostgreSQL only: give a postgresql://user@host:port/database "
                "URL, or unset SNAPMART_DATABASE_URL to use the embedded server",
            )
        query = parse_qs(parts.query)
        socket = next(iter(query.get("host", [])), None) or (
            unquote(parts.hostname) if parts.hostname and "%2f" in parts.hostname.lower() else None
        )
        if socket is not None and socket.startswith("/"):
            # every tool gets host and port (dbt's profile, Dagster's storage, dlt): a
            # socket folder is not a host any of them would read the same way
            raise WarehouseError(
                f"SNAPMART_DATABASE_URL names a Unix-socket folder ({socket}): snapmart"
                " connects over TCP only, so peer authentication is not available.",
                "give the server's host and port (postgresql://user@localhost:5432/db); for a"
                " password-less login use trust on that address, PGPASSWORD or ~/.pgpass",
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


def with_libpq_password(info: ConnectionInfo) -> ConnectionInfo:
    """``info`` with the password libpq finds for it when the URL has none: ``PGPASSWORD``,
    or the matching line of ``~/.pgpass`` (``PGPASSFILE``). libpq resolves both only as it
    connects, and not every tool does so the same way (dbt passes an empty password, which
    hides PGPASSWORD); resolved once here, every tool gets it as if it were in the URL.
    Under ``trust`` there is none, and the info stays password-less. A failed
    connection is a WarehouseError (``connect_mistake``)."""
    import psycopg

    if info.password:
        return info
    try:
        with psycopg.connect(info.url("postgres"), connect_timeout=10) as conn:
            found = conn.info.password
    except psycopg.OperationalError as exc:
        raise connect_mistake(exc, info) from None
    return replace(info, password=found) if found else info


def connect_mistake(exc: BaseException, info: ConnectionInfo) -> WarehouseError:
    """A failed connection to ``info`` as the one sentence a user can act on (never the
    password): refused password, missing password, missing database, or unreachable."""
    text = str(exc)
    where = f"{info.host}:{info.port}"
    if "password authentication failed" in text:
        return WarehouseError(
            f"PostgreSQL at {where} refused the password of user {info.user!r}.",
            "check the password in SNAPMART_DATABASE_URL (or PGPASSWORD, or ~/.pgpass)",
        )
    if "no password supplied" in text:
        return WarehouseError(
            f"PostgreSQL at {where} asks user {info.user!r} for a password, and none was given.",
            "put it in ~/.pgpass (or the file PGPASSFILE names), PGPASSWORD, "
            "or SNAPMART_DATABASE_URL",
        )
    # libpq's server messages: 'role "x" does not exist', 'database "x" does not exist';
    # matched with their quotes (a host named "database" is not a missing database), the
    # role first, and the database by its name (the lookup below connects to another)
    if re.search(r'role "[^"]*" does not exist', text):
        return WarehouseError(
            f"PostgreSQL at {where} has no user {info.user!r}.",
            "check the user name in SNAPMART_DATABASE_URL",
        )
    missing = re.search(r'database "([^"]*)" does not exist', text)
    if missing:
        return missing_database(replace(info, database=missing.group(1)))
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    reason = first.rsplit("failed: ", 1)[-1].strip().rstrip(".")  # libpq's innermost cause
    return WarehouseError(
        f"cannot reach PostgreSQL at {where} ({reason}).",
        "is the server running? check the host and port in SNAPMART_DATABASE_URL, "
        "or unset it to use the embedded server",
    )


def missing_database(info: ConnectionInfo, existing: list[str] | None = None) -> WarehouseError:
    """The database ``info`` names does not exist on its server: said, with the closest
    existing name when one looks like a typo of it."""
    import difflib

    close = difflib.get_close_matches(info.database, existing or [], n=1)
    maybe = f" (did you mean {close[0]!r}?)" if close else ""
    return WarehouseError(
        f"The database {info.database!r} does not exist on {info.host}:{info.port}{maybe}.",
        "fix the name in SNAPMART_DATABASE_URL, or create it with `snapmart db start`",
    )
