"""The database and the three roles of docs/roles.md, with the grants that make them mean
something: what preparing a warehouse does, once per ``Warehouse`` (orchestration/warehouse.py)."""

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


def ensure_database(info: ConnectionInfo) -> None:
    """Create the database if missing (needs CREATEDB on an external server)."""
    with psycopg.connect(info.url("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (info.database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(info.database)))


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
end $$;
"""


def ensure_roles(info: ConnectionInfo, passwords: Mapping[str, str] | None = None) -> None:
    """The three roles of docs/roles.md, with the grants that make them mean something
    (and, on the embedded server, the ``passwords`` it keeps for them).

    Roles are cluster-wide; grants are per database, so this runs for each
    database we use. The loader may create the raw_* schemas, the transformer
    reads what the loader writes, and the analyst sees only ``marts``.
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


def analyst_url(info: ConnectionInfo, passwords: Mapping[str, str] | None = None) -> str:
    """What `snapmart db url` hands out: the read-only analyst role.

    On the embedded server (its ``passwords`` given) it carries the analyst's generated
    password (the one thing this command is for); on an external server the admin sets one.
    """
    if passwords is not None:
        pw = passwords[ANALYST_ROLE]
        return ConnectionInfo(info.host, info.port, ANALYST_ROLE, pw, info.database).url()
    return info.url(user=ANALYST_ROLE)
