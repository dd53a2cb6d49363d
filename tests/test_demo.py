"""`snapmart demo` is Dagster runs on the instance `snapmart ui` reads: after it, the runs
list shows the demo's run and no asset of the definitions reads "Never materialized".

Then `snapmart api` over the demo's warehouse (every source in it): the pages render in
headless Chromium, with their charts and no console error; and OpenAPI-driven property
tests (Schemathesis) meet no server error, whatever the input."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies
from schemathesis import GenerationMode
from typer.testing import CliRunner

from orchestration.cli import app
from tests.api_server import serve
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


@pytest.fixture(scope="module")
def api(demo, db, tmp_path_factory):
    """`snapmart api` over the demo's warehouse: its base URL."""
    with serve(db, tmp_path_factory.mktemp("api")) as base:
        yield base


CHROMIUM_FLAGS = [
    "--no-sandbox",  # root in CI
    "--disable-gpu",
    # the machine has no network: no background calls home, no component updates
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_the_pages_render_in_headless_chromium(api, db) -> None:
    """Each page of a market, an item, a player and an event from the demo: HTTP 200,
    its title, its chart as inline SVG with the axes' units, no console message of level
    error or warning, and no request leaving the server (no script, font or network
    needed). An unknown item is a 404 page."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium is needed for the page tests: `make test` installs it"
    market = scalar(db, "select market_id from marts.mart_market_index order by 1 limit 1")
    currency = scalar(db, "select currency from marts.dim_markets where market_id = %s", (market,))
    item, item_name = query(
        db,
        """select t.item_id, i.item_name from marts.mart_item_trends as t
        join marts.dim_items as i using (item_id)
        where t.market_id = %s order by t.item_id limit 1""",
        (market,),
    )[0]
    player, username = query(
        db,
        """select p.player_id, p.username from marts.dim_players as p
        where exists (select from marts.mart_player_gains as g
            where g.player_id = p.player_id and g.period = 'year' and g.gained > 0)
        order by 1 limit 1""",
    )[0]
    production, event_name = query(
        db,
        """select e.production_id, e.event_name from marts.dim_events as e
        where exists (select from marts.mart_event_prices_daily as p
            where p.production_id = e.production_id) and e.event_date is not null
        order by 1 limit 1""",
    )[0]
    market_name = scalar(db, "select market_name from marts.dim_markets where market_id = %s",
                         (market,))  # fmt: skip
    pages = {
        "/": ("Markets", "index (points, first day = 100)"),
        f"/markets/{market}": (market_name, "index (points, first day = 100)"),
        f"/items/{item}": (item_name, f"price ({currency})"),
        # spelled as a person would type it: upper case, a space as an underscore
        f"/players/{username.upper().replace(' ', '_')}": (username, "Overall (xp)"),
        f"/events/{production}": (event_name, "days to the event"),
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            messages: list[str] = []
            requests_made: list[str] = []
            page.on(
                "console",
                lambda m: (
                    messages.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests_made.append(r.url))
            for path, (title, axis_title) in pages.items():
                requests_made.clear()
                response = page.goto(f"{api}{path}")
                assert response is not None and response.status == 200, (path, response)
                assert page.title() == f"{title} · snapmart", path
                charts = page.locator("figure svg.marks")
                assert charts.count() >= 1, path
                texts = charts.first.locator("text").all_text_contents()
                assert axis_title in texts, (path, texts[:20])
                assert requests_made == [f"{api}{path}"], requests_made
            assert messages == []
            missing = page.goto(f"{api}/items/no-such-item")
            assert missing is not None and missing.status == 404
            assert page.title() == "Not found · snapmart"
        finally:
            browser.close()


def test_no_input_gives_a_server_error(api) -> None:
    """Every operation of the served OpenAPI document, with inputs Hypothesis draws from
    its parameters' schemas (Schemathesis: valid inputs and invalid ones): never a 5xx.
    Schemathesis' pytest plugin does not load under pytest 9; its strategies are driven
    here by Hypothesis directly."""
    schema = schemathesis.openapi.from_url(f"{api}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    errors: list[str] = []
    for operation in operations:
        cases = strategies.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @given(case=cases)
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def never_5xx(case) -> None:
            response = case.call(base_url=api, timeout=60)
            if response.status_code >= 500:
                errors.append(
                    f"{case.method} {case.formatted_path} {case.query}:"
                    f" {response.status_code} {response.text[:300]}"
                )

        never_5xx()
    assert errors == []
