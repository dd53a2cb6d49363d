"""The sources, registered once: a package per source, ``ingestion/sources/<source>/``,
holding everything about it (docs/architecture.md#adding-a-source).

Each package exposes ``SOURCE``, ``fetch()``, ``SUITES`` (the Great Expectations suites
of its raw tables, ``checks.py``) and ``TICK`` (``tick.py``: its job, schedule and
freshness, as plain values); a landed source also ``ENDPOINTS`` (EndpointSpecs: landing
directory → raw table → parser) and, when it can fetch a past window, ``fetch_window()``.

Orchestration builds everything Dagster needs from here (orchestration/defs/): nothing
there lists the sources by hand. This package imports no Dagster.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import ModuleType

# Landed sources: fetch → landing → the loader → raw_<source>. The raw assets, their
# pools, the backfill partitions (those with fetch_window) and the raw tables dbt's
# staging reads are made for each of these.
SOURCES = (
    "osrs_prices",
    "wow_auctions",
    "dofus_market",
    "osrs_hiscores",
    "binance",
    "yahoo_finance",
    "vividseats",
)
# User state is fetched and loaded its own way (orchestration/user_state.py: the profiles
# folder parsed as one bundle, its tables replaced whole).
USER_STATE = "user_state"
# Every source package: their SUITES are the raw tables' checks (orchestration/quality.py);
# their TICKs give the jobs, queue tags, schedules and freshness policies (orchestration/defs/).
ALL_SOURCES = (*SOURCES, USER_STATE)


@dataclass(frozen=True)
class Schedule:
    """When a job runs by the clock: a cron string (UTC); off by default unless ``running``."""

    name: str
    cron: str
    description: str
    running: bool = True


@dataclass(frozen=True)
class Job:
    """The job of a tick: it loads its sources and rebuilds what lies downstream of them.
    Sources that share a job declare the same ``Job`` (the exchanges: ingestion/assets.py).
    Without a schedule, a sensor starts it (Dofus: orchestration/defs/sensors.py)."""

    name: str
    description: str
    schedule: Schedule | None = None


@dataclass(frozen=True)
class Tick:
    """What orchestration needs to know about a source: the job that loads it, and how
    long its raw tables may go without a load (fail after ``freshness``, warn after half:
    about three and one and a half missed ticks)."""

    job: Job
    freshness: timedelta


def get(name: str) -> ModuleType:
    """The source package ``ingestion.sources.<name>``; an unregistered name is a KeyError
    listing the known ones."""
    if name not in ALL_SOURCES:
        known = ", ".join(ALL_SOURCES)
        raise KeyError(f"unknown source {name!r}; known sources: {known}")
    return importlib.import_module(f"ingestion.sources.{name}")


def config_files(name: str) -> list[Path]:
    """The tracked-things files the source reads every tick (its package's
    ``config_file()``). A missing one is a UserMistake (ingestion/mistakes.py) naming it:
    a command checks them all (``check_config_files``) before it starts anything."""
    config_file = getattr(get(name), "config_file", None)
    return [config_file()] if config_file else []


def check_config_files(names: Iterable[str]) -> None:
    """A UserMistake for the first missing config file of the sources ``names``."""
    for name in names:
        config_files(name)


def tick(name: str) -> Tick:
    """The source's ``TICK``."""
    return get(name).TICK


def jobs() -> dict[str, tuple[Job, tuple[str, ...]]]:
    """Every job, by name, with the sources it loads, in the order of ``ALL_SOURCES``.
    Sources that name the same job must declare it alike."""
    found: dict[str, tuple[Job, tuple[str, ...]]] = {}
    for source in ALL_SOURCES:
        job = tick(source).job
        if job.name in found:
            known, sources = found[job.name]
            if known != job:
                raise ValueError(
                    f"{source} and {', '.join(sources)} declare the job {job.name!r} differently"
                )
            found[job.name] = (job, (*sources, source))
        else:
            found[job.name] = (job, (source,))
    return found


def can_backfill(name: str) -> bool:
    """A source can be backfilled when its API answers for a past window: its package
    has ``fetch_window(start, end)``. Backfills go by UTC day (orchestration/defs/partitions.py)."""
    return hasattr(get(name), "fetch_window")


def backfillable() -> tuple[str, ...]:
    """The registered sources that can fetch a past window (``can_backfill``), in order."""
    return tuple(s for s in SOURCES if can_backfill(s))
