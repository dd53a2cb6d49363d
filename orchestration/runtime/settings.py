"""The settings a snapmart process runs with, resolved once where it starts.

A `snapmart` command, the Dagster code server (orchestration/definitions.py) and the test
fixtures each call ``Settings.from_env()`` once and pass the result down; nothing below
them reads these variables again:

- ``SNAPMART_DATABASE_URL``: an external PostgreSQL; unset, snapmart runs an embedded one
  with its data under the home (orchestration/runtime/embedded.py);
- ``SNAPMART_HOME``: where ``.snapmart/`` (server data, credentials, dlt state, Dagster's
  home, logs) lives; the project root by default;
- ``SNAPMART_LANDING_DIR``: the landing zone (docs/landing.md); by default ``data/landing``
  under SNAPMART_HOME, or under the working directory (ingestion/landing.py).

The database URL may hold a password: ``repr`` and ``redacted_url`` show it masked, as
everything snapmart prints or logs does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.landing import landing_root
from orchestration.runtime.connection import ConnectionInfo, WarehouseError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL_ENV = "SNAPMART_DATABASE_URL"
HOME_ENV = "SNAPMART_HOME"


@dataclass(frozen=True)
class Settings:
    """Where snapmart keeps its state (``home``: ``.snapmart/`` lives there), its landing
    zone, and the database URL (None: the embedded server under ``home``). The URL is a
    secret: it is left out of ``repr``."""

    home: Path
    landing_root: Path
    database_url: str | None = field(default=None, repr=False)  # None: the embedded server

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the environment (``os.environ`` unless given) names."""
        env = os.environ if environ is None else environ
        url = env.get(DATABASE_URL_ENV, "").strip()
        return cls(
            home=Path(env.get(HOME_ENV, PROJECT_ROOT)).resolve(),
            landing_root=landing_root(env),
            database_url=url or None,
        )

    @property
    def embedded(self) -> bool:
        """True when snapmart runs its own server (no external URL)."""
        return self.database_url is None

    @property
    def state_dir(self) -> Path:
        """``.snapmart/`` under the home: server data, credentials, dlt state, logs."""
        return self.home / ".snapmart"

    def redacted_url(self) -> str | None:
        """The external URL with its password masked (None: embedded)."""
        if self.database_url is None:
            return None
        try:
            return ConnectionInfo.from_url(self.database_url).redacted()
        except (WarehouseError, ValueError):
            return "<not a postgresql:// URL>"

    def __repr__(self) -> str:
        return (
            f"Settings(home={str(self.home)!r}, landing_root={str(self.landing_root)!r}, "
            f"database_url={self.redacted_url()!r})"
        )
