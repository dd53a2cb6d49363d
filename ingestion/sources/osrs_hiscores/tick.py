"""How the OSRS hiscores are run: their job, its schedule, and their freshness."""

from __future__ import annotations

from datetime import timedelta

from ingestion.sources import Job, Schedule, Tick

TICK = Tick(
    job=Job(
        name="osrs_hiscores_tick",
        description="Ask the hiscores about every tracked player, load what changed and the fetch"
        " log, rebuild the player marts.",
        schedule=Schedule(
            name="osrs_hiscores_every_30_minutes",
            cron="*/30 * * * *",
            description="Tracked players from config/tracked_players.csv.",
        ),
    ),
    freshness=timedelta(minutes=90),  # every 30 minutes
)
