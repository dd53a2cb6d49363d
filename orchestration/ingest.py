"""Run a source's two stages (fetch: API → landing, load: landing → raw) against the warehouse."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion import loader
from ingestion.landing import LandingFile
from ingestion.sources import SOURCES
from ingestion.sources import get as get_source
from orchestration import warehouse


def pipelines_dir(home: Path | None = None) -> Path:
    """dlt's working state lives beside the embedded data under the home, not in ~/.dlt
    (SNAPMART_DLT_DIR moves it: the benchmark keeps its pipelines apart)."""
    override = os.environ.get("SNAPMART_DLT_DIR")
    if override:
        return Path(override)
    return (home or warehouse.Settings.from_env().home) / ".snapmart" / "dlt"


def resolve_sources(names: Iterable[str] | None) -> list[str]:
    """The sources named (all registered sources when none); an unknown name is a ValueError
    listing the known ones."""
    names = list(names or [])
    if not names:
        return list(SOURCES)
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        raise ValueError(
            f"unknown source(s) {', '.join(unknown)}; known sources: {', '.join(SOURCES)}"
        )
    return names


@dataclass
class SourceRun:
    """One source's fetch and load: files fetched and the fetch report, the load summary,
    files pending before the load, and the errors met."""

    source: str
    fetched_files: int = 0
    fetch_report: Any = None
    load: loader.LoadSummary | None = None
    pending_files: int = 0
    errors: list[str] = field(default_factory=list)


_SCRATCH: list[tempfile.TemporaryDirectory] = []


def scratch_pipelines_dir() -> Path:
    """A dlt pipelines folder of this process's own, for pipelines that only shape Dagster
    specs or create tables and never load. ``dlt.pipeline()`` on a working folder that
    holds no state yet wipes it: in the shared folder that wiped a source's first load
    another process was running there (its files, its package).

    Under ``<tmp>/snapmart-dlt-scratch-<uid>/<pid>-…``: removed when the process exits
    normally, and by the next process that makes one when it did not (kill -9, a step
    process ending with ``os._exit``)."""
    if not _SCRATCH:
        import psutil

        base = Path(tempfile.gettempdir()) / f"snapmart-dlt-scratch-{os.getuid()}"
        base.mkdir(mode=0o700, exist_ok=True)
        for left in base.iterdir():  # the folders of processes gone without cleaning up
            pid = left.name.split("-", 1)[0]
            if pid.isdigit() and not psutil.pid_exists(int(pid)):
                shutil.rmtree(left, ignore_errors=True)
        _SCRATCH.append(tempfile.TemporaryDirectory(prefix=f"{os.getpid()}-", dir=base))
    return Path(_SCRATCH[0].name)


def pipeline_for(
    source: str, wh: warehouse.Warehouse | None = None, *, scratch: bool = False
) -> Any:
    """The source's dlt pipeline (``snapmart_<source>``, dataset ``raw_<source>``), loading
    into ``wh`` as the loader role (docs/roles.md), its state under ``pipelines_dir()``
    (``scratch``: under ``scratch_pipelines_dir()``, for a caller that only creates tables
    and does not hold the source's lock); ``wh`` defaults to the warehouse the environment
    names, for callers that hold none (the tests, the benchmark)."""
    wh = wh or warehouse.current()
    url = wh.info.url(role=warehouse.LOADER_ROLE)
    folder = scratch_pipelines_dir() if scratch else pipelines_dir(wh.settings.home)
    return loader.make_pipeline(source, url, folder)


def prepare_load(
    source: str,
    root: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
    only_tables: Iterable[str] | None = None,
    on_pending: Callable[[int], None] | None = None,
    wh: warehouse.Warehouse | None = None,
    on_resumed: Callable[[dict[str, int]], None] | None = None,
) -> tuple[Any, Any, list[loader.TableSpec]]:
    """(pipeline, dlt source over the pending files, raw tables) for one source
    (``only_tables``: the raw tables to load, e.g. a Dagster asset subset; ``on_pending``
    hears how many files the load will read, ``progress`` each file read), loading into
    ``wh`` from ``root`` (by default its settings' landing zone).

    A load package an interrupted run left pending is loaded first, so its files are
    not read again and the files landed since are pending; ``on_resumed`` hears what it
    brought (when there was one: ``loader.resumed_counts``), for the tick's counts.
    Snapshots about to be loaded again (a changed file, another copy of a capture) lose
    their old rows first, so snapshot tables can be appended to. The caller holds the
    source's lock (orchestration/runtime/locks.py).
    """
    from ingestion.landing import pending_files

    module = get_source(source)
    wanted = set(only_tables) if only_tables is not None else None
    endpoints = [e for e in module.ENDPOINTS if wanted is None or e.table.name in wanted]
    wh = wh or warehouse.current()
    root = root if root is not None else wh.settings.landing_root
    pipeline = pipeline_for(source, wh)
    tables = [e.table for e in module.ENDPOINTS]
    # an interrupted load first (its files then count as loaded), everything else after
    resumed = loader.finish_pending_loads(pipeline)
    if resumed and on_resumed is not None:
        table_of = {e.endpoint: e.table.name for e in module.ENDPOINTS}
        on_resumed(loader.resumed_counts(pipeline, resumed, table_of))
    rows = loader.landing_rows(pipeline)
    if loader.discard_incomplete_loads(pipeline, tables, rows):  # its files are pending again
        rows = loader.landing_rows(pipeline)
    done = loader.loaded_files(pipeline, rows)
    pending = pending_files(source, done, [e.endpoint for e in endpoints], root)
    if any(t.partition_by for t in tables):  # created partitioned before dlt creates it plain
        loader.ensure_tables(pipeline, tables)
        captures = [f.captured_at for f in pending if isinstance(f, LandingFile)]
        loader.ensure_partitions(pipeline, tables, captures)
    loader.forget_changed_files(pipeline, tables, loader.superseded_files(pending, done))
    pending, times = loader.collapse_copies(pending, endpoints)
    loader.forget_times(pipeline, times)
    if on_pending is not None:
        on_pending(len(pending))
    dlt_source = loader.landing_source(source, endpoints, done, root, progress, pending)
    return pipeline, dlt_source, tables


def load_source(
    source: str,
    root: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
    wh: warehouse.Warehouse | None = None,
) -> loader.LoadSummary:
    """Landing → raw for one source: only files not loaded yet (idempotent), under the
    source's lock (raises ``locks.LockBusy`` when another run holds it past the wait)."""
    from orchestration.runtime import locks

    wh = wh or warehouse.current()
    wait = wh.settings.lock_wait_seconds
    resumed: list[dict[str, int]] = []  # an interrupted run's rows count with this load
    with locks.hold(wh.info, locks.source_lock(source), wait=wait):
        pipeline, dlt_source, tables = prepare_load(
            source, root, progress, wh=wh, on_resumed=resumed.append
        )
        return loader.run_load(pipeline, dlt_source, tables, also=resumed)


def ensure_raw_tables(wh: warehouse.Warehouse) -> None:
    """Every source's raw tables, empty if it never delivered: dbt's staging views over
    them compile whatever subset of sources a deployment actually uses.

    Each source's under its lock, taken only if free: a load holds it while it (and dlt)
    creates that source's tables, and a ``create table`` of one table from two sessions
    at once fails one of them. A source whose load is running is passed over: that load
    creates its tables itself."""
    from orchestration.runtime import locks

    for source in SOURCES:
        module = get_source(source)
        try:
            with locks.hold(wh.info, locks.source_lock(source), wait=0):
                # a pipeline of its own: the load's working folder is the load's
                pipeline = pipeline_for(source, wh, scratch=True)
                loader.ensure_tables(pipeline, [e.table for e in module.ENDPOINTS])
        except locks.LockBusy:
            continue


def fetch_source(source: str, root: Path | None = None) -> Any:
    """API → landing for one source (live)."""
    return get_source(source).fetch(root=root)
