"""How to reach a PostgreSQL: host, port, login and database, as a URL for each tool,
and in the one form we ever print (the password masked)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

DEFAULT_DB_NAME = "snapmart"


class WarehouseError(RuntimeError):
    """A problem a user can fix; the message says how."""


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
