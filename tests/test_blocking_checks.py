"""A raw table that fails its Great Expectations suite blocks the marts: the CLI exits 1,
names the failing expectation, and does not rebuild anything downstream."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from ingestion.landing import write_atomic
from ingestion.simulator.writer import write_osrs_prices
from orchestration.cli import app
from tests.conftest import SIM_END, scalar

runner = CliRunner()


def test_future_bucket_blocks_the_build(db, landing) -> None:
    write_osrs_prices(1, seed=2, n_items=8, end=SIM_END, root=landing)
    assert runner.invoke(app, ["refresh", "--replay"]).exit_code == 0
    built = scalar(db, "select count(*) from marts.fct_price_observations")

    future = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=400)
    bucket = {
        "data": {
            "2": {
                "avgHighPrice": 190,
                "highPriceVolume": 5,
                "avgLowPrice": 188,
                "lowPriceVolume": 4,
            }
        },
        "timestamp": int(future.timestamp()),
    }
    write_atomic("osrs_prices", "5m", future, json.dumps(bucket).encode(), root=landing)
    result = runner.invoke(app, ["refresh", "--replay"])

    assert result.exit_code == 1
    assert "raw_osrs_prices.prices_5m: expect_column_max_to_be_between" in result.output
    assert "the marts were not rebuilt" in result.output
    assert (
        scalar(db, "select count(*) from raw_osrs_prices.prices_5m where bucket_at = %s", (future,))
        == 1
    )
    assert scalar(db, "select count(*) from marts.fct_price_observations") == built
