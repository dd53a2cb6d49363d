"""Least privilege (docs/roles.md): after a real tick, the analyst probe battery
(orchestration/runtime/probes.py) is refused everything outside reading `marts` — writes,
DDL, temporary tables, other roles, server files, the server's other databases, every
relation outside `marts`, per-profile data, and listing them through information_schema —
while the analyst still reads every mart. A leak planted on purpose shows up in the
battery, so it can fail."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import timedelta

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from ingestion.simulator.writer import write_osrs_prices
from orchestration import dagster_home, warehouse
from orchestration.cli import app
from orchestration.runtime.connection import DEFAULT_DB_NAME
from orchestration.runtime.probes import (
    analyst_info,
    analyst_probes,
    summary,
    unreadable_marts,
)
from orchestration.runtime.roles import ANALYST_ROLE, RETIRED_MARTS, SERVER_DATABASES
from tests.conftest import SIM_END, query, scalar

PROFILE = """\
profile: {name: Probe, default_market: osrs-ge}
favorites:
  - {item: 2}
watchlists:
  mine:
    - {item: 2}
bank:
  - {item: 2, quantity: 100}
alerts:
  - {id: any-price, type: price_above, item: 2, target: 1, cooldown: 1h}
"""


@pytest.fixture(scope="module")
def built(db, landing, snapmart_home):
    """One replayed tick of OSRS prices and a profile with a watchlist, a bank and a rule:
    raw, staging, intermediate, marts, profiles, alerts and ops all hold tables."""
    write_osrs_prices(2, seed=11, n_items=12, end=SIM_END - timedelta(hours=1), root=landing)
    profile = snapmart_home / "profiles" / "probe.yaml"
    profile.write_text(PROFILE)
    try:
        result = CliRunner().invoke(app, ["refresh", "--replay"])
    finally:
        profile.unlink()
    assert result.exit_code == 0, result.output
    # The Dagster instance's database, as `snapmart ui` creates it next to the warehouse.
    dagster_db = dagster_home.dagster_database(db)
    warehouse.ensure_database(dagster_db)
    yield db
    warehouse.drop_database(dagster_db)


@pytest.fixture(scope="module")
def passwords(db, snapmart_home, landing, base_url_env):
    """How the analyst logs in. The test databases are reached by URL, like an external
    server's; without SNAPMART_DATABASE_URL the session's server is the embedded one, so a
    ``Warehouse`` of the embedded settings prepares its own database on it as `snapmart db
    start` does: the roles' passwords set, ``postgres`` and ``template1`` closed. On an
    external server the analyst gets a password for the module."""
    if base_url_env is not None:
        password = secrets.token_urlsafe(18)
        with warehouse.connect(db, autocommit=True) as conn:
            conn.execute(
                sql.SQL("alter role {} password {}").format(
                    sql.Identifier(ANALYST_ROLE), sql.Literal(password)
                )
            )
        yield {ANALYST_ROLE: password}
        return
    own = warehouse.Warehouse(warehouse.Settings(home=snapmart_home, landing_root=landing))
    assert own.embedded
    existed = scalar(db, "select count(*) from pg_database where datname = %s", (DEFAULT_DB_NAME,))
    info = own.prepare()
    yield own.passwords()
    if not existed:
        warehouse.drop_database(info)


def _external(base_url_env) -> bool:
    return base_url_env is not None


def _public_may_connect(db, database: str) -> bool:
    return scalar(db, "select has_database_privilege('public', %s, 'CONNECT')", (database,))


def test_every_analyst_probe_is_denied_and_the_marts_still_read(
    built, passwords, base_url_env
) -> None:
    db = built
    results = analyst_probes(db, passwords)
    kinds = Counter(r.kind for r in results)
    marts = scalar(
        db,
        """select count(*) from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = 'marts' and c.relkind in ('r', 'p')""",
    )
    assert marts > 20 and kinds["write"] == 4 * marts  # insert, update, delete, truncate each
    assert kinds["ddl"] == 4 and kinds["temp"] == 1 and kinds["role"] == 3
    assert kinds["server"] == 2 and kinds["listing"] == 4 and kinds["catalog"] == 1
    connects = {r.target for r in results if r.kind == "connect"}
    assert connects == {*SERVER_DATABASES, dagster_home.dagster_database(db).database}
    # Every layer outside marts is tried, per-profile data included, table by table.
    read = {r.target for r in results if r.kind == "read"}
    for must in (
        "raw_osrs_prices.prices_5m",
        "raw_user_state.bank_items",
        "raw_user_state.watchlists",
        "staging.stg_osrs_prices__prices_5m",
        "intermediate.int_user_state__watchlists",
        "reference.recipes",
        "profiles.profile_watchlist",
        "profiles.profile_bank_craft_opportunities",
        "profiles.profile_alert_effectiveness",
        "alerts.fct_alert_events",
        "ops.pipeline_metrics",
    ):
        assert must in read, must
    outside = scalar(
        db,
        """select count(*) from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and n.nspname <> 'marts'
            and n.nspname not in ('pg_catalog', 'information_schema')
            and n.nspname !~ '^pg_(toast|temp)'""",
    )
    assert kinds["read"] == outside

    # On an external server postgres and template1 are the administrator's: left as found.
    def expected(r) -> str:
        if _external(base_url_env) and r.kind == "connect" and r.target in SERVER_DATABASES:
            return "allowed" if _public_may_connect(db, r.target) else "denied"
        return "allowed" if r.visible_by_design else "denied"

    wrong = [(r.kind, r.target, r.outcome, r.detail) for r in results if r.outcome != expected(r)]
    assert wrong == []
    # The one thing PostgreSQL shows every role: catalogue names (docs/roles.md).
    [catalog] = [r for r in results if r.visible_by_design]
    assert catalog.kind == "catalog" and catalog.detail.split(":")[1].strip().startswith("raw_")
    figures = summary(results)
    assert figures["analyst_probes"] == len(results)
    if not _external(base_url_env):
        assert figures["analyst_probes_denied"] == len(results) - 1

    # The positive control: the analyst reads every mart, and the aggregates have rows.
    assert unreadable_marts(db, passwords) == {}
    analyst = psycopg.connect(analyst_info(db, passwords).url(), autocommit=True)
    with analyst:
        flips = analyst.execute("select count(*) from marts.mart_flips").fetchone()[0]
        watched = analyst.execute(
            "select watchers, favorited_by from marts.mart_watchlist_popularity"
        ).fetchall()
        fired = analyst.execute("select sum(alerts) from marts.mart_alert_effectiveness").fetchone()
    assert flips > 0
    assert watched == [(1, 1)]
    assert fired[0] and fired[0] > 0
    # ... and the per-profile data it may not read is there (so refusing it means something).
    assert scalar(db, "select count(*) from profiles.profile_watchlist") == 2
    assert scalar(db, "select count(*) from profiles.profile_alert_effectiveness") > 0


def test_the_battery_sees_a_leak(built, passwords) -> None:
    """Grants planted on purpose turn the matching probes to allowed."""
    db = built
    flips = scalar(db, "select count(*) from marts.mart_flips")
    with warehouse.connect(db, autocommit=True) as conn:
        conn.execute(f"grant usage on schema staging to {ANALYST_ROLE}")
        conn.execute(f"grant select on staging.stg_osrs_prices__prices_5m to {ANALYST_ROLE}")
        conn.execute(f"grant insert on marts.mart_flips to {ANALYST_ROLE}")
        conn.execute(f'grant temporary on database "{db.database}" to {ANALYST_ROLE}')
    try:
        results = analyst_probes(db, passwords)
    finally:
        with warehouse.connect(db, autocommit=True) as conn:
            conn.execute(f"revoke usage on schema staging from {ANALYST_ROLE}")
            conn.execute(f"revoke select on staging.stg_osrs_prices__prices_5m from {ANALYST_ROLE}")
            conn.execute(f"revoke insert on marts.mart_flips from {ANALYST_ROLE}")
            conn.execute(f'revoke temporary on database "{db.database}" from {ANALYST_ROLE}')
    allowed = {(r.kind, r.target, r.statement.split()[0]) for r in results if not r.denied}
    assert allowed == {
        ("read", "staging.stg_osrs_prices__prices_5m", "select"),
        ("write", "marts.mart_flips", "insert"),
        ("temp", "temporary table snapmart_probe", "create"),
        ("listing", "information_schema.tables", "select"),
        ("listing", "information_schema.columns", "select"),
        ("listing", "information_schema.schemata", "select"),
        ("catalog", "raw table names in pg_class", "select"),
    }
    # The allowed insert changed nothing: every probe is rolled back, writes touch no row.
    assert scalar(db, "select count(*) from marts.mart_flips") == flips
    assert all(r.denied or r.visible_by_design for r in analyst_probes(db, passwords))


def test_databases_are_closed_to_public(built, passwords, base_url_env) -> None:
    db = built
    for database in (db.database, dagster_home.dagster_database(db).database):
        assert not _public_may_connect(db, database), database
        assert not scalar(db, "select has_database_privilege('public', %s, 'TEMP')", (database,))
    for role in ("snapmart_loader", "snapmart_transformer", ANALYST_ROLE):
        assert scalar(db, "select has_database_privilege(%s, %s, 'CONNECT')", (role, db.database))
    temp = {
        role
        for role in ("snapmart_loader", "snapmart_transformer", ANALYST_ROLE)
        if scalar(db, "select has_database_privilege(%s, %s, 'TEMP')", (role, db.database))
    }
    assert temp == {"snapmart_loader", "snapmart_transformer"}  # dlt merges, dbt incrementals
    if not _external(base_url_env):  # the embedded server is snapmart's alone
        for database in SERVER_DATABASES:
            assert not _public_may_connect(db, database), database
    assert not scalar(db, "select has_schema_privilege('public', 'public', 'USAGE')")


def test_new_marts_are_readable_new_profile_tables_are_not(built, passwords) -> None:
    """Default privileges: a table the transformer creates in marts later is the
    analyst's at once; one in profiles is not."""
    db = built
    with warehouse.connect(db, autocommit=True) as conn:
        conn.execute("set role snapmart_transformer")
        conn.execute("create table marts.probe_new_mart as select 1 as n")
        conn.execute("create table profiles.probe_new_profile as select 'p' as profile_id")
    try:
        with psycopg.connect(analyst_info(db, passwords).url(), autocommit=True) as analyst:
            assert analyst.execute("select n from marts.probe_new_mart").fetchall() == [(1,)]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                analyst.execute("select 1 from profiles.probe_new_profile")
    finally:
        with warehouse.connect(db, autocommit=True) as conn:
            conn.execute("drop table marts.probe_new_mart, profiles.probe_new_profile")


def test_marts_that_moved_to_profiles_are_dropped(built) -> None:
    """A warehouse built before the per-profile marts moved keeps them in marts (dbt drops
    nothing it stops building): preparing the warehouse drops them."""
    db = built
    with warehouse.connect(db, autocommit=True) as conn:
        conn.execute("set role snapmart_transformer")
        for name in RETIRED_MARTS:
            conn.execute(f"create table marts.{name} as select 'alice' as profile_id")
    warehouse.Warehouse.from_env().prepare()
    left = query(
        db,
        "select table_name from information_schema.tables where table_schema = 'marts'"
        " and table_name = any(%s)",
        (list(RETIRED_MARTS),),
    )
    assert left == []
