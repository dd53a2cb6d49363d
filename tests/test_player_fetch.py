"""OSRS hiscores end to end through `snapmart refresh --source osrs_hiscores`, against
the simulator on loopback: an unchanged player is stored once but logged every tick, a
404 and a 503 are statuses rather than failed runs, and bad answers are rejected with
their reasons while everything else in the run loads."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from ingestion.landing import write_atomic
from ingestion.simulator.hiscores import Hiscores
from ingestion.simulator.server import SimulatorServer
from orchestration.cli import app
from orchestration.cli.exit_codes import ExitCode
from tests.conftest import query, scalar

AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # the simulator's clock: answers never move
PLAYERS = (
    "username,account_type,groups\n"
    "Zezima,regular,legends\nSettled,ironman,legends;irons\nBanned Bob,regular,friends\n"
    "Fewer Fred,regular,friends\n"  # not on the simulated hiscores: his answers are planted
)


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(clock=lambda: AT.timestamp()) as server:
        yield server


@pytest.fixture(scope="module")
def configured(db, landing, sim, tmp_path_factory):
    players = tmp_path_factory.mktemp("config") / "tracked_players.csv"
    players.write_text(PLAYERS)
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCES__OSRS_HISCORES__PLAYERS_FILE", str(players))
    mp.setenv("SOURCES__OSRS_HISCORES__BASE_URL", sim.url)
    mp.setenv("SOURCES__OSRS_HISCORES__MAX_ATTEMPTS", "1")
    mp.setenv("SOURCES__OSRS_HISCORES__REQUESTS_PER_SECOND", "0")
    yield
    mp.undo()


def _refresh(code: int = 0) -> str:
    result = CliRunner().invoke(app, ["refresh", "--source", "osrs_hiscores"])
    assert result.exit_code == code, result.output
    return result.stderr


@pytest.fixture(scope="module")
def two_ticks(configured, db):
    _refresh()
    time.sleep(1.1)  # the second tick's files get their own capture second
    _refresh()


def test_unchanged_player_one_snapshot_two_fetch_events(db, two_ticks) -> None:
    snapshots = query(
        db,
        "select count(distinct captured_at), count(*) from marts.fct_hiscore_snapshots"
        " where username = 'Zezima'",
    )[0]
    assert snapshots[0] == 1 and snapshots[1] > 30  # one snapshot: every skill + activity
    events = query(
        db,
        "select fetch_status from staging.stg_osrs_hiscores__fetch_events"
        " where username = 'Zezima' order by fetched_at",
    )
    assert [e[0] for e in events] == ["changed", "unchanged"]
    status, fetches, fetched, changed = query(
        db,
        "select last_fetch_status, fetch_count, last_fetched_at, last_changed_at"
        " from marts.dim_players where username = 'Zezima'",
    )[0]
    assert (status, fetches) == ("unchanged", 2)
    assert fetched > changed  # last_fetched_at moved, last_changed_at did not
    banned = query(
        db,
        "select last_fetch_status, last_http_status, last_changed_at from marts.dim_players"
        " where username = 'Banned Bob'",
    )
    assert banned == [("not_found", 404, None)]
    # the ironman was asked on the ironman board (his groups came from the config)
    groups = scalar(db, "select group_names from marts.dim_players where username = 'Settled'")
    assert groups == ["legends", "irons"]
    assert scalar(
        db, "select count(*) from marts.mart_leaderboards where group_name = 'irons'"
    ) == scalar(db, "select count(*) from marts.mart_player_gains where username = 'Settled'")


def test_failures_and_bad_answers_lose_nothing_else(db, landing, sim, two_ticks) -> None:
    """A 503 marks the player failed; a file without skills and a non-numeric xp are
    rejected with reasons; an answer with fewer metrics than the previous one loads and
    its missing metrics gain nothing (never a negative gain); the rest of the run loads."""
    at = datetime.now(UTC) + timedelta(minutes=1)  # after both ticks' snapshots
    answer = Hiscores(anchor=datetime(2026, 11, 22, tzinfo=UTC)).lookup("Settled", AT)
    fewer = dict(answer, skills=[s for s in answer["skills"] if s["name"] != "Sailing"])
    fewer["activities"] = answer["activities"][:5]
    for when, body in ((at, answer), (at + timedelta(minutes=1), fewer)):
        write_atomic(
            "osrs_hiscores", "index_lite", when, json.dumps(body).encode(), key="Fewer Fred"
        )
    bad_xp = Hiscores(anchor=datetime(2026, 11, 22, tzinfo=UTC)).lookup("Zezima", AT)
    bad_xp["skills"][1]["xp"] = "abc"
    write_atomic("osrs_hiscores", "index_lite", at, json.dumps(bad_xp).encode(), key="Bad Xp")
    no_skills = json.dumps({"name": "Broken", "activities": []}).encode()
    write_atomic("osrs_hiscores", "index_lite", at, no_skills, key="Broken")
    sim.faults.append((503, {}))  # the tick's first request (Zezima) fails
    stderr = _refresh(ExitCode.FETCH_FAILED)  # the others are asked and loaded all the same
    failed = [x for x in stderr.splitlines() if x.startswith("fetch failed:")]
    assert len(failed) == 1 and "player=Zezima answered HTTP 503 after retries" in failed[0]

    zezima = query(
        db,
        "select last_fetch_status, last_http_status, fetch_count from marts.dim_players"
        " where username = 'Zezima'",
    )
    assert zezima == [("failed", 503, 3)]
    assert (
        scalar(db, "select last_fetch_status from marts.dim_players where username = 'Settled'")
        == "unchanged"
    )

    reasons = {
        (r[0].split("__")[-1], r[1])
        for r in query(db, "select landing_file, reason from raw_osrs_hiscores.rejected_records")
    }
    assert ("Bad%20Xp.json", "Attack xp is not a whole number: 'abc'") in reasons
    assert any(f == "Broken.json" and "no 'skills' array" in why for f, why in reasons)
    # the rest of Bad Xp's answer loaded: every metric but the rejected one
    bad_rows = scalar(
        db, "select count(*) from marts.fct_hiscore_snapshots where username = 'Bad Xp'"
    )
    assert bad_rows == len(bad_xp["skills"]) + len(bad_xp["activities"]) - 1

    metrics = query(
        db,
        "select metric_count from intermediate.int_players__snapshots"
        " where username = 'Fewer Fred' order by captured_at",
    )
    assert [m[0] for m in metrics] == [
        len(answer["skills"]) + len(answer["activities"]),
        len(fewer["skills"]) + len(fewer["activities"]),
    ]
    sailing = query(
        db,
        "select start_value, end_value, gained from marts.mart_player_gains"
        " where username = 'Fewer Fred' and period = 'day' and metric = 'Sailing'",
    )
    assert sailing == [(answer["skills"][-1]["xp"], -1, 0)]  # missing at the end: no gain
    assert answer["skills"][-1]["name"] == "Sailing"
    assert scalar(db, "select min(gained) from marts.mart_player_gains") >= 0
