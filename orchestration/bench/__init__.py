"""`snapmart bench`: measured performance, each figure against a baseline from the same run.

Runs in a database of its own (``snapmart_bench_<stamp>`` on the same server, dropped
afterwards unless ``keep``), with its own landing zone and dlt working directory, so
it never touches the demo's data. Results go to ``bench/results/<stamp>.json`` and a
table on stdout (orchestration/bench/README.md; issue 9 adds the build, tick, query and
storage suites).

The suites: ``suites`` (ingest, exchanges, tickets), ``prices``, ``api`` (the HTTP API on
the prices suite's warehouse) and ``faults``; ``measure`` holds what they share. This
module holds the scales and runs the suites asked for.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from orchestration import warehouse
from orchestration.bench.measure import BenchRun, Measure, bench_environment, machine_info
from orchestration.bench.suites import (
    INGEST_CASES,
    bench_exchanges,
    bench_ingest_case,
    bench_tickets,
)

SCALES: dict[str, dict[str, int]] = {
    # listings in the timed WoW commodity snapshot; exchange assets × years of daily
    # history; ticket events × days of 15-minute snapshots × listings per snapshot. Full
    # keeps exchanges (300 assets, ≈ 5 min) and tickets (10 events × 7 days, 6.3M listing
    # rows, ≈ 5 min) at sizes that leave `make bench` inside 45 minutes; the tickets suite
    # projects its per-row costs onto issue 6's 100 events × 4 months.
    "tiny": {
        "osrs_items": 300, "osrs_hours": 2, "ingest_ticks": 1, "ingest_events": 3,
        "price_items": 5, "price_days": 4, "tick_items": 400, "player_days": 10,
        "wow_listings": 5_000, "assets": 12, "years": 2,
        "events": 3, "event_days": 1, "event_listings": 200,
        "api_runs": 10, "api_rounds": 2, "api_assets": 6, "api_asset_days": 30,
    },
    "small": {
        "osrs_items": 4_000, "osrs_hours": 6, "ingest_ticks": 2, "ingest_events": 10,
        "price_items": 30, "price_days": 120, "tick_items": 5_000, "player_days": 60,
        "wow_listings": 300_000, "assets": 100, "years": 10,
        "events": 10, "event_days": 7, "event_listings": 1_000,
        "api_runs": 200, "api_rounds": 10, "api_assets": 20, "api_asset_days": 90,
    },
    "full": {
        "osrs_items": 4_000, "osrs_hours": 24, "ingest_ticks": 5, "ingest_events": 100,
        "price_items": 90, "price_days": 365, "tick_items": 30_000, "player_days": 120,
        "wow_listings": 300_000, "assets": 300, "years": 10,
        "events": 10, "event_days": 7, "event_listings": 1_000,
        "api_runs": 200, "api_rounds": 10, "api_assets": 20, "api_asset_days": 90,
    },
}  # fmt: skip
SUITES = ("ingest", "exchanges", "tickets", "prices", "api", "faults")
FAULT_FILES = {"tiny": 120, "small": 600, "full": 2_100}  # landing files the faults suite tries
# The operational figures `--suite faults` adds (issue 21): one module per line, each with
# ``figures(scale, log)`` returning {figure: number, …, "problems": [sentences]}, each run
# in databases of its own.
OPS_MODULES = [
    "orchestration.bench.ops_locks",
    "orchestration.bench.ops_secrets",
    "orchestration.bench.ops_gaps",
]
RESULTS_DIR = warehouse.PROJECT_ROOT / "bench" / "results"


def ops_measures(module: str, scale: str, log: Callable[[str], None]) -> list[Measure]:
    """One measure (suite ``ops``) per figure of an OPS_MODULES module at ``scale``, its
    problems in each measure's detail."""
    return figure_measures(module, importlib.import_module(module).figures(scale, log))


def figure_measures(module: str, figures: dict) -> list[Measure]:
    """One measure (suite ``ops``) per figure of ``figures`` ({figure: number, …,
    "problems": [sentences]}) of ``module``, its problems in each measure's detail."""
    figures = dict(figures)
    problems = list(figures.pop("problems", []))
    name = module.rsplit(".", 1)[-1]
    return [
        Measure("ops", figure, value, "", detail={"module": name, "problems": problems[:20]})
        for figure, value in figures.items()
    ]


def run(
    scale: str = "small",
    out_dir: Path | None = None,
    keep: bool = False,
    log: Callable[[str], None] = print,
    suites: list[str] | None = None,
) -> tuple[BenchRun, Path]:
    """Run the ``suites`` asked for (all by default) at ``scale`` (tiny, small, full), each in
    a database and landing zone of its own (``keep`` keeps the databases); returns the run
    and the JSON file it was written to, ``out_dir/<stamp>.json`` (default
    bench/results). An unknown scale is a ValueError."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    params = SCALES[scale]
    stamp = datetime.now(UTC)
    result = BenchRun(scale, stamp.isoformat(timespec="seconds"), machine_info())
    wanted = set(suites or SUITES)
    if "ingest" in wanted:
        for case in INGEST_CASES:
            with bench_environment(keep=keep) as info:
                result.measures += bench_ingest_case(info, case, params, log)
    if "exchanges" in wanted:
        with bench_environment(keep=keep) as info:
            result.measures += bench_exchanges(info, params["assets"], params["years"], log)
    if "tickets" in wanted:
        with bench_environment(keep=keep) as info:
            result.measures += bench_tickets(
                info, params["events"], params["event_days"], params["event_listings"], log
            )
    if "prices" in wanted or "api" in wanted:
        from orchestration.bench.api import bench_api
        from orchestration.bench.api_probes import build_history
        from orchestration.bench.prices import bench_prices

        # the api suite serves the prices suite's warehouse (its history alone when only
        # the api suite is asked for), reusing the queries suite's on-the-fly figures
        with bench_environment(keep=keep) as info:
            prices: list[Measure] = []
            if "prices" in wanted:
                prices = bench_prices(info, params, log)
            else:
                build_history(info, params, log)
            result.measures += prices
            if "api" in wanted:
                queries = [m for m in prices if m.suite == "queries"]
                result.measures += bench_api(info, params, log, queries)
    if "faults" in wanted:
        from orchestration.bench.faults import bench_faults
        from orchestration.bench.ops_privilege import analyst_probe_figures

        with bench_environment(keep=keep) as info:
            result.measures += bench_faults(FAULT_FILES[scale], log)
            # The analyst probes run on the warehouse the fault suite built (its marts).
            result.measures += figure_measures("ops_privilege", analyst_probe_figures(info, log))
        for module in OPS_MODULES:
            result.measures += ops_measures(module, scale, log)
    out = out_dir or RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stamp:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(result.to_json(), indent=2, default=str) + "\n")
    return result, path
