"""The bench's fault suite works end to end at tiny scale: the fault files, and issue 21's
operational figures (orchestration/bench/ops_*.py). A file of its own, beside
tests/test_bench.py, so that the two run side by side."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.runtime.roles import harden_server
from tests.conftest import scalar


def test_tiny_fault_suite_and_operational_figures(db, tmp_path, base_url_env) -> None:
    if base_url_env is None:
        # the session's server is the embedded one, reached by URL: closed as `snapmart db
        # start` closes it (postgres and template1 included), so the analyst's probes meet
        # the server a user's bench meets
        harden_server(db)
    result = CliRunner().invoke(
        app, ["bench", "--scale", "tiny", "--suite", "faults", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    run = json.loads(files[0].read_text())
    assert run["scale"] == "tiny"
    assert {m["suite"] for m in run["measures"]} == {"faults", "ops"}
    faults = [m for m in run["measures"] if m["suite"] == "faults" and m["detail"]]
    assert len(faults) == 7 and sum(m["value"] for m in faults) >= 120  # files, 7 sources
    for m in faults:
        assert m["detail"]["crashes"] == 0 and m["detail"]["bad values in marts"] == 0
        assert m["detail"]["files off their expected outcome"] == 0, m["detail"]["problems"]
    ops = {m["name"]: m for m in run["measures"] if m["suite"] == "ops"}
    figure = {k: m["value"] for k, m in ops.items()}
    # every planted secret used by a tick, none found after it (orchestration/bench/ops_secrets.py)
    assert figure["secrets_planted"] == 6 and figure["secrets_found"] == 0, figure
    assert figure["files_searched"] > 100 and figure["tables_searched"] > 50
    assert figure["loose_modes"] == 0
    # kill -9 and concurrent loads (orchestration/bench/ops_locks.py): 3 kills, 1 pair of
    # runs of the prices source at tiny (2 runs; every source's pair: tests/test_locks.py)
    locks = {k: figure[k] for k in ("kills", "kills_survived", "concurrent_runs", "duplicates")}
    assert locks == {"kills": 3, "kills_survived": 3, "concurrent_runs": 2, "duplicates": 0}, ops[
        "kills"
    ]["detail"]["problems"]
    # a 90-minute outage against an API serving 60 minutes (orchestration/bench/ops_gaps.py,
    # worked out in tests/test_gaps.py): 55 of the 95 minutes published meanwhile fetched
    # back, 40 lost as 2 named gaps (one 5m, one 1h), the 9 ticks inside it failed
    outage = (
        "outage_minutes",
        "minutes_recovered",
        "minutes_lost",
        "gaps_recorded",
        "ticks_failed",
    )
    assert {k: figure[k] for k in outage} == dict(zip(outage, (90, 55, 40, 2, 9), strict=True))
    # the analyst's probes on the fault suite's warehouse: each denied but the catalogue's
    assert figure["analyst_probes"] > 10 and figure["analyst_marts_unreadable"] == 0
    assert (
        figure["analyst_probes_denied"] + figure["analyst_probes_visible_by_design"]
        == figure["analyst_probes"]
    )
    assert "operational faults" in result.output
    assert "snapmart bench (tiny)" in result.output
    assert (
        scalar(db, "select count(*) from pg_database where datname like 'snapmart_bench_%%'") == 0
    )
