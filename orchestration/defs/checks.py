"""Great Expectations 1.x suites on raw tables as blocking Dagster asset checks."""

from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, asset_check

from orchestration import quality
from orchestration.defs.resources import WarehouseResource


def build_gx_check(suite: quality.RawSuite) -> Any:
    """The asset check ``gx_<table>`` on the raw table's asset, blocking when the suite is:
    runs the suite over each load not yet passed (``quality.validate_raw_table``), failing
    with the failed expectations in its metadata."""

    @asset_check(
        asset=AssetKey([suite.schema, suite.table]),
        name=f"gx_{suite.table}",
        blocking=suite.blocking,
        description=(
            f"Great Expectations suite on {suite.schema}.{suite.table} ({suite.description}), "
            "over each dlt load not yet passed, one load at a time."
        ),
    )
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        result = quality.validate_raw_table(suite, info=warehouse.info)
        metadata: dict[str, Any] = {
            "rows_validated": result.rows,
            "load_id": result.load_id or "",
            "failed_expectations": len(result.failed),
        }
        if result.failed:
            metadata["failures"] = result.failed
        if result.skipped_reason:
            metadata["note"] = result.skipped_reason
        return AssetCheckResult(
            passed=result.success,
            severity=AssetCheckSeverity.ERROR,
            metadata=metadata,
        )

    return _check


GX_CHECKS = [build_gx_check(suite) for suite in quality.SUITES]
