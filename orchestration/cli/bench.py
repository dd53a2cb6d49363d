"""`snapmart bench`: runs the suites of orchestration/bench/ and prints their figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from orchestration.cli.output import UserError, console, fail, start_warehouse


def _figure(value: float, unit: str) -> str:
    """Three significant figures for small values (0.42 ms), thousands separators for
    large ones (412,000 rows/s)."""
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}"


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
            help="Only these suites (ingest, exchanges, tickets, prices, api, faults); default all."
        ),
    ] = None,
) -> None:
    """Measured performance against same-run baselines (orchestration/bench/README.md) \
→ bench/results/*.json."""
    from orchestration import bench as bench_mod

    if scale not in bench_mod.SCALES:
        fail(UserError(f"unknown scale {scale!r}; choose one of {', '.join(bench_mod.SCALES)}"))
    unknown = sorted(set(suite or []) - set(bench_mod.SUITES))
    if unknown:
        fail(UserError(f"unknown suite {unknown[0]!r}; choose from {', '.join(bench_mod.SUITES)}"))
    start_warehouse()
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
    failed = _print_fault_table(faults) if faults else 0
    failed += _print_ops_table([m for m in result.measures if m.suite == "ops"])
    # a secret found in a file or table, or an analyst probe let through, is a failure, not
    # a figure to admire
    failed += sum(int(m.value) for m in result.measures if m.name == "secrets_found")
    figure = {m.name: int(m.value) for m in result.measures if m.suite == "ops"}
    if "analyst_probes" in figure:
        failed += (
            figure["analyst_probes"]
            - figure["analyst_probes_denied"]
            - figure["analyst_probes_visible_by_design"]
            + figure["analyst_marts_unreadable"]
        )
    console.print(f"Results: {path}")
    if failed:
        fail(UserError(f"the fault suite found {failed} problem(s): see the table and {path}"))


def _print_ops_table(measures: list[Any]) -> int:
    """The operational figures (kills survived, concurrent runs, …) as a small table, and
    the problems their modules reported; returns how many problems."""
    if not measures:
        return 0
    table = Table(title="operational faults")
    for col in ("module", "figure", "value"):
        table.add_column(col, justify="right" if col == "value" else "left")
    problems: dict[str, list[str]] = {}
    for m in measures:
        table.add_row(m.detail["module"], m.name.replace("_", " "), f"{m.value:,.0f}")
        problems[m.detail["module"]] = m.detail.get("problems", [])
    console.print(table)
    for module, found in problems.items():
        for problem in found[:5]:
            console.print(f"  [red]{module}[/]: {problem}")
    return sum(len(found) for found in problems.values())


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
