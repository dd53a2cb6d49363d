"""The fault suite: landing files with one fault each (ingestion/simulator/faults.py),
loaded through the real load path, each file's outcome compared with the right one.

Per source it counts files tried, loads that crashed, records rejected with a reason,
good records loaded against expected, files whose outcome differs from the expected
one, and, after a ``dbt build``, bad values that reached a mart. ``snapmart bench
--suite faults`` runs a seeded sweep of every fault kind of every source (≥ 2,000
files at scale full); tests/test_fault_suite.py runs the same check on faults
Hypothesis draws.
"""

from __future__ import annotations

import os
import random
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ingestion import clock
from ingestion.landing import write_atomic
from ingestion.simulator.faults import Fault, FaultFile, fault_files, kinds_for
from ingestion.sources import SOURCES
from orchestration import warehouse
from orchestration.bench.measure import Measure, time_it

STEP = timedelta(minutes=5)  # one fault file per 5-minute slot: OSRS buckets stay apart


@dataclass
class SourceOutcome:
    """One source's row of the fault table."""

    source: str
    files: int = 0
    crashes: int = 0
    rejects: int = 0
    rejects_with_reason: int = 0
    good_expected: int = 0
    good_loaded: int = 0
    wrong_files: int = 0
    bad_in_marts: int = 0
    problems: list[str] = field(default_factory=list)


def sweep(n_files: int, seed: int = 19) -> list[Fault]:
    """A seeded list of faults cycling through every source and every kind that applies
    to it, with random targets, fields, values and sizes, until ``n_files`` files."""
    rng = random.Random(seed)
    combos = [(s, k) for s in SOURCES for k in kinds_for(s)]
    faults: list[Fault] = []
    files = 0
    while files < n_files:
        source, kind = combos[len(faults) % len(combos)]
        faults.append(
            Fault(
                source,
                kind,
                n_good=rng.randint(1, 12),
                target=rng.randint(0, 99),
                field=rng.randint(0, 99),
                value=rng.randint(0, 99),
            )  # fmt: skip
        )
        files += 2 if kind == "copy" else 1
    return faults


def write_faults(
    faults: Iterable[Fault], root: Path, start: int = 0, end: datetime | None = None
) -> list[FaultFile]:
    """Write each fault's files into the landing zone at ``root``, one 5-minute slot
    each going back from ``end`` (default: the tick's clock), serials from ``start``."""
    end = end or clock.now()
    base = end.replace(second=0, microsecond=0, minute=end.minute // 5 * 5) - STEP
    written: list[FaultFile] = []
    for n, fault in enumerate(faults, start=start):
        for f in fault_files(fault, base - n * STEP, serial=n):
            write_atomic(
                f.source, f.endpoint, f.captured_at, f.body, key=f.key, ext=f.ext,
                root=root, durable=False,
            )  # fmt: skip
            written.append(f)
    return written


def _relative(f: FaultFile) -> str:
    from ingestion.landing import file_name

    return f"{f.source}/{f.endpoint}/{file_name(f.captured_at, f.key, f.ext)}"


def load_and_check(
    files: list[FaultFile], root: Path, log: Callable[[str], None] = lambda _m: None
) -> dict[str, SourceOutcome]:
    """Load every source's pending files and compare each file's rows loaded and
    rejects with its expected outcome (``landing_files`` records both per file)."""
    from orchestration import ingest

    info = warehouse.current().info
    out = {s: SourceOutcome(s) for s in sorted({f.source for f in files})}
    for source, outcome in out.items():
        mine = [f for f in files if f.source == source]
        outcome.files = len(mine)
        outcome.good_expected = sum(f.good_rows for f in mine)
        try:
            ingest.load_source(source, root=root)
        except Exception as exc:  # a crash is what the suite counts, not what stops it
            outcome.crashes += 1
            outcome.problems.append(f"load crashed: {traceback.format_exception_only(exc)[-1]}")
            log(f"  {source}: load crashed: {exc}")
            continue
        with warehouse.connect(info) as conn:
            recorded = {
                path: (loaded, rejected)
                for path, loaded, rejected in conn.execute(
                    f"select path, rows_loaded, rows_rejected from raw_{source}.landing_files"
                ).fetchall()
            }
            reasons = conn.execute(
                f"select landing_file, record_pointer, reason from raw_{source}.rejected_records"
            ).fetchall()
        by_file: dict[str, list[tuple[str, str]]] = {}
        for path, pointer, reason in reasons:
            by_file.setdefault(path, []).append((pointer, reason or ""))
        for f in mine:
            rel = _relative(f)
            loaded, rejected = recorded.get(rel, (None, None))
            rows = by_file.get(rel, [])
            outcome.rejects += len(rows)
            outcome.rejects_with_reason += sum(1 for _p, r in rows if _names_a_cause(r))
            outcome.good_loaded += min(loaded or 0, f.good_rows)
            if (loaded, rejected) != (f.good_rows, f.rejects) or len(rows) != f.rejects:
                outcome.wrong_files += 1
                outcome.problems.append(
                    f"{rel} ({f.kind}): loaded {loaded} rejected {rejected} "
                    f"({[r for _p, r in rows][:2]}), expected {f.good_rows} and {f.rejects}"
                )
    return out


def _names_a_cause(reason: str) -> bool:
    """A reason names a field, a byte or the API's words: more than a bare class name."""
    reason = reason.strip()
    return len(reason) > 12 and not reason.endswith("Error:") and " " in reason


# Bad values a fault plants that a mart must never show: prices beyond every source's
# cap, negative prices or volumes, observation times outside reality.
MART_CHECKS = {
    "fct_price_observations": (
        "price <= 0 or price > 1e13 or price_high > 1e13 or volume < 0"
        " or observed_at > {latest} or observed_at < '2000-01-01'"
    ),
    "fct_hiscore_snapshots": "value < -1 or value > 1e10 or captured_at > {latest}",
}


def bad_values_in_marts() -> dict[str, int]:
    """Rows per mart holding a value no good record has (after a ``dbt build``)."""
    from psycopg import sql

    info = warehouse.current().info
    latest = clock.now() + timedelta(minutes=10)
    counts: dict[str, int] = {}
    with warehouse.connect(info) as conn:
        for table, condition in MART_CHECKS.items():
            exists = conn.execute("select to_regclass(%s)", (f"marts.{table}",)).fetchone()[0]
            if exists is None:
                continue
            where = sql.SQL(condition.format(latest="{}")).format(sql.Literal(latest))
            query = sql.SQL("select count(*) from {} where ").format(sql.Identifier("marts", table))
            counts[table] = conn.execute(query + where).fetchone()[0]
    return counts


def table(outcomes: dict[str, SourceOutcome]) -> list[dict[str, Any]]:
    """The per-source rows the bench prints and stores."""
    return [
        {
            "source": o.source,
            "files": o.files,
            "crashes": o.crashes,
            "records rejected (with a reason)": f"{o.rejects} ({o.rejects_with_reason})",
            "good loaded / expected": f"{o.good_loaded} / {o.good_expected}",
            "files off their expected outcome": o.wrong_files,
            "bad values in marts": o.bad_in_marts,
        }
        for o in outcomes.values()
    ]


def bench_faults(n_files: int, log: Callable[[str], None]) -> list[Measure]:
    """The fault suite over ``n_files`` landing files of every fault kind of every
    source: per source, one measure whose detail is its row of the table (files, crashes,
    rejects with a reason, good records loaded against expected, files off their expected
    outcome, bad values in marts after a build)."""
    from orchestration import transform

    root = Path(os.environ["SNAPMART_LANDING_DIR"])
    faults = sweep(n_files)
    log(f"faults: writing {len(faults)} faults")
    files = write_faults(faults, root)
    log(f"faults: loading {len(files)} files")
    seconds, outcomes = time_it(lambda: load_and_check(files, root, log))
    log("faults: dbt build")
    build = transform.run_dbt("build", unit_tests=False)
    bad = bad_values_in_marts() if build.success else {}
    for outcome in outcomes.values():
        marts = ["fct_hiscore_snapshots"] if outcome.source == "osrs_hiscores" else []
        marts += ["fct_price_observations"] if outcome.source != "osrs_hiscores" else []
        outcome.bad_in_marts = sum(bad.get(m, 0) for m in marts)
    measures = []
    for row, outcome in zip(table(outcomes), outcomes.values(), strict=True):
        detail = {**row, "problems": outcome.problems[:20], "build_ok": build.success}
        if not build.success:
            detail["build_failures"] = [n.name for n in build.failed()][:20]
        measures.append(
            Measure(
                "faults", f"{outcome.source}: files tried", outcome.files, "files", detail=detail
            )  # fmt: skip
        )
    measures.append(Measure("faults", "load of every fault file", seconds, "s"))
    return measures
