"""How the Dofus market is run: its job (started by the inbox sensor,
orchestration/defs/sensors.py, not by a schedule), and its freshness."""

from __future__ import annotations

from datetime import timedelta

from ingestion.sources import Job, Tick

TICK = Tick(
    job=Job(
        name="dofus_market_tick",
        description="Sweep the Dofus inbox into the landing zone, load, rebuild downstream.",
    ),
    freshness=timedelta(days=1),  # whenever capture clients drop batches
)
