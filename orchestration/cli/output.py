"""What every `snapmart` command shares: the consoles, progress bars, failing with one
sentence plus a hint, and reaching the warehouse behind a spinner."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from orchestration import warehouse

# Piped output (CI logs, `make demo | tee`) gets a readable width instead of rich's 80.
_WIDTH = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "140"))
console = Console(width=_WIDTH)
err = Console(stderr=True, width=_WIDTH)


class UserError(Exception):
    """Something the user can fix: printed as one sentence plus a hint, exit code 2."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def fail(exc: BaseException, hint: str | None = None) -> None:
    """Print ``exc`` as one red sentence (and ``hint`` below it) on stderr, then exit with
    code 2 (typer.Exit)."""
    err.print(f"[bold red]error:[/] {exc}")
    if hint:
        err.print(f"[dim]→ {hint}[/]")
    raise typer.Exit(2)


def progress() -> Progress:
    """A rich progress display on the console: spinner, description, bar, done / total, and
    time elapsed; it stays on screen when it ends."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def settings() -> warehouse.Settings:
    """The command's settings (orchestration/runtime/settings.py), resolved once at its
    start and passed down from there; a setting that is not valid ends the command with
    one sentence (exit 2)."""
    try:
        settings = warehouse.Settings.from_env()
        settings.lock_wait_seconds  # noqa: B018 - checked here: a typo is one sentence
        return settings
    except warehouse.WarehouseError as exc:
        fail(exc, "fix or unset that environment variable")
    raise AssertionError("unreachable")


def start_warehouse() -> warehouse.Warehouse:
    """The command's warehouse, from its settings: started (if embedded) or reached, and
    prepared; a failure ends the command with a hint."""
    wh = warehouse.Warehouse(settings())
    try:
        with console.status("Starting the warehouse…" if wh.embedded else "Connecting…"):
            wh.prepare()
            return wh
    except warehouse.WarehouseError as exc:
        fail(exc, "check SNAPMART_DATABASE_URL, or unset it to use the embedded server")
    except Exception as exc:  # psycopg connection errors
        fail(
            RuntimeError(f"cannot reach PostgreSQL: {str(exc).strip().splitlines()[0]}"),
            "check SNAPMART_DATABASE_URL (host, port, user, password)",
        )
    raise AssertionError("unreachable")
