"""The database and the roles of docs/roles.md (three that log in, one the API acts as),
with the grants that make them mean something: what preparing a warehouse does, once per
``Warehouse`` (orchestration/warehouse.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import psycopg
from psycopg import sql

from orchestration.runtime.connection import ConnectionInfo

LOADER_ROLE = "snapmart_loader"
TRANSFORMER_ROLE = "snapmart_transformer"
ANALYST_ROLE = "snapmart_analyst"
ROLES = (LOADER_ROLE, TRANSFORMER_ROLE, ANALYST_ROLE)
MARTS_SCHEMA = "marts"
# Per-profile models (watchlists, banks, per-profile alert statistics): built by dbt in a
# schema of their own that the analyst role gets nothing on (dbt_project.yml, docs/roles.md).
PROFILES_SCHEMA = "profiles"
# What `snapmart api` reads `profiles` as, for a profile's own bearer token (docs/roles.md):
# SELECT on that schema and nothing else, no login (the API's login user acts as it, as
# it acts as the analyst), no CONNECT of its own, no password.
PROFILE_READER_ROLE = "snapmart_profile_reader"
# Roles that may create temporary tables in a warehouse: dbt's incremental models and
# dlt's merge jobs stage rows in them; the analyst may not.
TEMP_ROLES = (LOADER_ROLE, TRANSFORMER_ROLE)
# Databases every PostgreSQL server has that PUBLIC may connect to by default; on the
# embedded server (snapmart's alone) `harden_server` revokes that. template0 takes no
# connections at all.
SERVER_DATABASES = ("postgres", "template1")
# Per-profile marts that lived in `marts` before they moved to `profiles`: dbt never drops
# a relation it no longer builds, so a warehouse built before would keep showing them to
# analysts. Dropped when the warehouse is prepared.
RETIRED_MARTS = ("mart_watchlist", "mart_bank_craft_opportunities")


def ensure_database(info: ConnectionInfo) -> None:
    """Create the database if missing (needs CREATEDB on an external server), closed to
    PUBLIC from the start (``revoke_public``): only roles granted CONNECT reach it."""
    with psycopg.connect(info.url("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (info.database,)
        ).fetchone()
        if not exists:
            # two processes starting at once on a new warehouse both find it missing: the
            # one that loses the race finds it made, as it wanted
            with contextlib.suppress(
                psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
            ):
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(info.database)))
            revoke_public(conn, info.database)


def revoke_public(conn: psycopg.Connection, database: str) -> None:
    """Revoke ``CONNECT`` and ``TEMP`` on ``database`` from PUBLIC (PostgreSQL grants both
    to every role by default), unless done already. Its owner keeps them; other roles get
    them by name (``ensure_roles``).

    Checked first because revoking rewrites the database's catalogue row, and two
    processes preparing at once would make one fail with "tuple concurrently updated";
    if that still happens the other process did the same revoke, which is checked again.
    """
    query = """
        select exists (
            select from pg_database as d,
                aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) as a
            where d.datname = %s and a.grantee = 0
                and a.privilege_type in ('CONNECT', 'TEMPORARY'))
    """
    for attempt in range(3):
        if not conn.execute(query, (database,)).fetchone()[0]:
            return
        try:
            conn.execute(
                sql.SQL("revoke connect, temporary on database {} from public").format(
                    sql.Identifier(database)
                )
            )
            return
        except psycopg.errors.InternalError:  # "tuple concurrently updated": look again
            if attempt == 2:
                raise


def harden_server(info: ConnectionInfo) -> None:
    """On the embedded server, which is snapmart's alone: PUBLIC may not connect to
    ``postgres`` or ``template1`` either, nor to ``info``'s database or its Dagster
    database (orchestration/dagster_home.py) if an older snapmart created them open, so
    the analyst reaches only the warehouses it is granted. Not done on an external
    server, whose other databases are not ours."""
    with psycopg.connect(info.url("postgres"), autocommit=True) as conn:
        for database in (*SERVER_DATABASES, info.database, f"{info.database}_dagster"):
            revoke_public(conn, database)  # nothing to do for one that does not exist


def drop_database(info: ConnectionInfo) -> None:
    """Drop ``info``'s database, closing its connections (``with (force)``); none is fine."""
    with psycopg.connect(info.url("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(info.database))
        )


ROLE_SQL = """
do $$
begin
  if not exists (select from pg_roles where rolname = 'snapmart_loader') then
    create role snapmart_loader login;
  end if;
  if not exists (select from pg_roles where rolname = 'snapmart_transformer') then
    create role snapmart_transformer login;
  end if;
  if not exists (select from pg_roles where rolname = 'snapmart_analyst') then
    create role snapmart_analyst login;
  end if;
  if not exists (select from pg_roles where rolname = 'snapmart_profile_reader') then
    create role snapmart_profile_reader nologin;
  end if;
end $$;
"""


def ensure_roles(info: ConnectionInfo, passwords: Mapping[str, str] | None = None) -> None:
    """The roles of docs/roles.md, with the grants that make them mean something (and, on
    the embedded server, the ``passwords`` it keeps for the three that log in).

    Roles are cluster-wide; grants are per database, so this runs for each
    database we use. The loader may create the raw_* schemas, the transformer
    reads what the loader writes, the analyst sees only ``marts``, and the profile reader
    only ``profiles``.
    """
    with psycopg.connect(info.url(), autocommit=True) as conn:
        conn.execute(ROLE_SQL)
        for role, password in (passwords or {}).items():
            if role != "postgres":
                conn.execute(
                    sql.SQL("alter role {} password {}").format(
                        sql.Identifier(role), sql.Literal(password)
                    )
                )
        db = sql.Identifier(info.database)
        me = sql.Identifier(info.user)
        for role in ROLES:
            conn.execute(
                sql.SQL("grant connect on database {} to {}").format(db, sql.Identifier(role))
            )
        for role in TEMP_ROLES:
            conn.execute(
                sql.SQL("grant temporary on database {} to {}").format(db, sql.Identifier(role))
            )
        # PostgreSQL < 15 lets PUBLIC create in `public`, later versions still let it look
        # in: nothing of ours lives there, so no role but the owner gets anything on it.
        conn.execute("revoke all on schema public from public")
        for role in (LOADER_ROLE, TRANSFORMER_ROLE):
            conn.execute(
                sql.SQL("grant create on database {} to {}").format(db, sql.Identifier(role))
            )
            # Let the login user act as the role (SET ROLE) on servers where it is not superuser.
            with contextlib.suppress(psycopg.errors.Error):
                conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(role), me))
        # The transformer owns `marts` (it creates and grants the tables in it).
        conn.execute(
            sql.SQL("create schema if not exists {} authorization {}").format(
                sql.Identifier(MARTS_SCHEMA), sql.Identifier(TRANSFORMER_ROLE)
            )
        )
        conn.execute(
            sql.SQL("alter schema {} owner to {}").format(
                sql.Identifier(MARTS_SCHEMA), sql.Identifier(TRANSFORMER_ROLE)
            )
        )
        conn.execute(
            sql.SQL("grant usage on schema {} to {}").format(
                sql.Identifier(MARTS_SCHEMA), sql.Identifier(ANALYST_ROLE)
            )
        )
        conn.execute(
            sql.SQL("grant usage, create on schema {} to {}").format(
                sql.Identifier(MARTS_SCHEMA), sql.Identifier(TRANSFORMER_ROLE)
            )
        )
        for retired in RETIRED_MARTS:
            conn.execute(
                sql.SQL("drop table if exists {}").format(sql.Identifier(MARTS_SCHEMA, retired))
            )
        for creator in (info.user, TRANSFORMER_ROLE):
            conn.execute(
                sql.SQL(
                    "alter default privileges for role {} in schema {} grant select on tables to {}"
                ).format(
                    sql.Identifier(creator),
                    sql.Identifier(MARTS_SCHEMA),
                    sql.Identifier(ANALYST_ROLE),
                )
            )
        grant_profiles_to_reader(conn, info.user)
        for creator in (info.user, LOADER_ROLE):
            conn.execute(
                sql.SQL("alter default privileges for role {} grant usage on schemas to {}").format(
                    sql.Identifier(creator), sql.Identifier(TRANSFORMER_ROLE)
                )
            )
            conn.execute(
                sql.SQL("alter default privileges for role {} grant select on tables to {}").format(
                    sql.Identifier(creator), sql.Identifier(TRANSFORMER_ROLE)
                )
            )


def grant_profiles_to_reader(conn: psycopg.Connection, login_user: str) -> None:
    """``PROFILE_READER_ROLE``'s one privilege: reading schema ``profiles``. The schema is
    made here as dbt would (the transformer owns it) so its grants exist before the first
    build; SELECT on the tables already there, and by default privileges on every table the
    transformer (dbt, which rebuilds each profile model as a new table) or the login user
    creates in it later. The login user may act as the role (``SET ROLE``) on a server
    where it is not superuser. Nothing on ``marts``, raw data or anything else."""
    reader = sql.Identifier(PROFILE_READER_ROLE)
    schema = sql.Identifier(PROFILES_SCHEMA)
    with contextlib.suppress(psycopg.errors.Error):
        conn.execute(sql.SQL("grant {} to {}").format(reader, sql.Identifier(login_user)))
    conn.execute(
        sql.SQL("create schema if not exists {} authorization {}").format(
            schema, sql.Identifier(TRANSFORMER_ROLE)
        )
    )
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(schema, reader))
    conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema, reader))
    for creator in (login_user, TRANSFORMER_ROLE):
        conn.execute(
            sql.SQL(
                "alter default privileges for role {} in schema {} grant select on tables to {}"
            ).format(sql.Identifier(creator), schema, reader)
        )


def analyst_url(info: ConnectionInfo, passwords: Mapping[str, str] | None = None) -> str:
    """What `snapmart db url` hands out: the read-only analyst role.

    On the embedded server (its ``passwords`` given) it carries the analyst's generated
    password (the one thing this command is for); on an external server the admin sets one.
    """
    if passwords is not None:
        pw = passwords[ANALYST_ROLE]
        return ConnectionInfo(info.host, info.port, ANALYST_ROLE, pw, info.database).url()
    return info.url(user=ANALYST_ROLE)
