"""The player marts on simulated history (nine players, 30-minute ticks): gains
recomputed here in Python from the snapshots agree with dbt's, the rollback is flagged
and never turns negative, records hold the best windows, and a tick built
incrementally leaves the same tables as a full rebuild."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from ingestion.simulator.writer import write_osrs_hiscores
from orchestration import warehouse
from orchestration.cli import app
from orchestration.cli.demo import print_top_gainers
from orchestration.cli.output import console
from orchestration.mart_lines import mart_lines
from tests.conftest import SIM_END, query, scalar

ANCHOR = SIM_END.replace(hour=0)  # the simulated rollback and new skill are placed from here
PERIODS = {"day": 1, "week": 7, "month": 31, "year": 365}
TABLES = {
    "marts.fct_hiscore_snapshots": "player_id, captured_at, metric_kind, metric",
    "marts.mart_player_records": "player_id, period, metric_kind, metric",
    "marts.mart_player_achievements": "player_id, achievement_id, metric",
    "marts.mart_player_gains": "player_id, period, metric_kind, metric",
    "marts.dim_players": "player_id",
}


def _refresh(*args: str) -> str:
    result = CliRunner().invoke(app, ["refresh", "--replay", "--source", "osrs_hiscores", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def built(db, landing):
    write_osrs_hiscores(10, seed=7, end=SIM_END - timedelta(days=1), anchor=ANCHOR, root=landing)
    return _refresh()


def _player_id(username: str) -> str:
    """dbt's player_id macro in Python: names fold case, '-', '_' and spaces."""
    return "osrs:" + re.sub(r"[-_\s]+", " ", username.strip()).lower()


def test_gains_recomputed_from_snapshots(db, built) -> None:
    """Wise Old Man's gains in plain Python over fct_hiscore_snapshots and what saw each
    state (found fetches in the fetch log, archived answers): the window ends at the
    latest snapshot and starts at the first state seen inside the period — the snapshot
    in force at as_of − period when something saw it at or after then, else the first
    snapshot after it, else the end (issue 19: not the last snapshot before the period,
    which counted a whole idle stretch's progress as the day's). A metric missing from a
    snapshot is −1 there; gained = max(0, end − max(start, 0)), 0 when the end is
    unranked and for Overall from −1; rank change only when ranked at both ends."""
    as_of = scalar(db, "select max(fetched_at) from staging.stg_osrs_hiscores__fetch_events")
    snaps: dict[str, dict] = {}
    for player, at, kind, metric, rank, level, value in query(
        db,
        "select player_id, captured_at, metric_kind, metric, rank, level, value"
        " from marts.fct_hiscore_snapshots",
    ):
        snaps.setdefault(player, {}).setdefault(at, {})[(kind, metric)] = (rank, level, value)
    seen: dict[str, list] = {}
    for name, at in query(
        db,
        "select username, fetched_at from staging.stg_osrs_hiscores__fetch_events"
        " where fetch_status in ('changed', 'unchanged')"
        " union select username, captured_at from raw_osrs_hiscores.hiscore_metrics",
    ):
        seen.setdefault(_player_id(name), []).append(at)
    expected = {}
    for player, by_time in snaps.items():
        times = sorted(by_time)
        end = times[-1]
        for period, days in PERIODS.items():
            start_at = as_of - timedelta(days=days)
            before = [t for t in times if t <= start_at]
            after = [t for t in times if t > start_at]
            in_force = before[-1] if before else None
            until = after[0] if after else as_of + timedelta(days=1)
            if in_force and any(start_at <= o < until for o in seen[player]):
                start = in_force
            else:
                start = after[0] if after else end
            for key in set(by_time[start]) | set(by_time[end]):
                s_rank, _, s_val = by_time[start].get(key, (-1, None, -1))
                e_rank, _, e_val = by_time[end].get(key, (-1, None, -1))
                gained = 0 if e_val < 0 else max(0, e_val - max(s_val, 0))
                if key == ("skill", "Overall") and s_val < 0:
                    gained = 0
                rank_change = e_rank - s_rank if s_rank > 0 and e_rank > 0 else None
                expected[(player, period, *key)] = (s_val, e_val, gained, rank_change, start)
    got = {
        (r[0], r[1], r[2], r[3]): tuple(r[4:])
        for r in query(
            db,
            "select player_id, period, metric_kind, metric, start_value, end_value, gained,"
            " rank_change, started_at from marts.mart_player_gains",
        )
    }
    assert len(expected) > 8 * 4 * 30  # eight players on the hiscores, four periods
    assert got == expected
    # the simulated week shows real gains, and Banned Bob (404) has none
    assert scalar(db, "select max(gained) from marts.mart_player_gains where period = 'week'") > 0
    assert (
        scalar(db, "select count(*) from marts.mart_player_gains where username = 'Banned Bob'")
        == 0
    )


def test_rollback_is_flagged_not_negative(db, built) -> None:
    flagged = query(
        db,
        "select distinct username from marts.fct_hiscore_snapshots where value_change < 0",
    )
    assert flagged == [("Rolled Back",)]
    assert "1 warn" in built  # the hiscore_value_never_decreases test says so in the run
    assert scalar(db, "select min(gained) from marts.mart_player_gains") == 0
    assert scalar(db, "select min(gained) from marts.mart_player_records") > 0


def test_records_cover_current_gains_and_leaderboards_rank_them(db, built) -> None:
    # a record window ending at the latest snapshot starts no later than the current one,
    # so (with xp only going up) no current gain beats its record
    beaten = query(
        db,
        """
        select g.username, g.period, g.metric, g.gained, r.gained
        from marts.mart_player_gains as g
        left join marts.mart_player_records as r using (player_id, period, metric_kind, metric)
        where g.gained > 0 and g.username <> 'Rolled Back'
          and (r.gained is null or r.gained < g.gained)
        """,
    )
    assert beaten == []
    top = query(
        db,
        """
        select group_name, username from marts.mart_leaderboards
        where period = 'week' and metric = 'Overall' and position = 1 order by group_name
        """,
    )
    best = dict(
        query(
            db,
            """
            select grp, username from (
                select grp, g.username, row_number() over (
                    partition by grp order by g.gained desc) as n
                from marts.mart_player_gains as g
                join marts.dim_players as p using (player_id)
                cross join unnest(p.group_names) as grp
                where g.period = 'week' and g.metric = 'Overall'
            ) as x where n = 1
            """,
        )
    )
    assert dict(top) == best and set(best) == {"legends", "irons", "friends"}
    dated = scalar(
        db, "select count(*) from marts.mart_player_achievements where achieved_at is not null"
    )
    undated = scalar(
        db, "select count(*) from marts.mart_player_achievements where achieved_at is null"
    )
    assert dated > 0 and undated > 0  # reached during the history, and before tracking
    with warehouse.connect(db) as conn:
        lines = {line.mart: line for line in mart_lines(conn)}
    assert lines["mart_player_gains"].headline.startswith("top this week: ")
    assert lines["dim_players"].headline.startswith("9 players; last tick ")
    with console.capture() as printed:  # what `make demo` shows
        print_top_gainers(db)
    leader = scalar(
        db,
        "select username from marts.mart_player_gains where period = 'week'"
        " and metric = 'Overall' order by gained desc limit 1",
    )
    out = printed.get()
    assert "Top gainers this week" in out and leader in out and "Banned Bob (not_found)" in out


def _tables(db) -> dict[str, list[tuple]]:
    out = {}
    for table, order in TABLES.items():
        cols = "*" if table != "marts.mart_player_records" else "player_id, period, metric_kind"
        cols += ", metric, gained, started_at, ended_at" if cols != "*" else ""
        out[table] = query(db, f"select {cols} from {table} order by {order}")
    return out


def test_incremental_tick_matches_full_rebuild(db, landing, built) -> None:
    write_osrs_hiscores(1, seed=7, end=SIM_END, anchor=ANCHOR, root=landing)
    _refresh()
    incremental = _tables(db)
    result = CliRunner().invoke(
        app, ["transform", "--full-refresh", "--select", "@source:osrs_hiscores"]
    )
    assert result.exit_code == 0, result.output
    rebuilt = _tables(db)
    for table in TABLES:
        if table in ("marts.mart_player_achievements", "marts.fct_hiscore_snapshots"):
            # load_id says which load a row came from: equal data, not equal load ids
            incremental[table] = [r[:-1] for r in incremental[table]]
            rebuilt[table] = [r[:-1] for r in rebuilt[table]]
        assert incremental[table] == rebuilt[table], table
    fetches = scalar(db, "select fetch_count from marts.dim_players where username = 'Zezima'")
    assert fetches == 11 * 48 + 1  # 30-minute ticks, the shared tick counted once
