"""A tick as `snapmart refresh`, `ingest` and `transform` run it: the Dagster job the
schedule runs (or a selection of its assets, with their checks), executed in this process
on the instance `snapmart ui` shows (orchestration/runs.py), so a tick started here is
recorded there like any other; progress while it works and a plain summary at the end,
both read from the run's event log (orchestration/cli/follow.py).

One definition of a tick: fetch → landing → raw (``<source>_raw``), the blocking raw
checks, dbt build with its data tests and the volume checks, then (with the profiles,
their own source, loaded) the rules resolved by dbt, alerts evaluated and delivered, and
the user marts, as orchestration/defs/ wires them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.markup import escape

from orchestration.cli.follow import DBT_OPS, RunView, print_summary
from orchestration.cli.output import console, err, fail, progress, start_warehouse

SourceOpt = Annotated[
    list[str] | None,
    typer.Option("--source", "-s", help="Only this source (repeatable). Default: all."),
]


def resolve_sources(names: list[str] | None) -> list[str]:
    """The registered sources named by ``--source`` (all when none); an unknown name
    ends the command with one clear sentence (exit 2), and so does a missing config file
    of theirs (a UserMistake), before anything runs."""
    from ingestion.sources import check_config_files
    from orchestration import ingest

    try:
        chosen = ingest.resolve_sources(names)
    except ValueError as exc:
        fail(exc, "run `snapmart ingest --help`")
    check_config_files(chosen)
    return chosen


@dataclass
class Plan:
    """What a command runs: a job (None: a part of ``refresh_all``, as the UI's "Materialize" picks)
    over a selection of asset keys (None: the whole job), with the checks of those assets
    or exactly ``checks``."""

    job: str | None
    selection: set[Any] | None = None
    checks: set[Any] | None = None


def tick_plan(sources: list[str], every: bool) -> Plan:
    """`snapmart refresh`: ``refresh_all``, or with ``--source`` what those sources feed,
    as their own job (``<source>_tick``) does, under that job when one covers it."""
    from dagster import AssetSelection

    from orchestration.definitions import defs

    if every:
        return Plan("refresh_all")
    graph = defs.resolve_asset_graph()
    wanted = AssetSelection.groups(*sources).downstream().resolve(graph)
    candidates = []
    for job in defs.resolve_all_job_defs():
        if job.name.endswith("_tick") and job.asset_layer is not None:
            keys = set(job.asset_layer.selected_asset_keys)
            if wanted <= keys:
                candidates.append((len(keys), job.name, keys))
    if candidates:
        _, name, keys = min(candidates)
        return Plan(name, None if keys == wanted else set(wanted))
    return Plan("refresh_all", set(wanted))


def raw_ops(sources: Iterable[str]) -> dict[str, set[Any]]:
    """Each source's dlt op (``<source>_raw``) and the raw tables it loads."""
    from orchestration.defs.raw import RAW_ASSETS

    wanted = {f"{s}_raw" for s in sources}
    return {a.op.name: set(a.keys) for a in RAW_ASSETS if a.op.name in wanted}


def op_config(plan: Plan, config: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Run config giving each node of the run whose op is named in ``config`` that
    config (an op can run as several nodes: dbt around the price fact and the alerts)."""
    from orchestration import runs

    nodes = runs.job_nodes(plan.job, plan.selection, plan.checks)
    ops = {node: {"config": dict(config[op])} for node, op in nodes.items() if op in config}
    return {"ops": ops} if ops else {}


def partition_for(plan: Plan) -> str | None:
    """Today's partition when the run reaches a day-partitioned asset (the schedule's
    live tick; docs/architecture.md#dagster), else none."""
    from orchestration.definitions import defs
    from orchestration.defs.partitions import today_key

    graph = defs.resolve_asset_graph()
    if plan.selection is None:
        job = defs.resolve_job_def(plan.job) if plan.job else None
        if job is None or job.partitions_def is None:
            return None
        return today_key()
    if any(graph.get(key).partitions_def is not None for key in plan.selection):
        return today_key()
    return None


def totals(plan: Plan) -> tuple[int, int]:
    """(dbt models and tests, other checks) the run will report: the bars' lengths."""
    from orchestration.definitions import defs
    from orchestration.defs import transform

    graph = defs.resolve_asset_graph()
    if plan.selection is not None:
        keys = set(plan.selection)
    elif plan.job:
        keys = set(defs.resolve_job_def(plan.job).asset_layer.selected_asset_keys)
    else:
        keys = set(graph.get_all_asset_keys())
    dbt_keys = {k for k in keys if graph.get(k).assets_def.op.name in DBT_OPS}
    checks = (
        plan.checks
        if plan.checks is not None
        else {c for c in graph.asset_check_keys if c.asset_key in keys}
    )
    dbt_defs = (transform.dbt_price_facts, transform.dbt_incremental_facts, transform.dbt_models)
    dbt_checks = set(checks) & set().union(*(a.check_keys for a in dbt_defs))
    return len(dbt_keys) + len(dbt_checks), len(checks) - len(dbt_checks)


def run_tick(
    plan: Plan, wh: Any, config: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[Any, RunView]:
    """Execute the plan on the instance and the warehouse ``wh``, showing its progress;
    its outcome and view."""
    from orchestration import runs
    from orchestration.defs.raw_events import TRIGGER_TAG

    dbt_total, check_total = totals(plan)
    with progress() as bar:
        view = RunView(bar, dbt_total=dbt_total, check_total=check_total)
        outcome = runs.execute(
            plan.job,
            wh,
            selection=plan.selection,
            checks=plan.checks,
            run_config=op_config(plan, config or {}),
            tags={TRIGGER_TAG: "cli"},
            partition_key=partition_for(plan),
            on_record=view,
        )
        view.done(outcome.success)
    return outcome, view


def conclude(outcome: Any, view: RunView) -> int:
    """The summary, what went wrong, and the exit code (README.md#exit-codes): each failed
    fetch as one line on stderr (``fetch failed: <source>: <METHOD> <url> answered HTTP
    <status> after retries``), each failed step likewise, each lock another run held past
    the wait as the one sentence naming the holder, and the sources whose load brought no
    new rows. The code is the most severe of what happened (a busy lock does not hide a
    failed step)."""
    from orchestration.runtime.locks import busy_sentence_in

    busy = list(dict.fromkeys(s for f in view.failures if (s := busy_sentence_in(f))))
    others = [f for f in view.failures if not busy_sentence_in(f)]
    print_summary(view)
    if view.blocked:
        console.print("[red]Blocking checks failed: the marts were not rebuilt.[/]")
    elif view.dbt_failed:
        console.print("[red]The build failed: alert rules were not evaluated.[/]")
    if view.no_new_rows:
        console.print(f"[yellow]no new rows:[/] {', '.join(view.no_new_rows)}")
    for error in view.fetch_failed.values():
        err.print(f"[red]fetch failed:[/] {escape(error)}", soft_wrap=True, highlight=False)
    if not outcome.success:
        for failure in others:
            err.print(f"[red]failed:[/] {failure}")
        if not view.failures:  # the run failed before or around its steps: say why
            err.print(f"[red]failed:[/] run: {escape(view.run_failure or 'no reason recorded')}")
    for sentence in busy:
        err.print(f"[red]{escape(sentence)}[/]", soft_wrap=True)  # one line, whatever the width
    code = view.exit_code(outcome.success)
    if code and not (busy and not others and not view.fetch_failed):
        # a run only busy is the one sentence naming the holder; anything else, where to look
        err.print(f"[dim]→ the run is {outcome.run_id} in `snapmart ui`[/]")
    return int(code)


def refresh_plan(sources: list[str], every: bool, replay: bool) -> tuple[Plan, dict[str, Any]]:
    """`snapmart refresh`'s plan (see ``tick_plan``) and its op config: each of the
    sources' raw ops told whether to fetch (``replay`` False) or only load the landing
    files not loaded yet."""
    plan = tick_plan(sources, every)
    config = {op: {"replay": replay} for op in raw_ops(sources)}
    return plan, config


def refresh(
    source: SourceOpt = None,
    replay: Annotated[
        bool, typer.Option(help="Load only landing files not yet loaded; no live fetch.")
    ] = False,
) -> None:
    """One scheduled tick: ingest → raw checks → dbt build (with its tests) → alerts.

    Runs the Dagster job the schedule runs (`refresh_all`; with ``--source``, what those
    sources feed, as the source's job does), in this process, recorded in `snapmart ui`.
    """
    sources = resolve_sources(source)
    wh = start_warehouse()
    plan, config = refresh_plan(sources, every=not source, replay=replay)
    code = conclude(*run_tick(plan, wh, config))
    console.print(
        "[green]Refresh done.[/]" if code == 0 else "[red]Refresh finished with failures.[/]"
    )
    raise typer.Exit(code)


def ingest(
    source: SourceOpt = None,
    replay: Annotated[bool, typer.Option(help="Load landing files only; no live fetch.")] = False,
) -> None:
    """Extract + load only (fetch → landing → raw): the sources' raw assets, with only their
    ``fetch_ok`` and ``new_rows`` checks (no data-quality suite)."""
    from orchestration.defs.raw import check_specs

    sources = resolve_sources(source)
    wh = start_warehouse()
    ops = raw_ops(sources)
    checks = {spec.key for s in sources for spec in check_specs(s)}
    plan = Plan(None, set().union(*ops.values()), checks=checks)
    raise typer.Exit(conclude(*run_tick(plan, wh, {op: {"replay": replay} for op in ops})))


def transform(
    select: Annotated[
        str | None, typer.Option(help="dbt selection, e.g. 'marts.markets+'.")
    ] = None,
    full_refresh: Annotated[bool, typer.Option(help="Rebuild incremental models.")] = False,
) -> None:
    """dbt build of the selection, with its tests (unit tests too): the dbt assets."""
    from dagster_dbt import build_dbt_asset_selection

    from orchestration.definitions import defs
    from orchestration.defs import transform as dbt_defs

    wh = start_warehouse()
    assets = [dbt_defs.dbt_price_facts, dbt_defs.dbt_incremental_facts, dbt_defs.dbt_models]
    keys: set[Any] = set()
    for asset in assets:
        chosen = build_dbt_asset_selection([asset], dbt_select=select or "fqn:*")
        keys |= chosen.resolve(defs.resolve_asset_graph())
    if not keys:
        fail(ValueError(f"the dbt selection {select!r} selects no model"), "see `dbt ls`")
    config = {op: {"full_refresh": full_refresh, "unit_tests": True} for op in DBT_OPS}
    raise typer.Exit(conclude(*run_tick(Plan(None, keys), wh, config)))
