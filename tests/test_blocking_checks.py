"""A raw table that fails its Great Expectations suite blocks the marts: the CLI exits 4,
names the failing expectation, and does not rebuild anything downstream — not only in
the tick that loaded the bad rows, but in every later tick until they are fixed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from ingestion.landing import write_atomic
from ingestion.simulator.writer import write_osrs_prices
from orchestration import warehouse
from orchestration.cli import app
from orchestration.cli.exit_codes import ExitCode
from tests.conftest import SIM_END, clock_at, scalar

runner = CliRunner()
ITEM = {"avgHighPrice": 190, "highPriceVolume": 5, "avgLowPrice": 188, "lowPriceVolume": 4}


def _bucket(landing, at: datetime) -> None:
    body = {"data": {"2": ITEM}, "timestamp": int(at.timestamp())}
    write_atomic("osrs_prices", "5m", at, json.dumps(body).encode(), root=landing)


def test_future_bucket_blocks_every_build_until_fixed(db, landing) -> None:
    write_osrs_prices(1, seed=2, n_items=8, end=SIM_END, root=landing)
    assert runner.invoke(app, ["refresh", "--replay"]).exit_code == 0
    built = scalar(db, "select count(*) from marts.fct_price_observations")

    # A bucket 400 days ahead gets past the parser only when the tick's clock says so
    # (a capture client whose clock ran a year fast): its load skips the raw checks.
    future = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=400)
    _bucket(landing, future)
    with clock_at(future + timedelta(minutes=5)):
        assert runner.invoke(app, ["ingest", "--replay"]).exit_code == 0
    assert scalar(
        db, "select count(*) from raw_osrs_prices.prices_5m where bucket_at = %s", (future,)
    ) == 1  # fmt: skip

    # back at the real clock, the next tick's checks see that load too, not only its own
    _bucket(landing, SIM_END + timedelta(minutes=5))
    result = runner.invoke(app, ["refresh", "--replay"])
    assert result.exit_code == ExitCode.CHECK_FAILED, result.output
    assert "Refresh done." not in result.output
    assert "raw_osrs_prices.prices_5m: expect_column_max_to_be_between" in result.output
    assert "the marts were not rebuilt" in result.output
    assert scalar(db, "select count(*) from marts.fct_price_observations") == built

    # and the tick after that, with nothing new, is still blocked
    assert runner.invoke(app, ["refresh", "--replay"]).exit_code == ExitCode.CHECK_FAILED
    assert scalar(db, "select count(*) from marts.fct_price_observations") == built

    with warehouse.connect(db) as conn:  # the operator's fix
        conn.execute("delete from raw_osrs_prices.prices_5m where bucket_at = %s", (future,))
    result = runner.invoke(app, ["refresh", "--replay"])
    assert result.exit_code == 0, result.output
    assert scalar(db, "select count(*) from marts.fct_price_observations") == built + 1
