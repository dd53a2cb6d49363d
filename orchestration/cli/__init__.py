"""The `snapmart` command (docs/architecture.md): progress while it works, a plain summary at
the end, and one clear sentence plus what to do when something a user can fix goes wrong.

One module per concern: ``tick`` (refresh, ingest, transform: Dagster runs, see
orchestration/runs.py), ``demo``, ``maintenance`` (prune, ui), ``bench``, ``backfill``,
``docs``, and the groups ``db``, ``simulate``, ``alerts`` and ``profiles``; ``output`` and
``follow`` (a run's progress and summary) hold what they share. This module only
assembles them.
"""

from __future__ import annotations

from typing import Any

import click
import typer
from rich.markup import escape
from typer.core import TyperGroup

from ingestion.mistakes import UserMistake
from orchestration import warehouse
from orchestration.cli import (
    alerts,
    api,
    backfill,
    bench,
    db,
    demo,
    docs,
    maintenance,
    simulate,
    tick,
)
from orchestration.cli.exit_codes import ExitCode
from orchestration.cli.output import err, fail
from orchestration.runtime import private


class _Commands(TyperGroup):
    """The command group: the one place where a UserMistake (ingestion/mistakes.py; a
    WarehouseError is one) raised by any command, at any depth, becomes one sentence and
    a hint on stderr and exit code 2, instead of a traceback (a test's CliRunner sees
    the same as a shell); and where a lock held elsewhere past the wait (LockBusy, outside
    a run's steps, which report their own) becomes its one sentence and exit code 5."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a UserMistake ends it through ``fail``, a LockBusy with exit 5."""
        from orchestration.runtime.locks import LockBusy

        try:
            return super().invoke(ctx)
        except UserMistake as exc:
            fail(exc)
        except LockBusy as exc:
            err.print(f"[red]{escape(str(exc))}[/]", soft_wrap=True)
            raise typer.Exit(int(ExitCode.BUSY)) from None


app = typer.Typer(
    cls=_Commands,
    help="snapmart: market and progression snapshots → trend and opportunity marts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Commands first, then the groups, in the order `snapmart --help` lists them.
for command in (
    tick.refresh,
    tick.ingest,
    tick.transform,
    maintenance.prune,
    demo.demo,
    maintenance.ui,
    bench.bench,
    backfill.backfill,
    docs.docs,
    api.api,
):
    app.command()(command)
app.add_typer(db.db_app, name="db")
app.add_typer(simulate.sim_app, name="simulate")
app.add_typer(alerts.alerts_app, name="alerts")
app.add_typer(alerts.profiles_app, name="profiles")


def main() -> None:
    """The ``snapmart`` entry point: the typer app in a private process (umask 077, the
    state folder's modes fixed, dlt's secrets file made 0600 and said so:
    orchestration/runtime/private.py)."""
    private.restrict_umask()
    private.secure(warehouse.Settings.from_env().state_dir)
    for path in private.dlt_secrets_files():
        if said := private.secure_secrets_file(path):
            err.print(f"[yellow]{escape(said)}[/]", soft_wrap=True)
    app()
