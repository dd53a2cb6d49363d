"""Outage minutes recovered (issue 21): the OSRS prices fetch through an outage of the
prices API, against the simulator on loopback with a clock of its own.

A tick every ``tick_minutes`` from 00:10 to 04:00; the API answers 503 to every request
for ``outage_minutes`` from 01:00 and serves past buckets ``served_minutes`` back from
its newest (the fetch told the same, ``served_history_minutes``). The figures: how many
minutes of 5-minute buckets the outage kept from landing, how many of them the ticks
after it fetched back, and the gaps recorded for the rest. The defaults are the test's
scenario (tests/test_gaps.py): 90 minutes of outage, 60 served → the buckets 00:50 …
02:20 (published while the API was down: 95 minutes) never landed during it; 55 minutes
are fetched back, 40 lost as one 5m gap, and one 1h gap besides. Served 24 hours (the
default), all 95 come back and no gap is recorded.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ingestion.http import SourceClient
from ingestion.simulator.server import SimulatorServer
from ingestion.sources import osrs_prices

MIDNIGHT = datetime(2026, 11, 20, tzinfo=UTC)
STEP = timedelta(minutes=5)


@contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    """``values`` in os.environ for the block, what was there before restored after."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def outage_recovery(
    info: Any = None,
    *,
    outage_minutes: int = 90,
    served_minutes: int = 60,
    tick_minutes: int = 10,
) -> dict[str, int]:
    """Run the ticks through the outage (fetch only, into a temporary landing zone) and
    return ``{"outage_minutes", "minutes_recovered", "minutes_lost", "gaps_recorded",
    "ticks_failed"}`` (whole minutes, counts). ``minutes_recovered`` counts the 5-minute
    buckets no tick could land while the API was down (from the one after the last landed before the
    outage to the one before the newest at the first tick after it) that are landed at
    the end. With ``info`` (a warehouse connection) the gaps are recorded in
    ``ops.fetch_gaps`` and ``gaps_recorded`` counts its open rows for the source;
    without, the gaps found."""
    outage = (MIDNIGHT + timedelta(hours=1), MIDNIGHT + timedelta(hours=1, minutes=outage_minutes))
    now = [MIDNIGHT]
    settings = {"SOURCES__OSRS_PRICES__SERVED_HISTORY_MINUTES": str(served_minutes)}
    with (
        tempfile.TemporaryDirectory(prefix="snapmart-gaps-") as tmp,
        _env(settings),
        SimulatorServer(
            n_items=6, clock=lambda: now[0].timestamp(), osrs_history=served_minutes * 60
        ) as sim,
    ):
        root = Path(tmp)
        sim.outages.append((outage[0].timestamp(), outage[1].timestamp(), 503))
        last_before = first_after = None
        failed = 0
        at = MIDNIGHT + timedelta(minutes=tick_minutes)
        while at <= MIDNIGHT + timedelta(hours=4):
            now[0] = at + timedelta(seconds=1)
            client = SourceClient(
                osrs_prices.SOURCE, sim.osrs_base_url, per_second=0, max_attempts=2,
                backoff_factor=0.01,
            )  # fmt: skip
            report = osrs_prices.fetch(("5m", "1h"), root=root, client=client, now=now[0])
            failed += bool(report.failures)  # a tick of the outage: the next ones catch up
            landed = osrs_prices.fetching.landed_grid("5m", root)
            if at < outage[0]:
                last_before = landed[-1]
            elif at >= outage[1] and first_after is None:
                first_after = landed[-1]  # the newest bucket at the first tick after
            at += timedelta(minutes=tick_minutes)
        found = osrs_prices.gaps(root)
        landed = set(osrs_prices.fetching.landed_grid("5m", root))
    step = int(STEP.total_seconds())
    window = range(last_before + step, first_after, step) if last_before and first_after else []
    recovered = sum(1 for ts in window if ts in landed)
    gaps_recorded = len(found)
    if info is not None:
        from orchestration import gaps, warehouse

        gaps.record(osrs_prices.SOURCE, found, info)
        with warehouse.connect(info) as conn:
            gaps_recorded = conn.execute(
                "select count(*) from ops.fetch_gaps where source = %s and closed_at is null",
                (osrs_prices.SOURCE,),
            ).fetchone()[0]
    return {
        "outage_minutes": outage_minutes,
        "minutes_recovered": recovered * 5,
        "minutes_lost": (len(window) - recovered) * 5,
        "gaps_recorded": int(gaps_recorded),
        "ticks_failed": failed,
    }


def figures(scale: str, log: Callable[[str], None] = print) -> dict[str, int]:
    """``outage_recovery``'s figures with its gaps recorded in a bench database of its own
    (the same 90-minute outage at every ``scale``: the figures count minutes, not volume)."""
    from orchestration.bench.measure import bench_environment

    log("ops: a 90-minute outage of the prices API, then recovery")
    with bench_environment() as info:
        return outage_recovery(info)
