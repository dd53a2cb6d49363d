"""Monthly range partitions of the raw tables partitioned by a timestamp column
(``TableSpec.partition_by``): their bounds, names, and creation before a load."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ingestion.loader.specs import TableSpec


def month_start(ts: datetime) -> datetime:
    """Midnight UTC on the first of ``ts``'s month (in UTC): the lower bound of its monthly
    partition."""
    return ts.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(start: datetime) -> datetime:
    """The first of the month after ``start`` (a month start, as ``month_start`` gives): the
    upper bound, exclusive, of its partition."""
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def partition_name(spec: TableSpec, month: datetime) -> str:
    """The name of a partitioned table's partition for one month: ``<table>_pYYYYMM``."""
    return f"{spec.name}_p{month:%Y%m}"


def ensure_partitions(
    pipeline: Any, tables: Iterable[TableSpec], captures: Iterable[datetime]
) -> list[str]:
    """The monthly partitions the captures about to load fall into (the parent table
    takes no rows of its own: a month without its partition would fail the load)."""
    months = sorted({month_start(ts) for ts in captures})
    targets = [t for t in tables if t.partition_by]
    if not months or not targets:
        return []
    made: list[str] = []
    with pipeline.sql_client() as client:
        dataset = client.fully_qualified_dataset_name()
        for spec in targets:
            parent = client.make_qualified_table_name(spec.name)
            for month in months:
                name = partition_name(spec, month)
                start, end = month.isoformat(), next_month(month).isoformat()
                client.execute_sql(
                    f'create table if not exists {dataset}."{name}" partition of {parent} '
                    f"for values from ('{start}') to ('{end}')"
                )
                made.append(name)
    return made
