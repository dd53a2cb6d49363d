"""How Vivid Seats is run: its job, its schedule, and its freshness."""

from __future__ import annotations

from datetime import timedelta

from ingestion.sources import Job, Schedule, Tick

TICK = Tick(
    job=Job(
        name="tickets_tick",
        description="Vivid Seats production records and listings for config/tracked_events.csv"
        " (events not yet past); load, rebuild the tickets marts.",
        schedule=Schedule(
            name="tickets_every_15_minutes",
            cron="*/15 * * * *",
            description="Events from config/tracked_events.csv; requests spread under"
            " SOURCES__VIVIDSEATS__REQUESTS_PER_MINUTE (default 180).",
        ),
    ),
    freshness=timedelta(minutes=45),  # every 15 minutes
)
