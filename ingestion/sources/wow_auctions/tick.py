"""How the WoW auction houses are run: their job, its schedule, and their freshness."""

from __future__ import annotations

from datetime import timedelta

from ingestion.sources import Job, Schedule, Tick

TICK = Tick(
    job=Job(
        name="wow_auctions_tick",
        description="Fetch the WoW commodity and realm snapshots, load, rebuild downstream.",
        schedule=Schedule(
            name="wow_auctions_hourly",
            cron="15 * * * *",
            description="Needs Blizzard API credentials (SOURCES__WOW_AUCTIONS__CLIENT_ID/SECRET)"
            " and connected realms (SOURCES__WOW_AUCTIONS__CONNECTED_REALMS); off until set.",
            running=False,
        ),
    ),
    freshness=timedelta(hours=3),  # hourly
)
