"""The tracked events config (``config/tracked_events.csv``): a line with a
``production_id`` tracks that event; a line with only a ``performer`` (and optionally a
``venue``) tracks every upcoming production the performer's page lists (at that venue)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ingestion.http import config_path
from ingestion.sources.vividseats.tables import SOURCE


def config_file() -> Path:
    """The events config: ``sources.vividseats.events_file``, else ``config/tracked_events.csv``
    in the repository."""
    return config_path(SOURCE, "events_file", "tracked_events.csv", must_exist=True)


def read_config(text: str) -> list[dict[str, Any]]:
    """The events config as rows; a bad line is a ValueError naming it."""
    rows = []
    for n, rec in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        raw_id = (rec.get("production_id") or "").strip()
        performer = (rec.get("performer") or "").strip()
        venue = (rec.get("venue") or "").strip()
        if raw_id:
            if not raw_id.isdigit():
                raise ValueError(f"line {n}: production_id {raw_id!r} is not a number")
            production_id: int | None = int(raw_id)
        elif performer:
            production_id = None
        else:
            raise ValueError(f"line {n}: give a production_id, or a performer (and a venue)")
        rows.append(
            {
                "production_id": production_id,
                "performer": performer or None,
                "venue": venue or None,
                "note": (rec.get("note") or "").strip() or None,
            }
        )
    return rows
