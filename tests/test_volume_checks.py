"""The facts' volume check: six ordinary OSRS ticks pass it; a tick whose 5-minute bucket
brings one item instead of dozens fails it, naming the source, and the check blocks."""

from __future__ import annotations

import json
from datetime import timedelta

from dagster import AssetKey

from ingestion.landing import write_atomic
from ingestion.simulator.writer import write_osrs_prices
from orchestration import ingest, transform
from orchestration.defs.volume import MIN_HISTORY, volume_report
from tests.conftest import SIM_END

BUILD = "+fct_price_observations"


def _build(landing) -> None:
    ingest.load_source("osrs_prices", root=landing)
    result = transform.run_dbt("build", select=BUILD)
    assert result.success, [(n.name, n.message) for n in result.failed()]


def _osrs() -> dict:
    (row,) = [r for r in volume_report("fct_price_observations") if r["source"] == "osrs_prices"]
    return row


def test_an_ordinary_tick_passes_and_a_starved_one_fails(db, landing) -> None:
    for k in range(MIN_HISTORY + 1):  # history: a day, then five-minute ticks
        end = SIM_END + timedelta(minutes=5 * k)
        write_osrs_prices(0.25, seed=4, n_items=40, end=end, root=landing)
        _build(landing)
    ordinary = _osrs()
    assert ordinary["history_loads"] == MIN_HISTORY and not ordinary["anomalous"]
    assert 0.1 <= ordinary["ratio"] <= 10

    bucket_at = SIM_END + timedelta(minutes=5 * (MIN_HISTORY + 1))
    starved = {
        "data": {"2": {"avgHighPrice": 190, "highPriceVolume": 5, "avgLowPrice": 188,
                       "lowPriceVolume": 4}},
        "timestamp": int(bucket_at.timestamp()),
    }  # fmt: skip
    write_atomic("osrs_prices", "5m", bucket_at, json.dumps(starved).encode(), root=landing)
    _build(landing)
    report = _osrs()
    assert report["newest_rows"] == 1
    assert report["anomalous"] and report["ratio"] < 0.1

    from orchestration.defs.resources import WarehouseResource
    from orchestration.defs.volume import VOLUME_CHECKS

    check = next(
        c
        for c in VOLUME_CHECKS
        if AssetKey(["marts", "fct_price_observations"]) in {k.asset_key for k in c.check_keys}
    )
    (spec,) = check.check_specs
    assert spec.blocking
    result = check(warehouse=WarehouseResource.from_env())
    assert not result.passed
    assert "osrs_prices: 1 rows vs median" in result.metadata["anomalous"].value
