"""`snapmart db …`: the embedded PostgreSQL (or the one SNAPMART_DATABASE_URL names)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import typer

from orchestration import warehouse
from orchestration.cli.exit_codes import ExitCode
from orchestration.cli.output import UserError, console, fail, settings, start_warehouse

db_app = typer.Typer(help="The embedded PostgreSQL (or the one SNAPMART_DATABASE_URL names).")


@db_app.command("start")
def db_start() -> None:
    """Start the embedded server (if needed), create the database and the three roles."""
    info = start_warehouse(create=True).info
    console.print(
        f"PostgreSQL ready at {info.redacted()}; roles snapmart_loader, "
        "snapmart_transformer, snapmart_analyst in place."
    )


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded server."""
    wh = warehouse.Warehouse(settings())
    if not wh.embedded:
        fail(UserError("SNAPMART_DATABASE_URL is set: that server is not ours to stop."))
    stopped = wh.stop()
    console.print(
        "Embedded PostgreSQL stopped." if stopped else "Embedded PostgreSQL was not running."
    )


@db_app.command("status")
def db_status() -> None:
    """Is it running, where, and how big."""
    wh = warehouse.Warehouse(settings())
    if not wh.embedded:
        info = wh.locate(start=False)
        console.print(f"external server: {info.redacted()}")
        return
    status = wh.status()
    for key, value in status.items():
        console.print(f"{key}: {value}")
    if status["running"]:
        info = wh.locate(start=False)
        with warehouse.connect(info) as conn:
            size = conn.execute(
                "select pg_size_pretty(pg_database_size(current_database()))"
            ).fetchone()
        console.print(f"database size: {size[0]}")
    else:  # not running: what a script asking wants to hear (3 means a failed fetch)
        raise typer.Exit(int(ExitCode.FAILED))


@db_app.command("url")
def db_url() -> None:
    """Print the analyst connection string (read-only, schema marts)."""
    print(start_warehouse().analyst_url())


@db_app.command("psql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def db_psql(ctx: typer.Context) -> None:
    """Open psql on the warehouse as its owner (extra arguments go to psql)."""
    info = start_warehouse().info
    env = dict(os.environ)
    if info.password:
        env["PGPASSWORD"] = info.password  # via the environment, never argv or logs
    args = [
        warehouse.psql_path(),
        "-h",
        info.host,
        "-p",
        str(info.port),
        "-U",
        info.user,
        "-d",
        info.database,
        *ctx.args,
    ]
    raise typer.Exit(subprocess.call(args, env=env))


@db_app.command("env")
def db_env() -> None:
    """Print the exports with which plain `dbt` works on the warehouse, as the transformer
    role: `eval "$(snapmart db env)"`, then `dbt build`, `dbt ls`, `dbt docs generate`…

    The password is printed only for eval (stdout not a terminal); on a terminal it is
    masked, so it never lands in a scrollback or a screen share."""
    from orchestration import transform

    wh = start_warehouse()
    env = {
        **transform.dbt_env(wh),
        "DBT_PROJECT_DIR": str(transform.PROJECT_DIR),
        "DBT_PROFILES_DIR": str(transform.PROJECT_DIR),
        "DBT_TARGET_PATH": str(transform.target_path()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    masked = sys.stdout.isatty()
    for key, value in env.items():
        shown = "***" if masked and key == "SNAPMART_PG_PASSWORD" and value else value
        print(f"export {key}={shlex.quote(shown)}")
    if masked:
        print('# the password is masked on a terminal: eval "$(snapmart db env)" sets it')
