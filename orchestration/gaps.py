"""Gaps a source can never fill, recorded in ``ops.fetch_gaps``
(docs/landing.md#continuation-and-gaps).

After each fetch of a source that knows its gaps (its package has ``gaps(root)``,
ingestion/gaps.py), the gaps found in the landing zone are written here: a new one
inserted, a known one (same source, endpoint and start) kept — its end moved if it
grew — and a recorded one no longer found (a backfill got it after all) closed.
``mart_fetch_gaps`` shows them, and the ``no_gaps`` asset checks warn in Dagster.
Recording is best effort, like the metrics: a failure is logged, never fails the tick.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from ingestion import clock
from ingestion.gaps import Gap
from ingestion.sources import get as get_source
from orchestration import metrics, warehouse

log = logging.getLogger("snapmart.gaps")


def detects_gaps(source: str) -> bool:
    """Whether ``source`` can tell its gaps (its package has ``gaps(root)``)."""
    return hasattr(get_source(source), "gaps")


def record(
    source: str,
    found: list[Gap],
    info: Any = None,
    at: datetime | None = None,
    looked_from: datetime | None = None,
) -> dict[str, int]:
    """Write ``found`` (every gap of ``source`` the landing zone shows now) to
    ``ops.fetch_gaps`` at ``at`` (default: the tick's clock): new gaps inserted, known
    ones updated only when their end or reason changed, open ones not found any more
    closed. A source that looks back only so far cannot see a gap that starts before
    ``looked_from`` (UTC, its ``gaps_seen_from``): such a gap is kept open as it is. Idempotent:
    recording the same list twice changes nothing. Returns ``{"new": n, "open": n,
    "closed": n}``; database errors are raised."""
    at = at or clock.now()
    with warehouse.connect(info) as conn:
        metrics.ensure_table(conn)
        before = {
            (endpoint, start)
            for endpoint, start in conn.execute(
                "select endpoint, gap_from from ops.fetch_gaps"
                " where source = %s and closed_at is null"
                " and (%s::timestamptz is null or gap_from >= %s::timestamptz)",
                (source, looked_from, looked_from),
            ).fetchall()
        }
        new = 0
        for gap in found:
            row = conn.execute(
                """insert into ops.fetch_gaps as g (source, endpoint, gap_from, gap_to, reason,
                    detected_at, updated_at)
                values (%s, %s, %s, %s, %s, %s, %s)
                on conflict (source, endpoint, gap_from) do update
                    set gap_to = excluded.gap_to, reason = excluded.reason,
                        updated_at = excluded.updated_at, closed_at = null
                    where (g.gap_to, g.reason, g.closed_at)
                        is distinct from (excluded.gap_to, excluded.reason, null)
                returning (xmax = 0) as inserted""",
                (source, gap.endpoint, gap.gap_from, gap.gap_to, gap.reason, at, at),
            ).fetchone()
            new += bool(row and row[0])
        current = {(g.endpoint, g.gap_from) for g in found}
        closed = 0
        for endpoint, start in before - current:
            conn.execute(
                "update ops.fetch_gaps set closed_at = %s, updated_at = %s"
                " where source = %s and endpoint = %s and gap_from = %s",
                (at, at, source, endpoint, start),
            )
            closed += 1
        conn.commit()
    return {"new": new, "open": len(found), "closed": closed}


def after_fetch(source: str, root: Path | None, info: Any = None) -> list[Gap]:
    """Find ``source``'s gaps in the landing zone at ``root`` and record them (nothing for
    a source that cannot tell its gaps). Best effort: a failure is logged as a warning
    and gives []; the gaps found otherwise."""
    if not detects_gaps(source):
        return []
    module = get_source(source)
    try:
        # a source reading only its recent fetch logs cannot see an older gap
        now = clock.now()
        seen = getattr(module, "gaps_seen_from", None)
        found = module.gaps(root, now) if seen else module.gaps(root)
        looked_from = seen(now) if seen else None
        record(source, found, info, looked_from=looked_from)
    except Exception as exc:  # the tick's own outcome matters more than its bookkeeping
        log.warning("%s: fetch gaps not recorded: %s", source, exc)
        return []
    return found


def open_gaps(source: str, endpoint: str, info: Any = None) -> list[dict[str, Any]]:
    """The open gaps of one endpoint, oldest first: dicts of endpoint, gap_from and
    gap_to (ISO 8601 UTC), minutes, reason, detected_at; [] when the table is missing."""
    with warehouse.connect(info) as conn:
        exists = conn.execute("select to_regclass('ops.fetch_gaps') is not null").fetchone()[0]
        if not exists:
            return []
        rows = conn.execute(
            """select endpoint, gap_from, gap_to, reason, detected_at from ops.fetch_gaps
            where source = %s and endpoint = %s and closed_at is null order by gap_from""",
            (source, endpoint),
        ).fetchall()
    return [
        {
            "endpoint": e,
            "gap_from": f.isoformat(),
            "gap_to": t.isoformat(),
            "minutes": round((t - f).total_seconds() / 60, 1),
            "reason": r,
            "detected_at": d.isoformat(),
        }
        for e, f, t, r, d in rows
    ]
