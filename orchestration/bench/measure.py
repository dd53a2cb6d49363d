"""What every bench suite shares: a measure against its baseline, a run's results, a
fresh database and landing zone per suite, timing, and bytes on disk per schema."""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration import warehouse


@dataclass
class Measure:
    """One measured figure: suite, name, value and its unit, and the baseline it is compared
    with (what, and its value in the same unit), with details for the JSON."""

    suite: str
    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """value / baseline value; None without a (non-zero) baseline."""
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value


@dataclass
class BenchRun:
    """One ``snapmart bench`` run: the scale, when it started (ISO 8601, UTC), the machine,
    and every measure."""

    scale: str
    started_at: str
    machine: dict[str, Any]
    measures: list[Measure] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The run as a JSON-able dict, each measure with its ``ratio``."""
        out = asdict(self)
        for m, raw in zip(self.measures, out["measures"], strict=True):
            raw["ratio"] = m.ratio
        return out


def machine_info() -> dict[str, Any]:
    """What the figures were measured on: Python version, platform and CPU count."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


@contextmanager
def bench_environment(keep: bool = False) -> Iterator[warehouse.ConnectionInfo]:
    """A fresh database, landing zone and dlt directory for one bench run: the settings
    the suites' functions find in the environment (they hold no ``Warehouse``), the
    warehouse prepared here."""
    base = warehouse.Warehouse.from_env().prepare()
    name = f"snapmart_bench_{datetime.now(UTC):%Y%m%d%H%M%S}_{uuid.uuid4().hex[:6]}"
    scratch = Path(tempfile.mkdtemp(prefix="snapmart-bench-"))
    saved = {
        k: os.environ.get(k)
        for k in ("SNAPMART_DATABASE_URL", "SNAPMART_LANDING_DIR", "SNAPMART_DLT_DIR")
    }
    os.environ["SNAPMART_DATABASE_URL"] = warehouse.ConnectionInfo(
        base.host, base.port, base.user, base.password, name
    ).url()
    os.environ["SNAPMART_LANDING_DIR"] = str(scratch / "landing")
    os.environ["SNAPMART_DLT_DIR"] = str(scratch / "dlt")
    info = warehouse.Warehouse.from_env().prepare()
    try:
        yield info
    finally:
        if not keep:
            warehouse.drop_database(info)
        shutil.rmtree(scratch, ignore_errors=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def schema_bytes(conn: Any, schemas: tuple[str, ...]) -> dict[str, int]:
    """Bytes on disk (tables, materialized views, their indexes and TOAST) per schema;
    a partitioned parent holds nothing itself, its partitions are counted."""
    rows = conn.execute(
        """
        select n.nspname, sum(pg_total_relation_size(c.oid))
        from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where c.relkind in ('r', 'm') and n.nspname = any(%s)
        group by n.nspname
        """,
        (list(schemas),),
    ).fetchall()
    return {name: int(size) for name, size in rows}


def time_it(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds ``fn()`` took, wall clock, by ``time.perf_counter``; what it returned)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result
