"""The `snapmart` command (docs/architecture.md): progress while it works, a plain summary at
the end, and one clear sentence plus what to do when something a user can fix goes wrong."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

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
from rich.table import Table

from orchestration import warehouse
from orchestration.mart_lines import mart_lines

app = typer.Typer(
    help="snapmart: market and progression snapshots → trend and opportunity marts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The embedded PostgreSQL (or the one SNAPMART_DATABASE_URL names).")
sim_app = typer.Typer(help="The deterministic market simulator.")
app.add_typer(db_app, name="db")
app.add_typer(sim_app, name="simulate")

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
    err.print(f"[bold red]error:[/] {exc}")
    if hint:
        err.print(f"[dim]→ {hint}[/]")
    raise typer.Exit(2)


def progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _warehouse() -> warehouse.ConnectionInfo:
    try:
        with console.status(
            "Starting the warehouse…" if warehouse.is_embedded() else "Connecting…"
        ):
            return warehouse.ensure_warehouse()
    except warehouse.WarehouseError as exc:
        fail(exc, "check SNAPMART_DATABASE_URL, or unset it to use the embedded server")
    except Exception as exc:  # psycopg connection errors
        fail(
            RuntimeError(f"cannot reach PostgreSQL: {str(exc).strip().splitlines()[0]}"),
            "check SNAPMART_DATABASE_URL (host, port, user, password)",
        )
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- pipeline steps


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


def _tick(
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


def _exit_code(report: TickReport) -> int:
    if report.checks_failed:
        return 1
    if report.dbt is not None and not report.dbt.success:
        return 1
    return 0


SourceOpt = Annotated[
    list[str] | None,
    typer.Option("--source", "-s", help="Only this source (repeatable). Default: all."),
]


def _sources(names: list[str] | None) -> list[str]:
    from orchestration import ingest

    try:
        return ingest.resolve_sources(names)
    except ValueError as exc:
        fail(exc, "run `snapmart ingest --help`")
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- commands


@app.command()
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
    sources = _sources(source)
    _warehouse()
    select = " ".join(f"@source:{s}" for s in sources) if source else None
    report = _tick(sources, replay, select)
    print_tick_summary(report)
    code = _exit_code(report)
    console.print(
        "[green]Refresh done.[/]" if code == 0 else "[red]Refresh finished with failures.[/]"
    )
    raise typer.Exit(code)


@app.command()
def ingest(
    source: SourceOpt = None,
    replay: Annotated[bool, typer.Option(help="Load landing files only; no live fetch.")] = False,
) -> None:
    """Extract + load only (fetch → landing → raw)."""
    sources = _sources(source)
    _warehouse()
    report = TickReport()
    try:
        run_ingest(sources, replay, report)
    finally:
        report.record_metrics()
    print_tick_summary(report)


@app.command()
def transform(
    select: Annotated[
        str | None, typer.Option(help="dbt selection, e.g. 'marts.markets+'.")
    ] = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild incremental models.")] = False,
) -> None:
    """dbt build of the selection, with its tests."""
    _warehouse()
    report = TickReport()
    ok = run_transform(select, report, full_refresh)
    print_tick_summary(report)
    raise typer.Exit(0 if ok else 1)


@app.command()
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

    info = _warehouse()
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


@app.command()
def demo(
    days: Annotated[float, typer.Option(help="Days of simulated history.")] = 7,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 42,
    items: Annotated[int, typer.Option(help="Simulated GE items.")] = 300,
) -> None:
    """Simulated history for every source → load → checks → build → what it built."""
    from ingestion.landing import landing_root
    from ingestion.simulator.writer import (
        write_dofus_market,
        write_exchanges,
        write_osrs_hiscores,
        write_osrs_prices,
        write_vividseats,
        write_wow_auctions,
    )

    info = _warehouse()
    where = "embedded PostgreSQL" if warehouse.is_embedded() else info.redacted()
    console.print(f"[bold]snapmart demo[/]: {days:g} simulated days, seed {seed}, on {where}")
    with progress() as bar:
        task = bar.add_task("Simulating osrs_prices", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        # the demo walks the paths real data walks: a few quirky files (docs/fidelity.md)
        write_osrs_prices(days, seed=seed, n_items=items, progress=advance, quirks=True)
        wow = bar.add_task("Simulating wow_auctions", total=None)
        write_wow_auctions(
            days, seed=seed, progress=lambda d, t: bar.update(wow, completed=d, total=t)
        )
        dofus = bar.add_task("Simulating dofus_market", total=None)
        write_dofus_market(
            days,
            seed=seed,
            progress=lambda d, t: bar.update(dofus, completed=d, total=t),
            quirks=True,
        )
        players = bar.add_task("Simulating osrs_hiscores", total=None)
        write_osrs_hiscores(
            days, seed=seed, progress=lambda d, t: bar.update(players, completed=d, total=t)
        )
        exchanges = bar.add_task("Fetching binance + yahoo_finance (simulated)", total=None)
        write_exchanges(
            seed=seed,
            progress=lambda d, t: bar.update(exchanges, completed=d, total=t),
            quirks=True,
        )
        tickets = bar.add_task("Fetching vividseats every 15 min (simulated)", total=None)
        write_vividseats(
            min(days, 3),
            seed=seed,
            progress=lambda d, t: bar.update(tickets, completed=d, total=t),
            quirks=True,
        )
    console.print(f"[dim]landing zone: {landing_root()}[/]")
    from datetime import timedelta

    from ingestion import clock
    from ingestion.sources import SOURCES

    since = clock.now() - timedelta(days=days)
    report = _tick(list(SOURCES), replay=True, select=None, backtest_since=since)
    print_tick_summary(report)
    if _exit_code(report) == 0:
        print_demo_marts(info)
        from orchestration.cli_alerts import print_bank_crafts, print_week_alerts

        print_week_alerts(info, since)
        print_bank_crafts(info, "demo")
    raise typer.Exit(_exit_code(report))


def print_demo_marts(info: warehouse.ConnectionInfo) -> None:
    with warehouse.connect(info) as conn:
        flips = conn.execute(
            """
            select item_name, buy_price, sell_price, tax, margin, roi_pct, buy_limit,
                   max_profit, volume_24h
            from marts.mart_flips
            where volume_24h > 0 and margin > 0 and buy_limit is not null
            order by max_profit desc
            limit 10
            """
        ).fetchall()
        movers = conn.execute(
            """
            select item_name, market_name, price, change_1d_pct, change_7d_pct, trend_state
            from (
                select i.item_name, m.market_name, t.price, t.change_1d_pct, t.change_7d_pct,
                       t.trend_state,
                       row_number() over (
                           partition by t.market_id order by abs(t.change_1d_pct) desc
                       ) as rank_in_market
                from marts.mart_item_trends as t
                join marts.dim_items as i using (item_id)
                join marts.dim_markets as m using (market_id)
                where t.change_1d_pct is not null
            ) as ranked
            where rank_in_market <= 2
            order by market_name, abs(change_1d_pct) desc
            """
        ).fetchall()
        markets = conn.execute(
            """
            select m.market_name, m.source, m.currency, count(*) as items,
                   round(avg(t.volatility_30d), 2) as avg_volatility,
                   count(*) filter (where t.trend_state in ('spiking', 'increasing')) as rising,
                   count(*) filter (where t.trend_state in ('crashing', 'decreasing')) as falling,
                   max(t.as_of) as as_of
            from marts.mart_item_trends as t
            join marts.dim_markets as m using (market_id)
            group by m.market_name, m.source, m.currency
            order by m.source, m.market_name
            """
        ).fetchall()
        counts = conn.execute(
            """
            select (select count(*) from marts.fct_price_observations),
                   (select count(*) from marts.fct_prices_hourly),
                   (select count(*) from marts.fct_prices_daily),
                   (select count(*) from marts.dim_items)
            """
        ).fetchone()
    mk = Table(title="Markets (mart_item_trends by dim_markets)")
    for col in (
        "market",
        "source",
        "currency",
        "items",
        "avg vol 30d %",
        "rising",
        "falling",
        "as of",
    ):
        mk.add_column(col, justify="left" if col in ("market", "source", "currency") else "right")
    for r in markets:
        mk.add_row(
            r[0],
            r[1],
            r[2],
            f"{r[3]:,}",
            f"{r[4]}" if r[4] is not None else "–",
            str(r[5]),
            str(r[6]),
            f"{r[7]:%Y-%m-%d %H:%M}",
        )
    console.print(mk)
    t = Table(title="Top flips (OSRS GE, after tax, by profit per buy-limit window)")
    for col in ("item", "buy", "sell", "tax", "margin", "roi %", "limit", "max profit", "vol 24h"):
        t.add_column(col, justify="left" if col == "item" else "right")
    for r in flips:
        t.add_row(r[0], *(f"{v:,}" if v is not None else "–" for v in r[1:]))
    console.print(t)
    m = Table(title="Top movers (24h), two per market")
    for col in ("item", "market", "price", "1d %", "7d %", "trend"):
        m.add_column(col, justify="left" if col in ("item", "market", "trend") else "right")
    for r in movers:
        m.add_row(
            r[0],
            r[1],
            f"{r[2]:,.1f}",
            f"{r[3]:+.2f}",
            f"{r[4]:+.2f}" if r[4] is not None else "–",
            r[5] or "–",
        )
    console.print(m)
    print_top_gainers(info)
    print_best_deals(info)
    with warehouse.connect(info) as conn:
        lines = mart_lines(conn)
    ml = Table(title="Every mart (schema marts)")
    ml.add_column("mart")
    ml.add_column("rows", justify="right")
    ml.add_column("first look")
    for line in lines:
        ml.add_row(line.mart, f"{line.rows:,}", line.headline or "–")
    console.print(ml)
    console.print(
        f"Built {counts[0]:,} price observations, {counts[1]:,} hourly and {counts[2]:,} daily "
        f"candles for {counts[3]:,} items.\n"
        "Look further: [bold]snapmart ui[/] (Dagster, http://127.0.0.1:3000), "
        "[bold]snapmart db psql[/], or [bold]snapmart db url[/] for a BI tool (schema marts)."
    )


def print_best_deals(info: warehouse.ConnectionInfo, limit: int = 10) -> None:
    """The best ticket deals now (mart_ticket_deals), and each tracked event's state."""
    with warehouse.connect(info) as conn:
        deals = conn.execute(
            """
            select event_name, event_date, section, seat_row, quantity, all_in_price,
                   section_median_price, discount_pct
            from marts.mart_ticket_deals
            order by discount_pct desc, all_in_price
            limit %s
            """,
            (limit,),
        ).fetchall()
        events = conn.execute(
            """
            select event_name, event_date, last_fetch_status, listings, tickets, get_in_price
            from marts.dim_events
            order by event_date nulls last, production_id
            """
        ).fetchall()
    t = Table(title="Best ticket deals now (Vivid Seats, ≥ 20 % under the section median)")
    for col in ("event", "date", "section", "row", "tickets", "all-in $", "median $", "off %"):
        t.add_column(col, justify="left" if col in ("event", "section", "row") else "right")
    for r in deals:
        t.add_row(
            r[0], f"{r[1]}", r[2], r[3] or "–", str(r[4]), f"{r[5]:,.2f}", f"{r[6]:,.2f}",
            f"{r[7]:.1f}",
        )  # fmt: skip
    console.print(t)
    e = Table(title="Tracked events (dim_events)")
    for col in ("event", "date", "last fetch", "listings", "tickets", "get-in $"):
        e.add_column(col, justify="left" if col in ("event", "last fetch") else "right")
    for r in events:
        e.add_row(
            r[0] or "–",
            f"{r[1]}" if r[1] else "–",
            r[2] or "–",
            f"{r[3]:,}" if r[3] is not None else "–",
            f"{r[4]:,}" if r[4] is not None else "–",
            f"{r[5]:,.2f}" if r[5] is not None else "–",
        )
    console.print(e)


def print_top_gainers(info: warehouse.ConnectionInfo, limit: int = 8) -> None:
    """The week's top gainers (Overall xp), with their best skill and their group."""
    with warehouse.connect(info) as conn:
        rows = conn.execute(
            """
            with overall as (
                select g.player_id, g.username, g.gained, g.level_change, g.end_value,
                       g.rank_change
                from marts.mart_player_gains as g
                where g.period = 'week' and g.metric = 'Overall'
            ),
            best_skill as (
                select distinct on (player_id) player_id, metric, gained
                from marts.mart_player_gains
                where period = 'week' and metric_kind = 'skill' and metric <> 'Overall'
                order by player_id, gained desc
            )
            select o.username, array_to_string(p.group_names, ', '), o.gained, o.level_change,
                   o.end_value, o.rank_change, b.metric, b.gained, p.last_fetch_status
            from overall as o
            join marts.dim_players as p using (player_id)
            left join best_skill as b using (player_id)
            order by o.gained desc, o.username
            limit %s
            """,
            (limit,),
        ).fetchall()
        missing = conn.execute(
            "select string_agg(username || ' (' || last_fetch_status || ')', ', ')"
            " from marts.dim_players where last_fetch_status in ('not_found', 'failed')"
        ).fetchone()[0]
    t = Table(title="Top gainers this week (OSRS hiscores, Overall xp, mart_player_gains)")
    for col in (
        "player",
        "groups",
        "xp gained",
        "levels",
        "overall xp",
        "rank Δ (− = up)",
        "best skill",
    ):
        t.add_column(col, justify="left" if col in ("player", "groups", "best skill") else "right")
    for r in rows:
        best = f"{r[6]} +{r[7]:,}" if r[6] and r[7] else "–"
        t.add_row(
            r[0],
            r[1] or "–",
            f"{r[2]:,}",
            f"{int(r[3]):+d}" if r[3] is not None else "–",
            f"{r[4]:,}",
            f"{int(r[5]):+,}" if r[5] is not None else "–",
            best,
        )
    console.print(t)
    if missing:
        console.print(f"[dim]not on the hiscores at the last tick: {missing}[/]")


# --------------------------------------------------------------------------- db


@db_app.command("start")
def db_start() -> None:
    """Start the embedded server (if needed), create the database and the three roles."""
    info = _warehouse()
    console.print(
        f"PostgreSQL ready at {info.redacted()}; roles snapmart_loader, "
        "snapmart_transformer, snapmart_analyst in place."
    )


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded server."""
    if not warehouse.is_embedded():
        fail(UserError("SNAPMART_DATABASE_URL is set: that server is not ours to stop."))
    stopped = warehouse.stop_embedded()
    console.print(
        "Embedded PostgreSQL stopped." if stopped else "Embedded PostgreSQL was not running."
    )


@db_app.command("status")
def db_status() -> None:
    """Is it running, where, and how big."""
    if not warehouse.is_embedded():
        info = warehouse.connection_info(start=False)
        console.print(f"external server: {info.redacted()}")
        return
    status = warehouse.embedded_status()
    for key, value in status.items():
        console.print(f"{key}: {value}")
    if status["running"]:
        info = warehouse.connection_info(start=False)
        with warehouse.connect(info) as conn:
            size = conn.execute(
                "select pg_size_pretty(pg_database_size(current_database()))"
            ).fetchone()
        console.print(f"database size: {size[0]}")
    else:
        raise typer.Exit(3)


@db_app.command("url")
def db_url() -> None:
    """Print the analyst connection string (read-only, schema marts)."""
    info = _warehouse()
    print(warehouse.analyst_url(info))


@db_app.command("psql", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def db_psql(ctx: typer.Context) -> None:
    """Open psql on the warehouse as its owner (extra arguments go to psql)."""
    info = _warehouse()
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


# --------------------------------------------------------------------------- ui


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="Web UI port.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Dagster webserver + daemon on the workspace (schedules and sensors live)."""
    from orchestration import dagster_home

    _warehouse()
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


# --------------------------------------------------------------------------- simulator


@sim_app.command("write")
def simulate_write(
    days: Annotated[float, typer.Option(help="Days of history to write.")] = 7,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 42,
    items: Annotated[int, typer.Option(help="Simulated GE items.")] = 300,
    source: SourceOpt = None,
    landing: Annotated[
        Path | None, typer.Option(help="Landing dir (default SNAPMART_LANDING_DIR).")
    ] = None,
) -> None:
    """Write simulated landing files, as fetch would have (every source by default)."""
    from ingestion.landing import landing_root
    from ingestion.simulator import writer

    writers = {
        "osrs_prices": lambda **kw: writer.write_osrs_prices(days, n_items=items, **kw),
        "wow_auctions": lambda **kw: writer.write_wow_auctions(days, **kw),
        "dofus_market": lambda **kw: writer.write_dofus_market(days, **kw),
        "osrs_hiscores": lambda **kw: writer.write_osrs_hiscores(days, **kw),
        # one tick of both exchange sources fetches their whole history
        "binance": lambda **kw: writer.write_exchanges(**kw),
        "vividseats": lambda **kw: writer.write_vividseats(days, **kw),
    }
    chosen = _sources(source)
    if "binance" in chosen and "yahoo_finance" in chosen:
        chosen.remove("yahoo_finance")
    for name in chosen:
        if name not in writers:  # yahoo_finance alone: the exchanges writer does both
            name = "binance"
        with progress() as bar:
            task = bar.add_task(name, total=None)
            rep = writers[name](
                seed=seed,
                root=landing,
                progress=lambda d, t, task=task: bar.update(task, completed=d, total=t),
            )
        span = f" ({rep.start:%F %H:%M} → {rep.end:%F %H:%M} UTC)" if rep.start else ""
        console.print(f"{name}: wrote {rep.files:,} files{span} under {landing or landing_root()}.")


@sim_app.command("serve")
def simulate_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = any free port).")] = 8787,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 42,
    items: Annotated[int, typer.Option(help="Simulated GE items.")] = 300,
) -> None:
    """Serve the simulated APIs on loopback until Ctrl-C."""
    from ingestion.simulator.server import SimulatorServer

    server = SimulatorServer(port=port, seed=seed, n_items=items)
    console.print(
        f"Simulator on {server.url}\n"
        f"  export SOURCES__OSRS_PRICES__BASE_URL={server.osrs_base_url}\n"
        f"  export SOURCES__OSRS_HISCORES__BASE_URL={server.url}\n"
        f"  export SOURCES__VIVIDSEATS__BASE_URL={server.url}"
    )
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        server.httpd.server_close()


def _figure(value: float, unit: str) -> str:
    """Three significant figures for small values (0.42 ms), thousands separators for
    large ones (412,000 rows/s)."""
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}"


@app.command()
def bench(
    scale: Annotated[
        str,
        typer.Option(help="tiny (for tests), small (≈ 1M observations) or full (10M, make bench)."),
    ] = "small",
    out: Annotated[
        Path | None, typer.Option(help="Directory for the JSON (default bench/results).")
    ] = None,
    keep: Annotated[bool, typer.Option(help="Keep the bench database afterwards.")] = False,
    suite: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these suites (ingest, exchanges, tickets, prices, faults); default all."
        ),
    ] = None,
) -> None:
    """Measured performance against same-run baselines (bench/README.md) → bench/results/*.json."""
    from orchestration import bench as bench_mod

    if scale not in bench_mod.SCALES:
        fail(UserError(f"unknown scale {scale!r}; choose one of {', '.join(bench_mod.SCALES)}"))
    unknown = sorted(set(suite or []) - set(bench_mod.SUITES))
    if unknown:
        fail(UserError(f"unknown suite {unknown[0]!r}; choose from {', '.join(bench_mod.SUITES)}"))
    _warehouse()
    result, path = bench_mod.run(
        scale, out, keep, log=lambda m: console.print(f"[dim]{m}[/]"), suites=suite
    )
    table = Table(title=f"snapmart bench ({scale})")
    for col in ("suite", "measure", "value", "baseline", "baseline value", "ratio"):
        table.add_column(col, justify="right" if "value" in col or col == "ratio" else "left")
    for m in result.measures:
        table.add_row(
            m.suite,
            m.name,
            _figure(m.value, m.unit),
            m.baseline or "–",
            _figure(m.baseline_value, m.unit) if m.baseline_value else "–",
            f"{m.ratio:.3g}" if m.ratio is not None else "–",
        )
    console.print(table)
    faults = [m for m in result.measures if m.suite == "faults" and m.detail]
    if faults:
        failed = _print_fault_table(faults)
    console.print(f"Results: {path}")
    if faults and failed:
        fail(UserError(f"the fault suite found {failed} problem(s): see the table and {path}"))


def _print_fault_table(measures: list[Any]) -> int:
    """The fault suite's table; returns how many of its counts are not what they must be
    (crashes, files off their expected outcome, bad values in marts, a failed build)."""
    table = Table(title="fault suite: one fault per file, beside good records")
    columns = [k for k in measures[0].detail if k not in ("problems", "build_ok", "build_failures")]
    for col in columns:
        table.add_column(col, justify="left" if col == "source" else "right")
    failed = 0
    for m in measures:
        d = m.detail
        table.add_row(*(str(d[c]) for c in columns))
        failed += d["crashes"] + d["files off their expected outcome"] + d["bad values in marts"]
        failed += 0 if d.get("build_ok", True) else 1
        for problem in d.get("problems", [])[:3]:
            console.print(f"  [red]{d['source']}[/]: {problem}")
    console.print(table)
    return failed


from orchestration.cli_alerts import alerts_app, profiles_app  # noqa: E402 (uses the above)

app.add_typer(alerts_app, name="alerts")
app.add_typer(profiles_app, name="profiles")

from orchestration.cli_backfill import backfill  # noqa: E402

app.command()(backfill)


def main() -> None:
    try:
        app()
    except warehouse.WarehouseError as exc:
        fail(exc)


if __name__ == "__main__":
    main()
