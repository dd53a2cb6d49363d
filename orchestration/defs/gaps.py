"""``no_gaps`` asset checks: a warning on a raw table whose source has data it will never
get back (``ops.fetch_gaps``, orchestration/gaps.py).

One check per raw table of a source that can tell its gaps (its package has
``gaps(root)`` and ``GAP_ENDPOINTS``), on each of those endpoints' tables. WARN
severity: a gap is a fact to know about — the marts built around it are still right
for the data there is — so it never blocks anything downstream. The open gaps are in
the check's metadata.
"""

from __future__ import annotations

from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from ingestion.sources import SOURCES
from ingestion.sources import get as get_source
from orchestration import gaps
from orchestration.defs.resources import WarehouseResource


def build_gap_check(source: str, endpoint: str, table: str) -> Any:
    """The WARN asset check ``no_gaps`` on ``raw_<source>/<table>``: fails (as a warning)
    while ``ops.fetch_gaps`` holds an open gap of ``endpoint``, each in its metadata."""

    @asset_check(
        asset=AssetKey([f"raw_{source}", table]),
        name="no_gaps",
        blocking=False,
        description=(
            f"No open gap in {source}'s {endpoint} data: nothing missing that the API no "
            "longer serves (ops.fetch_gaps). A warning: it names what is lost, and blocks "
            "nothing."
        ),
    )
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        found = gaps.open_gaps(source, endpoint, warehouse.info)
        metadata: dict[str, Any] = {
            "open_gaps": len(found),
            "minutes_missing": sum(g["minutes"] for g in found),
        }
        if found:
            last = found[-1]
            metadata["last_gap"] = f"{last['gap_from']} → {last['gap_to']} ({last['reason']})"
            metadata["gaps"] = MetadataValue.json(found)
        return AssetCheckResult(
            passed=not found, severity=AssetCheckSeverity.WARN, metadata=metadata
        )

    return _check


GAP_CHECKS = [
    build_gap_check(source, spec.endpoint, spec.table.name)
    for source in SOURCES
    if gaps.detects_gaps(source)
    for spec in get_source(source).ENDPOINTS
    if spec.endpoint in get_source(source).GAP_ENDPOINTS
]
