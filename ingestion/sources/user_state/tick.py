"""How user state is run: the alerts tick (profiles reloaded, rules evaluated, deliveries
sent), its schedule, and the profiles' freshness."""

from __future__ import annotations

from datetime import timedelta

from ingestion.sources import Job, Schedule, Tick

TICK = Tick(
    job=Job(
        name="alerts_tick",
        description="Reload the profiles folder, evaluate the alert rules on the current marts,"
        " send what is pending (retries of earlier failures too), rebuild the user marts.",
        schedule=Schedule(
            name="alerts_every_5_minutes",
            cron="2-59/5 * * * *",
            description="Profile edits take effect and pending deliveries are retried between"
            " market ticks (every market tick evaluates the rules too).",
        ),
    ),
    freshness=timedelta(minutes=15),  # the alerts tick, every 5 minutes
)
