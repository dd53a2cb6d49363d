"""`snapmart prune` (retention, off unless run) and `snapmart ui` (the Dagster webserver
and daemon)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from orchestration import warehouse
from orchestration.cli.output import console, start_warehouse


def prune(
    hourly_days: Annotated[int, typer.Option(help="Keep this many days of hourly candles.")] = 30,
    daily_days: Annotated[int, typer.Option(help="Keep this many days of daily candles.")] = 730,
    raw_listings_days: Annotated[
        int,
        typer.Option(
            help="Drop raw ticket listings' monthly partitions that ended this many days before"
            " the newest snapshot (0: keep all; the tickets marts keep their history)."
        ),
    ] = 0,
    dry_run: Annotated[bool, typer.Option(help="Count what would go; delete nothing.")] = False,
) -> None:
    """Retention (docs/formulas.md#retention): drop hourly candles older than 30 days and
    daily older than 2 years, only where the coarser tier holds their period. Off unless you
    run it."""
    from orchestration import retention

    info = start_warehouse()
    results = retention.prune(
        info,
        hourly_days=hourly_days,
        daily_days=daily_days,
        raw_listings_days=raw_listings_days,
        dry_run=dry_run,
    )
    table = Table(title="Retention" + (" (dry run: nothing deleted)" if dry_run else ""))
    for col in ("table", "rows pruned", "≈ space freed", "rows kept"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for r in results:
        table.add_row(
            r.table, f"{r.rows:,}", f"{r.bytes_estimate / 1e6:,.1f} MB", f"{r.kept_rows:,}"
        )
    console.print(table)
    if not dry_run and any(r.rows for r in results):
        console.print(
            "[dim]New rows reuse the space; VACUUM FULL (or pg_repack) returns it to the OS.[/]"
        )


def ui(
    port: Annotated[int, typer.Option(help="Web UI port.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Dagster webserver + daemon on the workspace (schedules and sensors live)."""
    from orchestration import dagster_home

    start_warehouse()
    home = dagster_home.prepare()
    console.print(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={home}); Ctrl-C stops it.")
    env = dict(os.environ, DAGSTER_HOME=str(home))
    dagster = Path(sys.executable).parent / "dagster"
    cmd = [
        str(dagster) if dagster.exists() else "dagster",
        "dev",
        "-w",
        str(warehouse.PROJECT_ROOT / "workspace.yaml"),
        "-h",
        host,
        "-p",
        str(port),
    ]
    try:
        raise typer.Exit(subprocess.call(cmd, env=env, cwd=warehouse.PROJECT_ROOT))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
