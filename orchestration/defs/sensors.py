"""Sensors: work that starts when files arrive rather than on the clock."""

import os

from dagster import (
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)

from ingestion.landing import landing_root
from ingestion.sources.dofus_market import INBOX, SOURCE

dofus_market_tick = define_asset_job(
    name="dofus_market_tick",
    description="Sweep the Dofus inbox into the landing zone, load, rebuild downstream.",
    selection=AssetSelection.groups("dofus_market").downstream(),
)


def _newest_drop() -> int:
    """Newest modification time (ns) among dropped and archived Dofus batches."""
    newest = 0
    for folder in (INBOX, "observations"):
        path = landing_root() / SOURCE / folder
        if not path.is_dir():
            continue
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_file() and not entry.name.startswith("."):
                    newest = max(newest, entry.stat().st_mtime_ns)
    return newest


@sensor(
    job=dofus_market_tick,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Loads Dofus capture batches as soon as clients drop them in the inbox.",
)
def dofus_inbox_sensor(context: SensorEvaluationContext):
    newest = _newest_drop()
    if newest <= int(context.cursor or 0):
        return SkipReason("no new Dofus batches")
    context.update_cursor(str(newest))
    return RunRequest(run_key=f"dofus-{newest}")
