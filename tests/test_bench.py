"""The bench harness works end to end at tiny scale (no timing is asserted: figures
are measured by `snapmart bench`, not by tests)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from orchestration.cli import app
from tests.conftest import scalar

PERFORMANCE_SUITES = ("ingest", "exchanges", "tickets", "prices", "api")
# the API families every server has (issue 22's first slice); others are measured when present
API_FAMILIES = {"health", "markets list", "market index", "movers", "prices latest", "prices batch"}
# the families whose question the queries suite also answers on the fly from raw
API_RAW = {"movers", "player gains", "item history (1y)", "scanner"}


def test_tiny_bench_writes_results_and_leaves_no_database(db, tmp_path) -> None:
    # every suite but faults (tests/test_bench_faults.py), so that xdist runs them side by side
    suites = [arg for suite in PERFORMANCE_SUITES for arg in ("--suite", suite)]
    result = CliRunner().invoke(app, ["bench", "--scale", "tiny", "--out", str(tmp_path), *suites])
    assert result.exit_code == 0, result.output
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    run = json.loads(files[0].read_text())
    assert run["scale"] == "tiny"
    ingest = [m for m in run["measures"] if m["suite"] == "ingest"]
    assert {(m["name"].split()[0], m["baseline"]) for m in ingest} == {
        (case, baseline)
        for case in ("osrs_buckets", "wow_commodities", "ticket_listings")
        for baseline in (
            "plain psycopg COPY of the parsed rows",
            "dlt row-dict path (rows pre-parsed)",
        )
    }
    for m in ingest:
        assert m["value"] > 0 and m["baseline_value"] > 0 and m["ratio"] > 0
        # every row the timed files hold reached raw, and the baselines loaded the same
        assert sum(m["detail"]["rows_by_table"].values()) >= m["detail"]["rows"] > 0
    rows = {m["name"].split()[0]: m["detail"]["rows"] for m in ingest}
    assert 4_000 < rows["wow_commodities"] < 6_500  # about the 5,000 listings asked for
    assert rows["osrs_buckets"] > 24 * 200  # 2 hours of 5m buckets of 300 items, and 1h
    assert 300 < rows["ticket_listings"] < 900  # 3 events × ~200 listings
    exchanges = {m["name"]: m for m in run["measures"] if m["suite"] == "exchanges"}
    assert set(exchanges) == {
        "load + build wall time",
        "raw bytes per asset-year",
        "marts bytes per asset-year",
    }
    detail = exchanges["raw bytes per asset-year"]["detail"]
    assert detail["assets"] == 12 and detail["daily_candles"] > 12 * 365  # two years each
    assert all(m["value"] > 0 for m in exchanges.values())
    tickets = {m["name"]: m for m in run["measures"] if m["suite"] == "tickets"}
    assert set(tickets) == {
        "load rows/s (listings)",
        "full build wall time",
        "tick (load + build) vs full build",
        "raw bytes per listing snapshot",
        "projected raw at 100 events × 4 months",
    }
    detail = tickets["raw bytes per listing snapshot"]["detail"]
    # 3 events, a day of quarter-hours (97 ticks) plus the timed tick, ~200 listings each
    assert detail["snapshots"] == 3 * 98 and 100 < detail["listings_per_snapshot"] < 300
    assert 30 < tickets["raw bytes per listing snapshot"]["value"] < 500
    projected = tickets["projected raw at 100 events × 4 months"]
    assert projected["baseline_value"] == 20.0 and projected["ratio"] > 0
    prices = {m["name"]: m for m in run["measures"] if m["suite"] == "prices"}
    assert len(prices) == 3
    detail = next(iter(prices.values()))["detail"]
    # the large history holds the small one and about nine times more
    assert 5 * detail["observations_small"] < detail["observations_large"]
    for tick in (detail["tick_small"], detail["tick_large"]):
        assert tick["observations"] > 400 and tick["seconds"] > 0  # two buckets, 400 items
    queries = [m for m in run["measures"] if m["suite"] == "queries"]
    assert len(queries) == 4
    for m in queries:
        assert m["detail"]["runs"] == 50 and m["detail"]["rows"] > 0
        assert m["detail"]["answers_agree"], m["name"]  # marts and raw answer alike
    storage = {m["name"]: m["value"] for m in run["measures"] if m["suite"] == "storage"}
    assert all(v > 0 for v in storage.values()) and len(storage) == 3
    check_api_measures([m for m in run["measures"] if m["suite"] == "api"])
    assert "snapmart bench (tiny)" in result.output
    assert (
        scalar(db, "select count(*) from pg_database where datname like 'snapmart_bench_%%'") == 0
    )


def check_api_measures(api: list[dict]) -> None:
    """The api suite's shape: per family measured four measures (five with an on-the-fly
    equivalent) holding the counts asked for (tiny: 10 requests at 1 client, 32 clients ×
    2), no error and no server traceback; then the summary. Timings are only > 0."""
    *families, summary = api
    assert summary["name"] == "families meeting every target"
    by_family: dict[str, list[dict]] = {}
    for m in families:
        by_family.setdefault(m["name"].split(":")[0], []).append(m)
    assert set(by_family) >= API_FAMILIES, summary["detail"]["skipped"]
    assert summary["baseline_value"] == len(by_family) and 0 <= summary["value"] <= len(by_family)
    assert summary["detail"]["server_errors"] == []
    assert summary["detail"]["http_floor_p50_ms"] > 0
    for family, measures in by_family.items():
        d = measures[0]["detail"]
        assert all(m["detail"] == d for m in measures)
        assert len(measures) == (5 if family in API_RAW else 4), family
        assert d["runs"] == 10 and d["concurrent_requests"] == 32 * 2 and d["errors"] == 0
        assert d["rows"] > 0 and d["sql_rows"] > 0, family
        assert all(m["value"] > 0 for m in measures), family
        assert d["sql_p50_ms"] > 0 and d["requests_per_s"] > 0
        assert d["kind"] in ("single", "list") and len(d["targets"]) == 2
        if family in API_RAW:  # from this run's queries suite, not measured again
            assert d["raw_from"] == "the queries suite of this run" and d["raw_p50_ms"] > 0
        target = next(m for m in measures if m["name"] == f"{family}: p95, 1 client")
        assert target["baseline_value"] == (25.0 if d["kind"] == "single" else 100.0)


def test_unknown_scale_is_one_clear_sentence(db) -> None:
    result = CliRunner().invoke(app, ["bench", "--scale", "huge"])
    assert result.exit_code != 0
    assert "unknown scale 'huge'" in result.output
