"""Gaps: stretches of a source's data that nothing landed and the API no longer serves.

A fetch continues from what it has landed, as far back as the API serves
(docs/landing.md#continuation-and-gaps). What lies beyond that — an outage longer than
the API's served history, say — can never be fetched again; rather than vanish in
silence it is named here as a :class:`Gap` and recorded by the orchestrator in
``ops.fetch_gaps`` (orchestration/gaps.py). This module imports no database: it only
works out the stretches from the landing zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Gap:
    """Data of ``source``/``endpoint`` missing for good: every item that starts in
    ``[gap_from, gap_to)`` (UTC, aware) is absent from the landing zone and older than
    the API serves; ``reason`` says why in one sentence."""

    source: str
    endpoint: str
    gap_from: datetime
    gap_to: datetime
    reason: str

    @property
    def minutes(self) -> float:
        """The gap's length in minutes."""
        return (self.gap_to - self.gap_from).total_seconds() / 60


def missing_runs(have: Iterable[int], first: int, stop: int, step: int) -> list[tuple[int, int]]:
    """The runs of grid points ``first, first + step, …`` below ``stop`` (epoch seconds)
    that are not in ``have``, as ``(run_start, run_end)`` with ``run_end`` exclusive
    (the first point after the run). ``first`` must be on the grid; an empty range gives
    []. Example: have {0, 300, 1200}, first 0, stop 1500, step 300 → [(600, 1200)]."""
    present = set(have)
    runs: list[tuple[int, int]] = []
    start = None
    for ts in range(first, stop, step):
        if ts in present:
            if start is not None:
                runs.append((start, ts))
                start = None
        elif start is None:
            start = ts
    if start is not None:
        runs.append((start, first + -(-(stop - first) // step) * step))  # the next grid point
    return runs


def at(ts: int) -> datetime:
    """Epoch seconds → aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)
