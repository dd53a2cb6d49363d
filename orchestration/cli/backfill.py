"""`snapmart backfill`: fill past days of a time-bucketed source (see orchestration/backfill.py)."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from orchestration.cli.output import console, err, fail, progress, start_warehouse


def _day(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(ValueError(f"{flag} {value!r} is not a date"), "use YYYY-MM-DD (UTC days)")
        raise AssertionError("unreachable") from None


def backfill(
    source: Annotated[str, typer.Option("--source", "-s", help="A time-bucketed source.")],
    from_: Annotated[str, typer.Option("--from", help="First UTC day, YYYY-MM-DD.")],
    to: Annotated[str, typer.Option("--to", help="Last UTC day (inclusive), YYYY-MM-DD.")],
    verbose: Annotated[bool, typer.Option(help="Show Dagster's step log.")] = False,
) -> None:
    """Fetch, load and rebuild past days of a source in one Dagster run (shown in
    `snapmart ui`; waits for a running tick of the same source instead of colliding)."""
    from orchestration import backfill as backfill_mod
    from orchestration.cli.follow import RunView

    start, end = _day(from_, "--from"), _day(to, "--to")
    try:
        backfill_mod.validate(source, start, end)
    except ValueError as exc:
        fail(exc, "run `snapmart backfill --help`")
    wh = start_warehouse()
    days = (end - start).days + 1
    console.print(f"Backfilling {source}, {start} → {end} ({days} day(s)) in one Dagster run…")
    t0 = time.monotonic()
    with progress() as bar:
        view = RunView(bar)

        def follow(entry: Any) -> None:
            view(entry)
            if verbose and (entry.user_message or entry.message):
                bar.console.print(f"[dim]{entry.step_key or '-'}:[/] {entry.message}")

        result = backfill_mod.run(source, start, end, on_record=follow, wh=wh)
    elapsed = time.monotonic() - t0
    for status, files, rows, error in result.ticks:
        line = f"{source}: {status}, {files or 0:,} file(s) fetched, {rows or 0:,} row(s) loaded"
        console.print(line + (f" — {error}" if error else ""))
    resolutions = sorted(
        {r for _, counts in result.coverage for r in counts} or set(),
        key=lambda r: -backfill_mod.FULL_DAY.get(r, 0),
    )
    table = Table(title=f"{source}: observation times per day in fct_price_observations")
    table.add_column("day", justify="right")
    for r in resolutions:
        table.add_column(f"{r} (of {backfill_mod.FULL_DAY.get(r, '?')})", justify="right")
    for day, counts in result.coverage:
        whole = all(counts.get(r, 0) >= backfill_mod.FULL_DAY.get(r, 0) for r in resolutions)
        cells = [str(counts.get(r, 0)) for r in resolutions]
        table.add_row(str(day), *cells, style="" if counts and whole else "yellow")
    console.print(table)
    for error in view.fetch_failed.values():  # one line each; the run itself went on
        err.print(f"[red]fetch failed:[/] {escape(error)}", soft_wrap=True, highlight=False)
    if not result.success:
        steps = ", ".join(result.failed_steps) or "the run"
        err.print(f"[red]Backfill run {result.run_id} failed in {steps}:[/] {result.error}")
        if result.log_path and not verbose:
            err.print(f"the run's log: {result.log_path}")
        raise typer.Exit(int(view.exit_code(result.success)))
    if view.fetch_failed:
        err.print(f"[red]Backfill run {result.run_id} loaded what it could fetch[/]")
        raise typer.Exit(int(view.exit_code(result.success)))
    console.print(f"[green]Backfill run {result.run_id} succeeded[/] in {elapsed:.0f} s.")
    if result.log_path and not verbose:
        console.print(f"the run's log: {result.log_path}")
