"""Operational figures of the fault suite: loads killed with kill -9 and the tick after
them, and two runs of a source at once (orchestration/runtime/locks.py, the resume in
orchestration/ingest.py).

- **kills**: each round lands a batch of OSRS price files, starts a load as its own process
  and kills it (-9) at a seeded random moment, half of them once dlt has a load package on
  disk; more files land, and the next load runs. The round is survived when afterwards no
  landing file and no load package is left pending and raw holds exactly the rows of a
  clean load of the same files into a database of its own (nothing lost, nothing twice).
- **concurrent runs**: pairs of loads of each registered source (ingestion/sources)
  started at once, as processes, every source's pair together; **concurrent_runs** counts
  the runs over all sources, **duplicates** the rows beyond the first per merge key (from
  the loader's table definitions) they leave.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from orchestration import warehouse
from orchestration.bench.measure import bench_environment

SOURCE = "osrs_prices"
# table → its merge key (a duplicate is a second row with one key); latest_prices is a
# snapshot table, one row per item per file
KEYS = {
    "prices_5m": "item_id, bucket_at",
    "prices_1h": "item_id, bucket_at",
    "latest_prices": "item_id, landing_file",
    "items": "item_id",
    "landing_files": "path",
}
LOAD_COLUMNS = ("loaded_at", "rejected_at")  # stamped by each load: differ between loads
KILLS = {"tiny": 3, "small": 8, "full": 20}
PAIRS = {"tiny": 1, "small": 2, "full": 3}
# tiny (the bench's own test) pairs one source: every source's pair is tests/test_locks.py's
PAIR_SOURCES: dict[str, tuple[str, ...]] = {"tiny": ("osrs_prices",)}
ITEMS = 150
BATCH = timedelta(hours=2)
ENV_KEYS = ("SNAPMART_DATABASE_URL", "SNAPMART_LANDING_DIR", "SNAPMART_DLT_DIR")
LOAD = f"from orchestration import ingest; ingest.load_source({SOURCE!r})"


def raw_tables(conn: Any, source: str) -> set[str]:
    """The tables of ``source``'s raw schema (``raw_<source>``) that exist."""
    return {
        name
        for (name,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s",
            (f"raw_{source}",),
        ).fetchall()
    }


def table_rows(
    info: warehouse.ConnectionInfo, source: str = SOURCE, tables: Iterable[str] = KEYS
) -> dict[str, Counter]:
    """Every row of ``tables`` of ``source``'s raw schema as a multiset (a row stored twice
    counts 2, a lost row is missing), without dlt's columns and the load's timestamps; a
    table that does not exist is an empty multiset."""
    out: dict[str, Counter] = {}
    with warehouse.connect(info) as conn:
        have = raw_tables(conn, source)
        for table in tables:
            if table not in have:
                out[table] = Counter()
                continue
            columns = [
                name
                for (name,) in conn.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = %s and table_name = %s order by column_name",
                    (f"raw_{source}", table),
                ).fetchall()
                if not name.startswith("_dlt") and name not in LOAD_COLUMNS
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            out[table] = Counter(
                conn.execute(f"select {select} from raw_{source}.{table}").fetchall()
            )
    return out


def packages_on_disk(folders: tuple[str, ...] = ("new", "normalized")) -> bool:
    """True when dlt has a load package being normalized (``new``) or to load
    (``normalized``) in the source's working directory."""
    from orchestration import ingest

    load = ingest.pipelines_dir() / f"snapmart_{SOURCE}" / "load"
    return any(p.is_dir() for sub in folders for p in (load / sub).glob("*"))


def pending(root: Path) -> int:
    """Landing files not loaded by a completed load, plus dlt packages still pending."""
    from ingestion import loader
    from ingestion.landing import pending_files
    from ingestion.sources import get as get_source
    from orchestration import ingest

    pipeline = ingest.pipeline_for(SOURCE)
    endpoints = [e.endpoint for e in get_source(SOURCE).ENDPOINTS]
    left = pending_files(SOURCE, loader.loaded_files(pipeline), endpoints, root)
    packages = pipeline.list_normalized_load_packages() + pipeline.list_extracted_load_packages()
    return len(left) + len(packages)


def timed_load() -> float:
    """Seconds an undisturbed load takes as its own process (imports included): the span
    the random kills aim into."""
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", LOAD], check=True, capture_output=True, timeout=900)
    return time.monotonic() - start


def kill_a_load(rng: random.Random, at_package: bool, seconds: float) -> tuple[bool, bool]:
    """A load as its own process, killed with SIGKILL at a random moment of a run lasting
    about ``seconds``, or (``at_package``) once dlt has a normalized load package on disk
    plus a random moment more: (was it still running when killed, did it leave a load
    package)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOAD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        if at_package:
            deadline = time.monotonic() + 120
            while (
                not packages_on_disk(("normalized",))
                and proc.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.15))  # loading a package takes about a second
        else:
            time.sleep(rng.uniform(0.3, 0.95) * seconds)
        running = proc.poll() is None
        proc.kill()
    finally:
        proc.wait(timeout=60)
    return running, packages_on_disk()


@contextlib.contextmanager
def _environ(values: dict[str, str | None]) -> Iterator[None]:
    """``values`` in the environment for the block (None: unset), all restored after."""
    with mock.patch.dict(os.environ):
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield


def kill_rounds(n: int, log: Callable[[str], None], seed: int = 21) -> tuple[int, int, list[str]]:
    """Rounds of land → load killed → land more → next load, each compared with a clean
    load of the same files into a second database, until ``n`` kills landed while the load
    ran (at most 2n rounds): (kills, kills survived, what went wrong)."""
    from ingestion.simulator.writer import write_osrs_prices
    from orchestration import ingest

    rng = random.Random(seed)
    problems: list[str] = []
    kills = survived = 0
    with bench_environment() as info:
        root = Path(os.environ["SNAPMART_LANDING_DIR"])
        mine = {k: os.environ.get(k) for k in ENV_KEYS}
        with bench_environment() as reference:
            theirs = {k: os.environ.get(k) for k in ENV_KEYS}
            start = _end() - (2 * n + 1) * BATCH

            def land(end: Any, days: float) -> None:
                write_osrs_prices(days, seed=3, n_items=ITEMS, end=end, root=root)

            with _environ(mine):
                land(start, BATCH / timedelta(days=1))
                seconds = timed_load()  # the first batch, undisturbed: how long a load runs
            with _environ(theirs):
                ingest.load_source(SOURCE, root=root)
            for k in range(2 * n):
                if kills == n:
                    break
                end = start + (k + 1) * BATCH
                with _environ(mine):
                    land(end, BATCH / timedelta(days=1))
                    running, _ = kill_a_load(rng, k % 2 == 1, seconds)
                    land(end + timedelta(hours=1), 1 / 24)  # landed while the load was down
                    try:
                        ingest.load_source(SOURCE, root=root)
                        left = pending(root) + packages_on_disk()
                    except Exception as exc:  # a tick that fails after a kill is a finding
                        problems.append(f"round {k}: the next load failed: {exc}"[:300])
                        log(problems[-1])
                        kills += running
                        continue
                    got = table_rows(info)
                with _environ(theirs):
                    ingest.load_source(SOURCE, root=root)
                    want = table_rows(reference)
                lost = sum(sum((want[t] - got[t]).values()) for t in KEYS)
                extra = sum(sum((got[t] - want[t]).values()) for t in KEYS)
                kills += running
                if left or lost or extra:
                    problems.append(f"round {k}: {lost} row(s) lost, {extra} extra, {left} pending")
                    log(problems[-1])
                elif running:
                    survived += 1
    return kills, survived, problems


def load_code(source: str) -> str:
    """The Python a load of ``source`` runs as a process of its own: landing → raw for a
    landed source, the profiles folder → raw for the user state (each under its lock)."""
    from ingestion.sources import USER_STATE

    if source == USER_STATE:
        return "from orchestration import user_state; user_state.load()"
    return f"from orchestration import ingest; ingest.load_source({source!r})"


def land_slice(source: str, end: Any, root: Path) -> None:
    """A small simulated slice of ``source`` ending at ``end`` into ``root``, as its fetch
    would have landed it (the exchanges' writer lands Binance and Yahoo together, the
    profiles are the folder the load archives itself); a source without one is a
    KeyError naming it, so a new source is not silently left out."""
    from ingestion.simulator import writer

    hours = BATCH / timedelta(days=1)
    slices: dict[str, Callable[[], Any]] = {
        "osrs_prices": lambda: writer.write_osrs_prices(
            hours, seed=4, n_items=ITEMS, end=end, root=root
        ),
        "wow_auctions": lambda: writer.write_wow_auctions(
            hours / 2, seed=4, end=end, root=root, listings_scale=0.2
        ),
        "dofus_market": lambda: writer.write_dofus_market(hours, seed=4, end=end, root=root),
        "osrs_hiscores": lambda: writer.write_osrs_hiscores(hours, seed=4, end=end, root=root),
        "binance": lambda: writer.write_exchanges(seed=4, end=end, root=root),
        "yahoo_finance": lambda: None,
        "vividseats": lambda: writer.write_vividseats(
            hours / 2, seed=4, end=end, root=root, n_events=3, n_listings=30
        ),
        "user_state": lambda: None,
    }
    if source not in slices:
        raise KeyError(f"no simulated slice for source {source!r} (ops_locks.land_slice)")
    slices[source]()


def table_keys(source: str) -> dict[str, tuple[str, ...]]:
    """Each raw table of ``source`` → its merge (natural) key, from the loader's table
    definitions: its endpoints' tables (the user state's: its state tables), the landing
    files recorded and the records rejected."""
    from ingestion.loader.specs import LANDING_FILES, REJECTED_RECORDS
    from ingestion.sources import get as get_source

    module = get_source(source)
    specs = [e.table for e in getattr(module, "ENDPOINTS", ())] or list(module.TABLES.values())
    return {spec.name: spec.primary_key for spec in [*specs, LANDING_FILES, REJECTED_RECORDS]}


def duplicates_by_table(info: warehouse.ConnectionInfo, source: str) -> dict[str, int]:
    """Rows beyond the first per merge key, per raw table of ``source`` that exists."""
    out: dict[str, int] = {}
    with warehouse.connect(info) as conn:
        have = raw_tables(conn, source)
        for table, key in table_keys(source).items():
            if table in have:
                cols = ", ".join(f'"{c}"' for c in key)
                out[table] = conn.execute(
                    f"select count(*) - (select count(*) from (select distinct {cols}"
                    f" from raw_{source}.{table}) as d) from raw_{source}.{table}"
                ).fetchone()[0]
    return out


def source_duplicates(info: warehouse.ConnectionInfo, source: str) -> int:
    """Rows beyond the first per key, all of ``source``'s raw tables (that exist) together."""
    return sum(duplicates_by_table(info, source).values())


def concurrent_pairs(
    n: int, log: Callable[[str], None], sources: tuple[str, ...] | None = None
) -> tuple[int, int, list[str]]:
    """``n`` times: land a small slice of each of ``sources`` (default: every registered
    source), then start two loads of each source at once, as processes, every source's
    pair together (each run waits for its twin's lock); (runs started over all sources,
    duplicate rows left, failures)."""
    from ingestion.sources import ALL_SOURCES

    sources = ALL_SOURCES if sources is None else sources
    runs = dups = 0
    problems: list[str] = []
    # the exchanges' first fetch reaches this far back: a slice, not ten years
    short = {f"SOURCES__{s.upper()}__HISTORY_DAYS": "3" for s in ("binance", "yahoo_finance")}
    with bench_environment() as info, _environ(short):
        root = Path(os.environ["SNAPMART_LANDING_DIR"])
        start = _end() - n * BATCH
        for k in range(n):
            end = start + (k + 1) * BATCH
            for source in sources:
                land_slice(source, end, root)
            procs = {
                source: [
                    subprocess.Popen(
                        [sys.executable, "-c", load_code(source)],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                    for _ in range(2)
                ]
                for source in sources
            }
            for source, pair in procs.items():
                for proc in pair:
                    _out, err = proc.communicate(timeout=900)
                    runs += 1
                    if proc.returncode != 0:
                        problems.append(
                            f"pair {k} of {source}: a run exited {proc.returncode}: {err[-300:]}"
                        )
                        log(problems[-1])
                found = source_duplicates(info, source)
                if found:
                    problems.append(f"pair {k} of {source}: {found} row(s) stored twice")
                    log(problems[-1])
                dups += found
    return runs, dups, problems


def _end() -> Any:
    from ingestion import clock

    now = clock.now()
    return now.replace(minute=0, second=0, microsecond=0)


def figures(scale: str, log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """The operational figures at ``scale`` (tiny, small, full): ``kills`` (loads killed
    with -9, 20 at full), ``kills_survived`` (followed by a tick that left nothing lost,
    duplicated or pending), ``concurrent_runs`` (loads started two at a time, of every
    registered source, at tiny of ``PAIR_SOURCES``: 2 x sources x pairs) and
    ``duplicates`` (rows they stored twice), with ``problems`` (what went wrong, if
    anything). An unknown scale is a KeyError."""
    log(f"ops: {KILLS[scale]} kill -9 rounds")
    kills, survived, problems = kill_rounds(KILLS[scale], log)
    sources = PAIR_SOURCES.get(scale)
    which = ", ".join(sources) if sources else "every source"
    log(f"ops: {PAIRS[scale]} pair(s) of concurrent loads of {which}")
    runs, dups, more = concurrent_pairs(PAIRS[scale], log, sources)
    return {
        "kills": kills,
        "kills_survived": survived,
        "concurrent_runs": runs,
        "duplicates": dups,
        "problems": problems + more,
    }
