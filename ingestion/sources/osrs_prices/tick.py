"""How OSRS prices are run: their job, its schedule, and their freshness."""

from __future__ import annotations

from datetime import timedelta

from ingestion.sources import Job, Schedule, Tick

TICK = Tick(
    job=Job(
        name="osrs_prices_tick",
        description="Fetch the OSRS GE, load raw, rebuild everything downstream, run the checks.",
        schedule=Schedule(
            name="osrs_prices_every_10_minutes",
            cron="*/10 * * * *",
            description="Newest 5m/1h buckets plus every one missed since the last landed, as far"
            " back as the API serves (SOURCES__OSRS_PRICES__SERVED_HISTORY_MINUTES, default"
            " 1440); older ones are recorded as gaps (ops.fetch_gaps).",
        ),
    ),
    freshness=timedelta(minutes=30),  # every 10 minutes
)
