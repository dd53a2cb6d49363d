"""A tick of the pipeline as `snapmart refresh`, `ingest` and `transform` run it: fetch →
landing → raw, the blocking raw checks, dbt build, then profiles and alerts; progress while
it works and a plain summary at the end."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from rich.table import Table

from orchestration.cli.output import console, err, fail, progress, start_warehouse


@dataclass
class TickReport:
    fetched: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, dict[str, int]] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    checks_failed: list[str] = field(default_factory=list)
    dbt: Any = None
    seconds: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    user_state: Any = None
    alerts: Any = None
    deliveries: Any = None
    ticks: dict[str, Any] = field(default_factory=dict)  # source → metrics.SourceTick

    def record_metrics(self) -> None:
        from orchestration import metrics

        metrics.record(list(self.ticks.values()))


def run_ingest(sources: list[str], replay: bool, report: TickReport) -> None:
    from ingestion.http import FetchError
    from orchestration import ingest, metrics

    tick_id = metrics.new_tick_id()
    for source in sources:
        tick = report.ticks[source] = metrics.SourceTick(
            source, "cli-replay" if replay else "cli", tick_id=tick_id
        )
        if not replay:
            t0 = time.monotonic()
            with console.status(f"Fetching {source}…"):
                try:
                    fetched = ingest.fetch_source(source)
                    tick.fetched(fetched)
                except FetchError as exc:
                    tick.fetch_failed(exc)
                    report.errors.append(str(exc))
                    err.print(f"[red]fetch failed:[/] {exc}")
                    err.print(
                        "[dim]→ what was fetched before the failure is archived; "
                        "loading the landing files anyway[/]"
                    )
                    fetched = None
            report.fetched[source] = len(fetched.files) if fetched else 0
            report.seconds[f"fetch {source}"] = tick.seconds["fetch"] = time.monotonic() - t0
        t0 = time.monotonic()
        _, pending = ingest.count_pending(source)
        with progress() as bar:
            task = bar.add_task(f"Loading {source}", total=pending or 1)
            summary = ingest.load_source(
                source, progress=lambda _e, n, task=task: bar.advance(task, n)
            )
            bar.update(task, completed=pending or 1)
        report.files[source] = summary.files
        report.loaded[source] = summary.rows
        report.rejected[source] = summary.rejected
        tick.loaded(summary)
        report.seconds[f"load {source}"] = tick.seconds["load"] = time.monotonic() - t0


def run_checks(sources: list[str], report: TickReport) -> None:
    from orchestration import quality

    suites = [s for s in quality.SUITES if s.schema.removeprefix("raw_") in sources]
    t0 = time.monotonic()
    with progress() as bar:
        task = bar.add_task("Great Expectations on raw", total=len(suites))
        for suite in suites:
            result = quality.validate_raw_table(suite)
            if not result.success:
                report.checks_failed.append(
                    f"{suite.schema}.{suite.table}: "
                    + "; ".join(f"{f['expectation']} {f['kwargs']}" for f in result.failed)
                )
                tick = report.ticks.get(suite.schema.removeprefix("raw_"))
                if tick is not None:
                    tick.status, tick.error = "failed", f"check failed on {suite.table}"
            bar.advance(task)
    for tick in report.ticks.values():
        tick.seconds["checks"] = time.monotonic() - t0


def run_transform(
    select: str | None,
    report: TickReport,
    full_refresh: bool = False,
    unit_tests: bool = True,
    tests_since_load: float | None = None,
) -> bool:
    from orchestration import transform

    t0 = time.monotonic()
    with progress() as bar:
        task = bar.add_task("dbt build", total=None)

        def on_start(n: int) -> None:
            bar.update(task, total=n)

        def on_node(node: Any) -> None:
            bar.advance(task)
            current = bar.tasks[task]
            if current.total is not None and current.completed > current.total:
                bar.update(task, total=current.completed)  # unit tests and hooks count too
            if node.status in ("error", "fail"):
                bar.console.print(
                    f"  [red]{node.status}[/] {node.resource_type} {node.name}: "
                    f"{(node.message or '').strip()[:300]}"
                )

        result = transform.run_dbt(
            "build", select, full_refresh, on_node=on_node, on_start=on_start,
            unit_tests=unit_tests, tests_since_load=tests_since_load,
        )  # fmt: skip
    if report.dbt is not None:  # a second build in the same tick (profiles, alerts)
        report.dbt.nodes += result.nodes
        report.dbt.success = report.dbt.success and result.success
        report.dbt.error = report.dbt.error or result.error
    else:
        report.dbt = result
    report.seconds["dbt build"] = report.seconds.get("dbt build", 0.0) + time.monotonic() - t0
    for tick in report.ticks.values():
        tick.seconds["transform"] = report.seconds["dbt build"]
        if not result.success and tick.status == "ok":
            tick.status, tick.error = "failed", "dbt build failed"
    if result.error:
        err.print(f"[red]dbt:[/] {result.error}")
    return result.success


def print_tick_summary(report: TickReport) -> None:
    table = Table(title="Tick summary", show_lines=False)
    table.add_column("source")
    table.add_column("fetched files", justify="right")
    table.add_column("loaded files", justify="right")
    table.add_column("rows loaded", justify="right")
    table.add_column("rejected", justify="right")
    for source in report.loaded:
        rows = report.loaded[source]
        table.add_row(
            source,
            str(report.fetched.get(source, "–")),
            str(report.files.get(source, 0)),
            ", ".join(f"{k} {v:,}" for k, v in sorted(rows.items())) or "0",
            str(report.rejected.get(source, 0)),
        )
    if report.loaded:
        console.print(table)
    if report.dbt is not None:
        counts = report.dbt.counts()
        console.print("dbt: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    if report.user_state is not None:
        us = report.user_state
        console.print(
            f"profiles: {us.rows.get('profiles', 0)} loaded, {us.rows.get('alert_rules', 0)} "
            f"alert rules, {us.rows.get('bank_items', 0)} bank lines, "
            f"{len(us.rejects)} line(s) rejected"
        )
    if report.alerts is not None:
        ev, dl = report.alerts, report.deliveries
        console.print(
            f"alerts: {len(ev.events)} new event(s) from {ev.rules} rule(s) "
            f"({ev.suppressed} held back by cooldowns); deliveries: {dl.sent} sent, "
            f"{dl.pending} pending, {dl.failed} failed"
        )
        if dl.unknown:
            console.print(
                f"[red]{dl.unknown} delivery(ies) now unknown[/] (a run stopped between sending"
                " and recording): see `snapmart alerts status`"
            )
    for failure in report.checks_failed:
        console.print(f"[red]check failed:[/] {failure}")
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    if timing:
        console.print(f"[dim]{timing}[/]")


USER_MODELS = "source:user_state+ source:alerts+"


def run_alerts(report: TickReport, backtest_since: Any = None) -> None:
    """After the markets' build: load the profiles (checked against the fresh catalogue),
    evaluate the alert rules, deliver what is pending, rebuild the user marts."""
    from orchestration import user_state
    from orchestration.alerts import deliver, evaluate

    t0 = time.monotonic()
    try:
        with console.status("Loading profiles…"):
            report.user_state = user_state.load()
    except user_state.UserStateError as exc:
        report.errors.append(str(exc))
        err.print(f"[red]profiles not loaded:[/] {exc}")
        return
    for _pointer, reason in report.user_state.rejects[:20]:
        err.print(f"[yellow]profile line rejected:[/] {reason}")
    with console.status("Evaluating alert rules…"):
        report.alerts = evaluate.evaluate_now(backtest_since=backtest_since)
    with console.status("Delivering alerts…"):
        report.deliveries = deliver.deliver_now()
    report.seconds["profiles + alerts"] = time.monotonic() - t0
    # The main build already rebuilt the user marts from the raw user state; build them
    # again only when that state or the events changed since.
    if report.user_state.fetched or report.alerts.events:
        run_transform(USER_MODELS, report, unit_tests=False)


def run_tick(
    sources: list[str], replay: bool, select: str | None, backtest_since: Any = None
) -> TickReport:
    report = TickReport()
    started = time.time()  # dlt load ids are epochs: this tick's loads are newer
    try:
        run_ingest(sources, replay, report)
        run_checks(sources, report)
        if report.checks_failed:
            console.print("[red]Blocking raw checks failed: the marts were not rebuilt.[/]")
            return report
        # a source's tick skips the unit tests and tests the big facts' new rows only; a
        # refresh of everything runs the unit tests and tests every row
        partial = select is not None
        if not run_transform(
            select, report, unit_tests=not partial, tests_since_load=started if partial else None
        ):
            console.print("[red]The build failed: alert rules were not evaluated.[/]")
            return report
    finally:
        report.record_metrics()
    run_alerts(report, backtest_since)
    return report


def exit_code(report: TickReport) -> int:
    if report.checks_failed:
        return 1
    if report.dbt is not None and not report.dbt.success:
        return 1
    return 0


SourceOpt = Annotated[
    list[str] | None,
    typer.Option("--source", "-s", help="Only this source (repeatable). Default: all."),
]


def resolve_sources(names: list[str] | None) -> list[str]:
    from orchestration import ingest

    try:
        return ingest.resolve_sources(names)
    except ValueError as exc:
        fail(exc, "run `snapmart ingest --help`")
    raise AssertionError("unreachable")


def refresh(
    source: SourceOpt = None,
    replay: Annotated[
        bool, typer.Option(help="Load only landing files not yet loaded; no live fetch.")
    ] = False,
) -> None:
    """One scheduled tick: ingest → raw checks → dbt build (with its tests).

    With ``--source`` the build covers what those sources feed (and those models'
    parents, seeds included), as the source's Dagster job does; without, everything.
    """
    sources = resolve_sources(source)
    start_warehouse()
    select = " ".join(f"@source:{s}" for s in sources) if source else None
    report = run_tick(sources, replay, select)
    print_tick_summary(report)
    code = exit_code(report)
    console.print(
        "[green]Refresh done.[/]" if code == 0 else "[red]Refresh finished with failures.[/]"
    )
    raise typer.Exit(code)


def ingest(
    source: SourceOpt = None,
    replay: Annotated[bool, typer.Option(help="Load landing files only; no live fetch.")] = False,
) -> None:
    """Extract + load only (fetch → landing → raw)."""
    sources = resolve_sources(source)
    start_warehouse()
    report = TickReport()
    try:
        run_ingest(sources, replay, report)
    finally:
        report.record_metrics()
    print_tick_summary(report)


def transform(
    select: Annotated[
        str | None, typer.Option(help="dbt selection, e.g. 'marts.markets+'.")
    ] = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild incremental models.")] = False,
) -> None:
    """dbt build of the selection, with its tests."""
    start_warehouse()
    report = TickReport()
    ok = run_transform(select, report, full_refresh)
    print_tick_summary(report)
    raise typer.Exit(0 if ok else 1)
