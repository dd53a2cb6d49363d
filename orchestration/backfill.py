"""`snapmart backfill`: one Dagster run over a range of daily partitions.

The CLI launches the same job the schedule runs (the source's ``TICK.job``, e.g.
``osrs_prices_tick``, ``exchanges_tick`` for Binance; ingestion/sources/) on the instance
`snapmart ui` shows (runs, partitions and pools live in PostgreSQL, see dagster_home), so

* the run and the partitions it fills appear in the UI like a backfill launched there;
* it waits for, never collides with, a scheduled tick of the same source: both take the
  ``ingest_<source>`` and ``dbt_price_facts`` pools (limit 1 each);
* the range is one run (``BackfillPolicy.single_run``), whatever its length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ingestion import clock
from ingestion.sources import tick as source_tick
from orchestration import warehouse

MAX_DAYS = 400
FULL_DAY = {"5m": 288, "1h": 24, "1m": 1440, "1d": 1}  # observation times in a whole day


@dataclass
class BackfillResult:
    """What a backfill run did: the Dagster run id and whether it succeeded, the steps that
    failed and the first error, each tick's metrics row (status, files, rows loaded,
    error), the coverage per day (``coverage``), and the log file."""

    run_id: str
    success: bool
    failed_steps: list[str] = field(default_factory=list)
    error: str | None = None
    ticks: list[tuple] = field(default_factory=list)  # (status, files, rows_loaded, error)
    coverage: list[tuple[date, dict[str, int]]] = field(default_factory=list)
    log_path: Path | None = None


def backfillable() -> tuple[str, ...]:
    """The sources a backfill can take: those whose package has ``fetch_window`` (an API that
    answers for a past range)."""
    from orchestration.defs.partitions import BACKFILL_SOURCES

    return BACKFILL_SOURCES


def validate(source: str, start: date, end: date, today: date | None = None) -> None:
    """Clear errors before anything starts: which sources can go back in time, and when."""
    from orchestration.defs.partitions import PARTITIONS_START

    sources = backfillable()
    if source not in sources:
        raise ValueError(
            f"{source!r} cannot be backfilled: backfills ask an API for a past range, which"
            f" only {', '.join(sources)} answer; snapshot sources only see the present, and"
            " Yahoo's daily bars continue from the newest one landed by themselves"
        )
    today = today or clock.now().date()
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    if end > today:
        raise ValueError(f"--to {end} is in the future (today is {today} UTC)")
    first = date.fromisoformat(PARTITIONS_START)
    if start < first:
        raise ValueError(
            f"--from {start} is before the first partition {first} (SNAPMART_PARTITIONS_START)"
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise ValueError(f"{(end - start).days + 1} days in one run; split it (at most {MAX_DAYS})")


def run(
    source: str,
    start: date,
    end: date,
    on_record: Callable[[Any], None] | None = None,
    wh: warehouse.Warehouse | None = None,
) -> BackfillResult:
    """Materialize the partitions ``start``..``end`` (inclusive, UTC days) of the source's
    tick job in one in-process run on the persistent Dagster instance, on ``wh`` (by
    default the warehouse the environment names); ``on_record`` sees the run's event log
    as it is written, and the log file keeps its messages."""
    from dagster import AssetSelection

    from orchestration import runs
    from orchestration.definitions import defs
    from orchestration.defs.partitions import BACKFILL_TAG

    validate(source, start, end)
    wh = wh or warehouse.current()
    info = wh.info
    log_path = _log_path(source, start, end, wh.settings.home)
    # the source and what lies downstream of it, not the job's other sources
    selected = AssetSelection.groups(source).downstream().resolve(defs.resolve_asset_graph())
    tags = {
        "dagster/asset_partition_range_start": start.isoformat(),
        "dagster/asset_partition_range_end": end.isoformat(),
        BACKFILL_TAG: f"{source} {start}..{end}",
    }
    with log_path.open("w") as log:

        def record(entry: Any) -> None:
            log.write(_log_line(entry))
            log.flush()
            if on_record is not None:
                on_record(entry)

        outcome = runs.execute(
            source_tick(source).job.name,
            wh,
            selection=selected,
            tags=tags,
            on_record=record,
        )
    failed, error = [], None
    for entry in outcome.records:
        event = entry.dagster_event
        if event is not None and event.is_step_failure:
            failed.append(entry.step_key)
            if error is None and event.step_failure_data.error:
                cause = event.step_failure_data.error  # the user's exception, not the wrapper
                while cause.cause is not None:
                    cause = cause.cause
                error = cause.message.strip().splitlines()[-1][:500]
    out = BackfillResult(outcome.run_id, outcome.success, failed, error, log_path=log_path)
    out.ticks = _ticks(info, outcome.run_id)
    out.coverage = coverage(info, source, start, end)
    return out


def _log_line(entry: Any) -> str:
    when = datetime.fromtimestamp(entry.timestamp, UTC).strftime("%H:%M:%S")
    what = entry.dagster_event.event_type_value if entry.dagster_event else "LOG"
    return f"{when} {entry.step_key or '-'} {what}: {entry.message or entry.user_message}\n"


def _log_path(source: str, start: date, end: date, home: Path) -> Path:
    log_dir = home / ".snapmart" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    return log_dir / f"backfill-{source}-{start}-{end}.log"


def _ticks(info: warehouse.ConnectionInfo, run_id: str) -> list[tuple[Any, ...]]:
    with warehouse.connect(info) as conn:
        return conn.execute(
            """select status, files_fetched, rows_loaded, error from ops.pipeline_metrics
            where run_id = %s order by started_at""",
            (run_id,),
        ).fetchall()


def coverage(
    info: warehouse.ConnectionInfo, source: str, start: date, end: date
) -> list[tuple[date, dict[str, int]]]:
    """Per day of the range: distinct observation times per resolution in the price fact
    (``FULL_DAY`` says what a whole day holds), so a gap is a number, not a hunch."""
    lo = datetime.combine(start, datetime.min.time(), UTC)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    with warehouse.connect(info) as conn:
        if conn.execute("select to_regclass('marts.fct_price_observations')").fetchone()[0] is None:
            rows = []  # the build never got that far
        else:
            rows = conn.execute(
                """select (o.observed_at at time zone 'UTC')::date, o.resolution,
                    count(distinct o.observed_at)
                from marts.fct_price_observations as o
                where o.source = %s and o.observed_at >= %s and o.observed_at < %s
                group by 1, 2""",
                (source, lo, hi),
            ).fetchall()
    found: dict[date, dict[str, int]] = {}
    for day, resolution, n in rows:
        found.setdefault(day, {})[resolution] = n
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return [(d, found.get(d, {})) for d in days]
