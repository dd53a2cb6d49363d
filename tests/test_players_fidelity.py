"""Issue 19's player examples, replayed on a fresh database from a planted landing
archive through `snapmart refresh --replay --source osrs_hiscores` (real dlt, dbt,
PostgreSQL), each right value worked out by hand:

* item 9 — an unchanged player answered first as JSON, then as legacy CSV: one snapshot,
  no gains, no ``activity_NN`` names, the clue count still a clue count; a CSV of an
  unknown length rejected with a reason;
* item 10 — players known only from archived answers, or removed from the config, keep
  their dim_players row (``is_tracked`` false) and their gains; fetch columns from the
  fetch log where there is one, from the archived answers otherwise;
* item 12 — where a period's window starts (day gain 1, not 54; a day record of 20,000,
  not 70,000); Overall from unranked gains 0 while a skill from unranked gains all; a
  metric that appears unranked is no change; a late metric makes no record from its
  first value and its achievements have an unknown date.

All times are counted back from AS_OF, the newest observation in the archive (so the
marts' ``as_of``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from ingestion.landing import write_atomic
from ingestion.simulator.hiscores import to_legacy_csv
from ingestion.sources import osrs_hiscores as src
from orchestration.cli import app
from tests.conftest import query, scalar
from tests.test_players_published_order import VALUES, answer

AS_OF = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
H, D = timedelta(hours=1), timedelta(days=1)
GRID, SAILING = src.PUBLISHED_ORDERS[2], src.PUBLISHED_ORDERS[3]


def _answer(name: str, at: datetime, values: dict[str, int], order=src.CURRENT_ORDER) -> None:
    body = json.dumps(answer(values, order)).encode()
    write_atomic(src.SOURCE, "index_lite", at, body, key=name)


def _log(at: datetime, *entries: tuple[str, str]) -> None:
    log = [
        {"username": name, "account_type": "regular", "status": status, "http_status": 200}
        for name, status in entries
    ]
    write_atomic(src.SOURCE, "fetch_log", at, json.dumps(log).encode())


@pytest.fixture(scope="module")
def built(db, landing):
    # item 10: Kate and Gary are configured and fetched; Gary leaves the config a day ago
    src.archive_players(
        "username,account_type,groups\nKept Kate,regular,friends\nGone Gary,regular,friends\n",
        AS_OF - 2 * D,
    )
    src.archive_players("username,account_type,groups\nKept Kate,regular,friends\n", AS_OF - D)
    _answer("Kept Kate", AS_OF - 2 * D, {"Attack": 100_000})
    _answer("Gone Gary", AS_OF - 2 * D, {"Attack": 200_000})
    _log(AS_OF - 2 * D, ("Kept Kate", "changed"), ("Gone Gary", "changed"))
    _log(AS_OF - 36 * H, ("Kept Kate", "unchanged"), ("Gone Gary", "unchanged"))
    _log(AS_OF - D, ("Kept Kate", "unchanged"))
    _answer("Kept Kate", AS_OF - 6 * H, {"Attack": 150_000})
    _log(AS_OF - 6 * H, ("Kept Kate", "changed"))

    # item 9: the same content as JSON, then as CSV (no config, no fetch log)
    _answer("Json Then Csv", AS_OF - 3 * H, VALUES)
    csv = to_legacy_csv(answer(VALUES)).encode()
    write_atomic(src.SOURCE, "index_lite", AS_OF - 2 * H, csv, key="Json Then Csv", ext="csv")
    short = "\n".join(["1000,50,101333"] * 25 + ["1000,42"] * 12).encode()  # 37 lines
    write_atomic(src.SOURCE, "index_lite", AS_OF - 2 * H, short, key="Short Csv", ext="csv")

    # item 12
    _answer("Window Start", AS_OF - 3 * D, {"Attack": 101_333})  # Zulrah unranked
    _answer("Window Start", AS_OF - timedelta(minutes=1), {"Attack": 101_333, "Zulrah": 53})
    _answer("Window Start", AS_OF, {"Attack": 101_333, "Zulrah": 54})
    _answer("Record Day", AS_OF - 5 * D, {"Attack": 1_000_000})
    _answer("Record Day", AS_OF - 3 * D - 12 * H, {"Attack": 1_050_000})
    _answer("Record Day", AS_OF - 3 * D - 6 * H, {"Attack": 1_070_000})
    _answer("Overall Back", AS_OF - 2 * H, {})  # off every table, Overall included
    _answer("Overall Back", AS_OF - H, {"Overall": 3_000_000, "Attack": 300_000})
    _answer("New Boss", AS_OF - 6 * H, {"Attack": 101_333, "Zulrah": 51}, GRID)
    # the game adds Sailing, Shellbane Gryphon and Brutus, all at -1 here
    _answer("New Boss", AS_OF - 5 * H, {"Attack": 101_333, "Zulrah": 51})
    _answer("New Boss", AS_OF - 4 * H, {"Attack": 101_333, "Zulrah": 51, "Shellbane Gryphon": 7})
    _answer("Late Log", AS_OF - 2 * D, {"Zulrah": 90})  # Collections Logged unranked
    _answer("Late Log", AS_OF - 36 * H, {"Zulrah": 100, "Collections Logged": 653})
    _answer("Late Log", AS_OF - 12 * H, {"Zulrah": 100, "Collections Logged": 660})

    result = CliRunner().invoke(app, ["refresh", "--replay", "--source", "osrs_hiscores"])
    assert result.exit_code == 0, result.output
    return result.output


def _snapshot_times(db, username: str) -> list[datetime]:
    return [
        r[0]
        for r in query(
            db,
            "select captured_at from intermediate.int_players__snapshots"
            " where username = %s order by captured_at",
            (username,),
        )
    ]


def _gains(db, username: str, period: str) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in query(
            db,
            "select metric, start_value, end_value, gained, started_at"
            " from marts.mart_player_gains where username = %s and period = %s",
            (username, period),
        )
    }


def test_json_then_csv_of_the_same_content_is_one_snapshot(db, built) -> None:
    assert _snapshot_times(db, "Json Then Csv") == [AS_OF - 3 * H]
    values = dict(
        query(
            db,
            "select metric, value from marts.fct_hiscore_snapshots where username = %s",
            ("Json Then Csv",),
        )
    )
    assert len(values) == 25 + 89  # the brutus order, every line named
    assert not [m for m in values if m.startswith(("activity_", "skill_"))]
    assert [values[m] for m in ("Clue Scrolls (all)", "Clue Scrolls (hard)", "Zulrah")] == [
        42,
        29,
        51,
    ]
    gains = query(
        db,
        "select count(*), max(gained) from marts.mart_player_gains where username = %s",
        ("Json Then Csv",),
    )
    assert gains == [(4 * 114, 0)]  # every metric in every period, nothing gained
    # both answers loaded to raw: the CSV's lines carry the same names as the JSON's
    raw = query(
        db,
        "select captured_at, count(*), sum(value) filter (where metric = 'Clue Scrolls (all)')"
        " from raw_osrs_hiscores.hiscore_metrics where username = %s"
        " group by captured_at order by captured_at",
        ("Json Then Csv",),
    )
    assert raw == [(AS_OF - 3 * H, 114, 42), (AS_OF - 2 * H, 114, 42)]


def test_csv_of_unknown_length_is_rejected_with_a_reason(db, built) -> None:
    reasons = query(
        db,
        "select reason from raw_osrs_hiscores.rejected_records where landing_file like %s",
        ("%Short%",),
    )
    assert len(reasons) == 1
    assert "legacy CSV answer has 37 lines" in reasons[0][0]
    assert "111 (grid-points), 113 (sailing), 114 (brutus)" in reasons[0][0]


def test_players_without_config_or_fetch_log_are_dimensioned(db, built) -> None:
    rows = query(
        db,
        "select username, is_tracked, last_fetched_at, last_changed_at, last_fetch_status,"
        " last_fetch_source, fetch_count from marts.dim_players"
        " where username in ('Json Then Csv', 'Window Start') order by username",
    )
    assert rows == [
        # two identical last answers: the newest is the last fetch, and unchanged
        ("Json Then Csv", False, AS_OF - 2 * H, AS_OF - 3 * H, "unchanged", "landing_files", 0),
        ("Window Start", False, AS_OF, AS_OF, "changed", "landing_files", 0),
    ]
    # every player with hiscore facts has its row: 8 answered (Short Csv was rejected)
    assert scalar(db, "select count(*) from marts.dim_players") == 8


def test_a_player_removed_from_the_config_keeps_row_and_gains(db, built) -> None:
    rows = query(
        db,
        "select username, is_tracked, group_names, last_fetched_at, last_fetch_status,"
        " last_fetch_source, fetch_count from marts.dim_players"
        " where username in ('Kept Kate', 'Gone Gary') order by username",
    )
    assert rows == [
        ("Gone Gary", False, [], AS_OF - 36 * H, "unchanged", "fetch_log", 2),
        ("Kept Kate", True, ["friends"], AS_OF - 6 * H, "changed", "fetch_log", 4),
    ]
    # Gary's history is in the marts: 114 metrics × 4 periods, nothing gained since
    assert (
        scalar(db, "select count(*) from marts.mart_player_gains where username = 'Gone Gary'")
        == 4 * 114
    )
    # on no leaderboard: only tracked players are
    assert (
        scalar(db, "select count(*) from marts.mart_leaderboards where username = 'Gone Gary'") == 0
    )


def test_window_starts_at_the_first_state_seen_inside_the_period(db, built) -> None:
    # Window Start: seen at AS_OF − 3 d (Zulrah unranked), − 1 min (53), AS_OF (54). The
    # day (from AS_OF − 1 d) starts at the 53: gained 1, not 54.
    assert _gains(db, "Window Start", "day")["Zulrah"] == (
        53,
        54,
        1,
        AS_OF - timedelta(minutes=1),
    )
    assert _gains(db, "Window Start", "week")["Zulrah"] == (-1, 54, 54, AS_OF - 3 * D)
    # Kept Kate: 100,000 at AS_OF − 2 d, found unchanged at − 36 h and − 1 d, 150,000 at
    # − 6 h. The state of − 2 d was still seen at the day's start (AS_OF − 1 d), so the
    # day gained 50,000 (starting at the first changed snapshot inside would say 0).
    assert _gains(db, "Kept Kate", "day")["Attack"] == (100_000, 150_000, 50_000, AS_OF - 2 * D)


def test_day_record_counts_one_day(db, built) -> None:
    # Record Day: 1,000,000 at AS_OF − 5 d, not seen again until 1,050,000 at − 3 d 12 h,
    # then 1,070,000 at − 3 d 6 h. The best day is the 20,000 between the last two; the
    # 70,000 since − 5 d is the week's record.
    records = dict(
        (r[0], r[1:])
        for r in query(
            db,
            "select period, gained, started_at, ended_at from marts.mart_player_records"
            " where username = 'Record Day' and metric = 'Attack'",
        )
    )
    assert records["day"] == (20_000, AS_OF - 3 * D - 12 * H, AS_OF - 3 * D - 6 * H)
    assert records["week"] == (70_000, AS_OF - 5 * D, AS_OF - 3 * D - 6 * H)


def test_overall_from_unranked_gains_nothing(db, built) -> None:
    day = _gains(db, "Overall Back", "day")
    assert day["Overall"][:3] == (-1, 3_000_000, 0)  # its xp was there all along
    assert day["Attack"][:3] == (-1, 300_000, 300_000)  # other metrics: from 0


def test_a_metric_that_appears_unranked_is_no_change(db, built) -> None:
    # New Boss at − 6 h (before Sailing), − 5 h (Sailing, Shellbane, Brutus added at −1:
    # no snapshot), − 4 h (7 Shellbane kills: a snapshot)
    assert _snapshot_times(db, "New Boss") == [AS_OF - 6 * H, AS_OF - 4 * H]
    assert _gains(db, "New Boss", "day")["Shellbane Gryphon"] == (-1, 7, 7, AS_OF - 6 * H)


def test_a_late_metric_makes_no_record_and_no_date_from_its_first_value(db, built) -> None:
    # Late Log: Collections Logged −1 (AS_OF − 2 d), 653 (− 36 h), 660 (− 12 h); Zulrah
    # 90, 100, 100. Windows starting at −1 make no Collections Logged record; the day
    # − 36 h → − 12 h does (+7). Zulrah's +10 (− 2 d → − 36 h) is a record in every period.
    records = query(
        db,
        "select metric, period, gained from marts.mart_player_records"
        " where username = 'Late Log' order by metric, period",
    )
    assert records == [
        ("Collections Logged", "day", 7),
        ("Zulrah", "day", 10),
        ("Zulrah", "month", 10),
        ("Zulrah", "week", 10),
        ("Zulrah", "year", 10),
    ]
    achievements = query(
        db,
        "select achievement_name, achieved_at, first_seen_at, is_date_known"
        " from marts.mart_player_achievements where username = 'Late Log'"
        " order by achievement_name",
    )
    assert achievements == [
        ("100 Collections Logged", None, AS_OF - 36 * H, False),
        ("100 Zulrah", AS_OF - 36 * H, AS_OF - 36 * H, True),
        ("500 Collections Logged", None, AS_OF - 36 * H, False),
    ]
