"""Gaps: stretches of a source's data that nothing landed and the API no longer serves.

A fetch continues from what it has landed, as far back as the API serves
(docs/landing.md#continuation-and-gaps). What lies beyond that — an outage longer than
the API's served history, say — can never be fetched again; rather than vanish in
silence it is named here as a :class:`Gap` and recorded by the orchestrator in
``ops.fetch_gaps`` (orchestration/gaps.py). This module imports no database: it only
works out the stretches from the landing zone.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingestion import clock
from ingestion.http import source_config
from ingestion.landing import LandingFile, iter_landing_files


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


def snapshot_gaps(
    source: str,
    endpoint: str,
    landed: Mapping[str, Iterable[datetime]],
    every: timedelta,
    missed_after: timedelta,
    served: str,
) -> list[Gap]:
    """Missed snapshots of an API that serves only its current one (WoW's auction houses:
    an hourly snapshot each, no history), from the capture times landed per key (a
    region, a realm id).

    Two landed snapshots of one key more than ``missed_after`` apart (which must be at
    least ``every``, the API's cadence) mean at least one snapshot between them was never
    landed, and never will be: the gap runs from when the first missed one was due (the
    earlier snapshot + ``every``) to the later snapshot, exclusive. Keys with a gap of the
    same start are one Gap (the latest end), naming them all. ``served`` ends the reason's
    sentence (what the API keeps). Example: key "57" landed at 10:00, 11:00 and 14:00,
    every 1 h, missed after 100 min → one gap [12:00, 14:00). Raises ValueError when
    ``missed_after`` < ``every``."""
    if missed_after < every:
        raise ValueError(f"missed_after ({missed_after}) is shorter than the cadence ({every})")
    found: dict[datetime, tuple[datetime, list[str]]] = {}  # start → (end, keys)
    for key, times in landed.items():
        ordered = sorted(set(times))
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after - before > missed_after:
                start = before + every
                end, keys = found.get(start, (after, []))
                found[start] = (max(end, after), [*keys, key])
    minutes = missed_after.total_seconds() / 60
    return [
        Gap(
            source,
            endpoint,
            start,
            end,
            f"no {endpoint} snapshot of {', '.join(sorted(keys))} landed for more than"
            f" {minutes:g} minutes; {served}",
        )
        for start, (end, keys) in sorted(found.items())
    ]


def answered_per_key(
    source: str,
    key: str,
    answered: Collection[str],
    since: datetime,
    root: Path | None = None,
) -> dict[str, set[datetime]]:
    """When each key (a player, an event) was answered, from the source's fetch logs
    captured at or after ``since``: ``{str(entry[key]): {capture time, …}}`` for every
    log entry whose ``status`` is in ``answered``. Snapshot-only sources land a fetch log
    every tick, naming each key's outcome, while an unchanged answer lands no snapshot
    file: the logs, not the snapshots, say which ticks got an answer. An unreadable log
    is passed over (the loader rejects it, naming why)."""
    landed: dict[str, set[datetime]] = defaultdict(set)
    for f in iter_landing_files(source, ["fetch_log"], root):
        if not isinstance(f, LandingFile) or f.captured_at < since:
            continue
        try:
            entries = f.read_json()
        except (ValueError, OSError, EOFError, zlib.error):  # a corrupt .gz raises zlib.error
            continue
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or entry.get(key) is None:
                continue
            if entry.get("status") in answered:
                landed[str(entry[key])].add(f.captured_at)
    return landed


@dataclass(frozen=True)
class FetchLogGaps:
    """The gap rule of a snapshot-only source asked on snapmart's own schedule (the OSRS
    hiscores, Vivid Seats): its fetch logs say, per ``key`` (a player, an event), which
    ticks got an answer (a ``status`` in ``answered``); two answers of a key more than
    ``missed_after`` apart mean the ticks between were lost, from one cadence (``every``)
    after the earlier answer to the later one (:func:`snapshot_gaps`). Settings of the
    source (``sources.<source>.…``): ``snapshot_gap_minutes`` (default
    ``missed_minutes``) and ``gap_lookback_days`` (default 30): only that many days of
    logs are read, so a tick's cost does not grow with history. ``served`` ends each gap's
    reason (what the API keeps)."""

    source: str
    endpoint: str
    key: str
    answered: tuple[str, ...]
    every: timedelta
    missed_minutes: float
    served: str

    def missed_after(self) -> timedelta:
        """How far apart two answers of a key may be: ``snapshot_gap_minutes``. Less than
        ``every`` makes :meth:`gaps` raise ValueError (recorded as a warning, not a gap)."""
        return timedelta(minutes=float(self._setting("snapshot_gap_minutes", self.missed_minutes)))

    def lookback(self) -> timedelta:
        """How far back the logs are read: ``gap_lookback_days``. A gap is found while the
        answer before it is inside; an outage longer than this is not named (its ticks
        failed, in ``mart_pipeline_runs``)."""
        return timedelta(days=float(self._setting("gap_lookback_days", 30)))

    def gaps(self, root: Path | None = None, now: datetime | None = None) -> list[Gap]:
        """The gaps the logs of the :meth:`lookback` before ``now`` (default: the clock)
        show. The logs' capture times are the ticks', so keys missed in the same ticks
        share one Gap. A key added later has no gap before its first answer; one taken
        out of the config and put back has one for the time it was out."""
        since = (now or clock.now()) - self.lookback()
        landed = answered_per_key(self.source, self.key, self.answered, since, root)
        return snapshot_gaps(
            self.source, self.endpoint, landed, self.every, self.missed_after(), self.served
        )

    def seen_from(self, now: datetime) -> datetime:
        """The earliest gap start :meth:`gaps` can still find at ``now``: a gap starts one
        cadence after its earlier answer, which must be inside the lookback. A recorded gap
        starting before this is out of sight, not filled (orchestration/gaps.py keeps it
        open)."""
        return now - self.lookback() + self.every

    def _setting(self, name: str, default: float) -> object:
        return source_config(self.source, name, default)


def at(ts: int) -> datetime:
    """Epoch seconds → aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)
