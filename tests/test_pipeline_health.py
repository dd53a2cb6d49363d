"""Every tick records what it did (ops.pipeline_metrics), and the health marts show it:
a live OSRS tick against the simulator answering 503, then a healthy one."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ingestion.simulator.server import SimulatorServer
from orchestration import transform
from orchestration.cli import app
from tests.conftest import query


@pytest.fixture()
def simulator(monkeypatch: pytest.MonkeyPatch):
    with SimulatorServer(n_items=6) as sim:
        monkeypatch.setenv("SOURCES__OSRS_PRICES__BASE_URL", sim.osrs_base_url)
        monkeypatch.setenv("SOURCES__OSRS_PRICES__MAX_ATTEMPTS", "2")
        monkeypatch.setenv("SOURCES__OSRS_PRICES__BACKOFF_FACTOR", "0.01")
        monkeypatch.setenv("SOURCES__OSRS_PRICES__REQUESTS_PER_SECOND", "0")
        yield sim


def test_a_failed_tick_and_a_good_one_are_recorded_and_shown(db, landing, simulator) -> None:
    simulator.faults.extend([(503, {})] * 2)  # the first request fails twice: the tick fails
    runner = CliRunner()
    down = runner.invoke(app, ["ingest", "--source", "osrs_prices"])
    assert down.exit_code == 0, down.output  # a failed fetch is reported, not a crash
    up = runner.invoke(app, ["ingest", "--source", "osrs_prices"])
    assert up.exit_code == 0, up.output
    result = transform.run_dbt("build", select="+mart_source_health +mart_pipeline_runs")
    assert result.success, [(n.name, n.message) for n in result.failed()]

    runs = query(
        db,
        """select status, http_errors_5xx, http_errors_by_status, requests, retries,
            rows_loaded > 0, error is not null, fetch_seconds is not null
        from marts.mart_pipeline_runs where source = 'osrs_prices' order by started_at""",
    )
    assert len(runs) == 2
    failed, ok = runs
    assert failed[:3] == ("failed", 2, '{"503": 2}')
    assert failed[6] and failed[7]
    assert ok[0] == "ok" and ok[1] == 0 and ok[3] >= 1 and ok[5]
    health = query(
        db,
        """select ticks, ok_ticks, failed_ticks, health, http_errors_5xx
        from marts.mart_source_health where source = 'osrs_prices' and ticks > 0""",
    )
    assert health == [(2, 1, 1, "degraded", 2)]
