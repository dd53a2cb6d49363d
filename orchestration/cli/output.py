"""What every `snapmart` command shares: the consoles, progress bars, failing with one
sentence plus a hint, and reaching the warehouse behind a spinner."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from ingestion.mistakes import UserMistake
from orchestration import warehouse
from orchestration.cli.exit_codes import ExitCode

# Piped output (CI logs, `make demo | tee`) gets a readable width instead of rich's 80.
_WIDTH = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "140"))
console = Console(width=_WIDTH)
err = Console(stderr=True, width=_WIDTH)


# Something the user can fix: one sentence plus a hint, exit code 2 (ingestion/mistakes.py).
UserError = UserMistake


def fail(exc: BaseException, hint: str | None = None) -> None:
    """Print ``exc`` as one red sentence (and ``hint``, else the exception's own, below it)
    on stderr, then exit with code 2 (ExitCode.USER_MISTAKE, typer.Exit). Each is one line
    however long (no wrapping), so a log or a test reads exactly two lines."""
    hint = hint or getattr(exc, "hint", None)
    err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
    if hint:
        err.print(f"[dim]→ {escape(hint)}[/]", soft_wrap=True)
    raise typer.Exit(ExitCode.USER_MISTAKE)


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


def start_warehouse(create: bool = False) -> warehouse.Warehouse:
    """The command's warehouse, from its settings: started (if embedded) or reached, and
    prepared. On an external server the database must exist unless ``create`` (only
    `snapmart db start` and `snapmart demo` create it): a typo in its name creates
    nothing. A failure is a WarehouseError (a UserMistake: one sentence and a hint)."""
    wh = warehouse.Warehouse(settings())
    with console.status("Starting the warehouse…" if wh.embedded else "Connecting…"):
        try:
            wh.prepare(create=create)
        except warehouse.WarehouseError as exc:
            exc.hint = exc.hint or warehouse.URL_HINT
            raise  # to the command group (orchestration/cli/__init__.py), which says it
    return wh
