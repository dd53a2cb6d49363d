"""The settings a snapmart process runs with, resolved once where it starts.

A `snapmart` command, the Dagster code server (orchestration/definitions.py) and the test
fixtures each call ``Settings.from_env()`` once and pass the result down; nothing below
them reads these variables again:

- ``SNAPMART_DATABASE_URL``: an external PostgreSQL; unset, snapmart runs an embedded one
  with its data under the home (orchestration/runtime/embedded.py);
- ``SNAPMART_HOME``: where ``.snapmart/`` (server data, credentials, dlt state, Dagster's
  home, logs) lives; the project root by default;
- ``SNAPMART_LANDING_DIR``: the landing zone (docs/landing.md); by default ``data/landing``
  under SNAPMART_HOME, or under the working directory (ingestion/landing.py);
- ``SNAPMART_LOCK_WAIT_SECONDS``: how long a run waits for a source's (or a dbt build
  step's) lock that another run holds before it gives up with exit code 5
  (orchestration/runtime/locks.py); 600 by default, 0 gives up at once.

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
LOCK_WAIT_ENV = "SNAPMART_LOCK_WAIT_SECONDS"
DEFAULT_LOCK_WAIT_SECONDS = 600.0  # a live tick of the largest source loads in a few minutes


def lock_wait_seconds(environ: Mapping[str, str] | None = None) -> float:
    """SNAPMART_LOCK_WAIT_SECONDS (``os.environ`` unless given) in seconds, ≥ 0; unset or
    empty: 600. Anything but a number ≥ 0 is a WarehouseError saying so."""
    env = os.environ if environ is None else environ
    return parse_lock_wait(env.get(LOCK_WAIT_ENV, ""))


def parse_lock_wait(text: str) -> float:
    """A SNAPMART_LOCK_WAIT_SECONDS value in seconds (see ``lock_wait_seconds``)."""
    text = text.strip()
    if not text:
        return DEFAULT_LOCK_WAIT_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise WarehouseError(f"{LOCK_WAIT_ENV} must be a number of seconds ≥ 0 (got {text!r}).")
    return value


@dataclass(frozen=True)
class Settings:
    """Where snapmart keeps its state (``home``: ``.snapmart/`` lives there), its landing
    zone, the database URL (None: the embedded server under ``home``) and how long a run
    waits for another run's lock (seconds). The URL is a secret: it is left out of ``repr``."""

    home: Path
    landing_root: Path
    database_url: str | None = field(default=None, repr=False)  # None: the embedded server
    # SNAPMART_LOCK_WAIT_SECONDS as given: checked where it is used (``lock_wait_seconds``),
    # so a typo in it fails the command that waits, not every import that reads settings
    lock_wait: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the environment (``os.environ`` unless given) names."""
        env = os.environ if environ is None else environ
        url = env.get(DATABASE_URL_ENV, "").strip()
        return cls(
            home=Path(env.get(HOME_ENV, PROJECT_ROOT)).resolve(),
            landing_root=landing_root(env),
            database_url=url or None,
            lock_wait=env.get(LOCK_WAIT_ENV, ""),
        )

    @property
    def embedded(self) -> bool:
        """True when snapmart runs its own server (no external URL)."""
        return self.database_url is None

    @property
    def lock_wait_seconds(self) -> float:
        """How long a run waits for another run's lock, in seconds (default 600); a value
        that is not a number ≥ 0 is a WarehouseError naming the variable."""
        return parse_lock_wait(self.lock_wait)

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
            f"database_url={self.redacted_url()!r}, lock_wait={self.lock_wait!r})"
        )
