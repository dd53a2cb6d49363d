"""The warehouse as a Dagster resource: the settings of orchestration/runtime/settings.py as
resource config, and the ``Warehouse`` they name, prepared once per run (per process).

The database URL reaches the resource only as ``EnvVar("SNAPMART_DATABASE_URL")``, the
variable's name: Dagster stores a resource's plain config values with each run's job
snapshot (and shows them in the UI), and the URL may carry a password. Unset, the
resource uses the embedded server under ``home``.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import Field, PrivateAttr

from orchestration.runtime.settings import DATABASE_URL_ENV, LOCK_WAIT_ENV
from orchestration.warehouse import ConnectionInfo, Settings, Warehouse


class WarehouseResource(ConfigurableResource):
    """The one PostgreSQL (orchestration/warehouse.py) and the landing zone a run uses."""

    database_url: str | None = Field(
        default=None,
        description="An external PostgreSQL, as EnvVar('SNAPMART_DATABASE_URL'); unset: the"
        " embedded server under home.",
    )
    home: str = Field(description="Where .snapmart/ lives (SNAPMART_HOME).")
    landing_root: str = Field(description="The landing zone (SNAPMART_LANDING_DIR).")

    _warehouse: Warehouse | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        """The resource for ``settings``, whose database URL, if any, must be the one
        SNAPMART_DATABASE_URL holds: the run reads it from there (never from config)."""
        url = settings.database_url
        if url is not None and os.environ.get(DATABASE_URL_ENV, "").strip() != url:
            raise ValueError(
                f"a Dagster run reads the database URL from {DATABASE_URL_ENV}, which does"
                " not hold these settings' URL"
            )
        return cls(
            database_url=EnvVar(DATABASE_URL_ENV) if settings.database_url is not None else None,
            home=str(settings.home),
            landing_root=str(settings.landing_root),
        )

    @classmethod
    def from_env(cls) -> WarehouseResource:
        """The resource for the settings the environment gives (``Settings.from_env``)."""
        return cls.from_settings(Settings.from_env())

    def settings(self) -> Settings:
        """The settings this resource stands for, the database URL and the lock wait read
        from their env vars where the run executes."""
        url = self.database_url
        if isinstance(url, EnvVar):  # outside a run (a direct call), where Dagster resolves it
            url = url.get_value()
        return Settings(
            home=Path(self.home),
            landing_root=Path(self.landing_root),
            database_url=(url or "").strip() or None,
            lock_wait=os.environ.get(LOCK_WAIT_ENV, ""),
        )

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """A fresh ``Warehouse`` per run, prepared on first use."""
        self._warehouse = Warehouse(self.settings())

    @property
    def warehouse(self) -> Warehouse:
        """The run's warehouse, prepared on first use (once per run and process)."""
        if self._warehouse is None:  # used outside a run (a direct call in a test)
            self._warehouse = Warehouse(self.settings())
        self._warehouse.prepare()
        return self._warehouse

    @property
    def info(self) -> ConnectionInfo:
        """How to reach the run's warehouse (prepared)."""
        return self.warehouse.info

    @property
    def landing(self) -> Path:
        """The landing zone's root folder."""
        return Path(self.landing_root)
