"""Shared fixtures: a real PostgreSQL for the whole session, fresh databases per module.

Without SNAPMART_DATABASE_URL the session starts its own embedded server in a temp
SNAPMART_HOME (so a developer's `.snapmart/` is never touched). With it, each module
gets a new database on that server, dropped afterwards.

``SNAPMART_TEST_CLOCK_SHIFT_DAYS=N`` runs the whole session with Python's clock moved N
days ahead (time-machine, ticking): every rule compares with the tick's clock, so the
suite passes on any date (`make test PYTEST_ARGS=...` with the variable set).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["GX_ANALYTICS_ENABLED"] = "false"
os.environ["DAGSTER_DISABLE_TELEMETRY"] = "true"

from orchestration import warehouse  # noqa: E402
from orchestration.runtime import embedded  # noqa: E402

CLOCK_SHIFT_ENV = "SNAPMART_TEST_CLOCK_SHIFT_DAYS"
if os.environ.get(CLOCK_SHIFT_ENV):
    # started at import, before any test module computes a "now" of its own
    time_machine.travel(
        datetime.now(UTC) + timedelta(days=float(os.environ[CLOCK_SHIFT_ENV])), tick=True
    ).start()

# A fixed "now" for simulated history, so expected counts are stable.
SIM_END = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


@contextlib.contextmanager
def clock_at(at: datetime) -> Iterator[None]:
    """Python's clock at ``at`` (ticking) for the block, dlt's load ids left as found.

    dlt never hands out a load id lower than one it handed out before in the process
    (``dlt.common.time.increasing_precise_time``): a load during a trip to the future
    would put every later load of the session in that future, and every "loaded since
    the tick started" window with it."""
    from dlt.common.time import increasing_precise_time

    saved = increasing_precise_time._last
    with time_machine.travel(at, tick=True):
        yield
    increasing_precise_time._last = saved


@pytest.fixture(scope="session")
def snapmart_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("snapmart_home")
    keys = ("SNAPMART_HOME", "DBT_TARGET_PATH", "SOURCES__USER_STATE__PROFILES_DIR")
    old = {k: os.environ.get(k) for k in keys}
    os.environ["SNAPMART_HOME"] = str(home)
    os.environ["DBT_TARGET_PATH"] = str(home / "target")
    # No profiles unless a test writes some: the repository's sample stays the demo's.
    (home / "profiles").mkdir()
    os.environ["SOURCES__USER_STATE__PROFILES_DIR"] = str(home / "profiles")
    yield home
    settings = warehouse.Settings.from_env()
    if settings.embedded:
        warehouse.Warehouse(settings).stop()
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def base_url_env(snapmart_home: Path) -> str | None:
    """The external server URL the session started with (None = embedded)."""
    return warehouse.Settings.from_env().database_url


def start_embedded_once(snapmart_home: Path) -> warehouse.ConnectionInfo:
    """The session's embedded server, started if need be. `make test` runs two workers
    (pytest-xdist), each with a server of its own: they start one after the other, so the
    second sees the first's port taken and picks another instead of racing it for it."""
    with open(snapmart_home.parent.parent / "embedded-start.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        return embedded.start(snapmart_home)


@contextlib.contextmanager
def new_database(
    snapmart_home: Path, base_url_env: str | None
) -> Iterator[warehouse.ConnectionInfo]:
    """A brand-new database with the roles, on the session's server, as the warehouse
    until the block ends (dlt's local pipeline state starts over with it): the settings
    every command and run resolves from the environment meanwhile, prepared by a new
    ``Warehouse`` of its own."""
    previous = os.environ.get("SNAPMART_DATABASE_URL")
    name = f"snapmart_t_{uuid.uuid4().hex[:10]}"
    if base_url_env:
        base = warehouse.ConnectionInfo.from_url(base_url_env)
        url = warehouse.ConnectionInfo(base.host, base.port, base.user, base.password, name).url()
        os.environ["SNAPMART_DATABASE_URL"] = url
    else:
        info = start_embedded_once(snapmart_home)
        os.environ["SNAPMART_DATABASE_URL"] = warehouse.ConnectionInfo(
            info.host, info.port, info.user, info.password, name
        ).url()
    shutil.rmtree(snapmart_home / ".snapmart" / "dlt", ignore_errors=True)
    info = warehouse.Warehouse(warehouse.Settings.from_env()).prepare()
    try:
        yield info
    finally:
        warehouse.drop_database(info)
        shutil.rmtree(snapmart_home / ".snapmart" / "dlt", ignore_errors=True)
        if previous is not None:
            os.environ["SNAPMART_DATABASE_URL"] = previous
        else:
            os.environ.pop("SNAPMART_DATABASE_URL", None)


@pytest.fixture(scope="module")
def db(snapmart_home: Path, base_url_env: str | None) -> Iterator[warehouse.ConnectionInfo]:
    """A brand-new database for the module, with the roles, on the session's server."""
    with new_database(snapmart_home, base_url_env) as info:
        yield info


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("landing")
    old = os.environ.get("SNAPMART_LANDING_DIR")
    os.environ["SNAPMART_LANDING_DIR"] = str(root)
    yield root
    if old is None:
        os.environ.pop("SNAPMART_LANDING_DIR", None)
    else:
        os.environ["SNAPMART_LANDING_DIR"] = old


def query(info: warehouse.ConnectionInfo, sql: str, params: tuple = ()) -> list[tuple]:
    with warehouse.connect(info) as conn:
        return conn.execute(sql, params).fetchall()


def scalar(info: warehouse.ConnectionInfo, sql: str, params: tuple = ()):
    return query(info, sql, params)[0][0]
