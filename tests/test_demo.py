"""`snapmart demo` is Dagster runs on the instance `snapmart ui` reads: after it, the runs
list shows the demo's run and no asset of the definitions reads "Never materialized"."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from tests.conftest import query, scalar

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(db, landing):
    # a small demo: every source simulated, one tick over all of it
    result = runner.invoke(app, ["demo", "--days", "2", "--items", "20", "--seed", "7"])
    assert result.exit_code == 0, result.output
    return result


def test_the_demo_builds_every_source(db, demo) -> None:
    assert "Refresh done." not in demo.output  # the demo has its own ending
    for source in ("osrs_prices", "wow_auctions", "dofus_market", "osrs_hiscores"):
        assert source in demo.output
    assert scalar(db, "select count(distinct source) from marts.dim_markets") >= 5
    assert scalar(db, "select count(*) from marts.mart_item_trends") > 0


def test_the_demo_tick_is_in_the_health_marts(db, demo) -> None:
    """One row per source of the demo's tick in mart_pipeline_runs, all ok, none running."""
    from ingestion.sources import SOURCES

    runs = query(
        db,
        """select source, status, trigger, count(*) over (partition by tick_id)
        from marts.mart_pipeline_runs order by source""",
    )
    assert sorted(r[0] for r in runs) == sorted(SOURCES), runs
    assert {(r[1], r[2], r[3]) for r in runs} == {("ok", "cli-replay", len(SOURCES))}, runs
    fresh = query(
        db,
        "select distinct source from marts.mart_source_health where freshness = 'fresh' order by 1",
    )
    loaded = query(
        db,
        "select source from marts.mart_pipeline_runs where loaded_new_rows order by 1",
    )
    assert fresh == loaded and len(loaded) >= 5, (fresh, loaded)


def test_the_ui_instance_records_the_demo_and_every_materialization(db, demo) -> None:
    """The demo's tick is a run of `refresh_all` started by the CLI, on the instance of
    this warehouse (its DAGSTER_HOME, its database): it succeeded, it materialized every
    asset of that job, it recorded the checks, and no asset reads "Never materialized"."""
    from dagster import DagsterEventType, RunsFilter

    from orchestration import dagster_home
    from orchestration.definitions import defs

    with dagster_home.instance(db) as instance:
        runs = instance.get_runs(
            filters=RunsFilter(job_name="refresh_all", tags={"snapmart/trigger": "cli"})
        )
        assert len(runs) == 1, [r.run_id for r in runs]
        run = runs[0]
        assert run.is_success
        selected = set(defs.resolve_job_def("refresh_all").asset_layer.selected_asset_keys)
        records = instance.get_records_for_run(
            run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION, limit=10_000
        ).records
        materialized = {r.event_log_entry.dagster_event.asset_key for r in records}
        assert selected - materialized == set()
        assert {"raw_osrs_prices", "raw_vividseats", "marts", "alerts"} <= {
            k.path[0] for k in materialized
        }
        graph = defs.resolve_asset_graph()
        never = sorted(
            key.to_user_string()
            for key in graph.materializable_asset_keys
            if instance.get_latest_materialization_event(key) is None
        )
        assert never == []
        evaluations = instance.get_records_for_run(
            run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
        ).records
        names = {r.event_log_entry.dagster_event.asset_check_evaluation_data.check_name
                 for r in evaluations}  # fmt: skip
        # a GX suite on raw, a dbt data test and a volume check, each recorded
        assert "gx_prices_5m" in names
        assert any(name.startswith(("not_null", "unique")) for name in names), sorted(names)[:20]
        assert "volume_vs_trailing_median" in names
