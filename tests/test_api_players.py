"""`snapmart api`'s players and leaderboards (issue 22) over a warehouse built here: two
days of hiscores fetches every 2 hours for three simulated players, a banned one (404 on
the hiscores) and "Hand Made", whose answers are written by hand so that gains, records
and achievements can be worked out below. Each answer equals the same question asked in
SQL (custom gain windows: recomputed in Python from the snapshots, and equal to the
mart's rows over the mart's own windows); any spelling of a name finds the player; bad
parameters are 400 problems naming them, unknown players and groups 404."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from typer.testing import CliRunner

from ingestion.landing import write_atomic
from ingestion.simulator.hiscores import Hiscores
from ingestion.sources import osrs_hiscores as src
from orchestration.cli import app
from tests.api_server import PROBLEM, as_json, get, rows_as_json, serve
from tests.conftest import SIM_END, query, scalar

END = SIM_END - timedelta(hours=1)  # the last fetch tick: as_of
STEP = timedelta(hours=2)
TICKS = 25  # END - 48 h … END
PERIODS = {"day": 1, "week": 7, "month": 31, "year": 365}
PLAYERS = (
    "username,account_type,groups\n"
    "Zezima,regular,legends\n"
    "Lynx Titan,regular,legends\n"
    "Settled,ironman,legends;irons\n"
    "Hand Made,ironman,irons;friends\n"
    "Banned Bob,regular,friends\n"
)
HAND = "osrs:hand made"


def _hours(h: int) -> datetime:
    """END - h hours."""
    return END - timedelta(hours=h)


# Hand Made's states (each a changed snapshot), fetched unchanged at every tick between:
# H0 at END-48h, H1 -30h (Attack +100,000 xp, Vorkath 510), H2 -20h (Slayer ranked at
# 5,000 xp, Zulrah 12), H3 -6h (a rollback: Attack 1,090,000; Vorkath 515).
H0, H1, H2, H3 = _hours(48), _hours(30), _hours(20), _hours(6)
HAND_STATES = {
    #   Attack (xp, rank, level), Slayer (xp, rank, level), Vorkath, Zulrah (score, rank)
    H0: ((1_000_000, 100_000, 73), (-1, -1, 1), (480, 20_000), (-1, -1)),
    H1: ((1_100_000, 95_000, 74), (-1, -1, 1), (510, 19_000), (-1, -1)),
    H2: ((1_100_000, 95_000, 74), (5_000, 400_000, 20), (510, 19_000), (12, 60_000)),
    H3: ((1_090_000, 97_000, 73), (5_000, 400_000, 20), (515, 18_900), (12, 60_000)),
}
HITPOINTS = (1_200_000, 90_000, 74)
MINING = (200_000, 150_000, 56)


def _hand_answer(at: datetime) -> bytes:
    """Hand Made's index_lite.json at ``at``: the state in force then."""
    state = HAND_STATES[max(t for t in HAND_STATES if t <= at)]
    (attack, slayer, vorkath, zulrah) = state
    skills = [("Attack", attack), ("Hitpoints", HITPOINTS), ("Slayer", slayer), ("Mining", MINING)]
    overall_xp = sum(xp for _, (xp, _, _) in skills if xp >= 0)
    rows = [{"id": 0, "name": "Overall", "rank": 500_000, "level": 300, "xp": overall_xp}]
    rows += [
        {"id": i, "name": name, "rank": rank, "level": level, "xp": xp}
        for i, (name, (xp, rank, level)) in enumerate(skills, start=1)
    ]
    activities = [
        {"id": i, "name": name, "rank": rank, "score": score}
        for i, (name, (score, rank)) in enumerate((("Vorkath", vorkath), ("Zulrah", zulrah)))
    ]
    payload = {"name": "Hand Made", "skills": rows, "activities": activities}
    return json.dumps(payload, separators=(",", ":")).encode()


def _write_fetches(root) -> None:
    """A fetch tick every STEP through the source's own archive functions: the config
    once, each found player's answer when it changed, every tick's fetch log."""
    hiscores = Hiscores(seed=7, anchor=END.replace(hour=0))
    players = src.read_players(PLAYERS)
    previous: dict[str, bytes] = {}
    for n in range(TICKS):
        at = END - (TICKS - 1 - n) * STEP
        src.archive_players(PLAYERS, at, root)
        log = []
        for player in players:
            name = player["username"]
            if name == "Hand Made":
                body = _hand_answer(at)
            else:
                payload = hiscores.lookup(name, at)
                body = json.dumps(payload, separators=(",", ":")).encode() if payload else None
            if body is None:
                outcome = ("not_found", 404, "not on the hiscores")
                log.append(src.record_outcome(player, None, at, root, status_if_failed=outcome))
                continue
            entry = src.record_outcome(player, body, at, root, previous=previous.get(name))
            if entry["status"] == "changed":
                previous[name] = body
            log.append(entry)
        write_atomic(src.SOURCE, "fetch_log", at, json.dumps(log).encode(), root=root)


@pytest.fixture(scope="module")
def built(db, landing):
    _write_fetches(landing)
    result = CliRunner().invoke(app, ["refresh", "--replay", "--source", "osrs_hiscores"])
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def api(built, tmp_path_factory):
    with serve(built, tmp_path_factory.mktemp("api")) as base:
        yield base


def _player_id(username: str) -> str:
    """dbt's player_id macro in Python: case folded, '-', '_' and spaces alike."""
    return "osrs:" + re.sub(r"[-_\s]+", " ", username.strip()).lower()


def _by_metric(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["metric_kind"], r["metric"]): r for r in rows}


def _problem(answer: requests.Response, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    return answer.json()


def test_openapi_lists_the_player_paths(api) -> None:
    paths = get(api, "/openapi.json").json()["paths"]
    assert {
        "/v1/players/{username}",
        "/v1/players/{username}/gains",
        "/v1/players/{username}/records",
        "/v1/players/{username}/achievements",
        "/v1/leaderboards",
    } <= set(paths)


PLAYER_FIELDS = [
    "player_id",
    "username",
    "account_type",
    "group_names",
    "is_tracked",
    "last_fetched_at",
    "last_changed_at",
    "last_fetch_status",
    "last_found_at",
    "fetch_count",
    "total_level",
    "overall_xp",
]
STATS = ["metric_kind", "metric", "rank", "level", "value", "captured_at"]


@pytest.mark.parametrize(
    "spelling", ["Hand Made", "hand_made", "HAND-MADE", "  hand__made ", "zezima", "LYNX_TITAN"]
)
def test_any_spelling_finds_the_player_and_latest_stats_equal_sql(api, built, spelling) -> None:
    player_id = _player_id(spelling)
    expected_player = query(
        built,
        f"select {', '.join(PLAYER_FIELDS)} from marts.dim_players where player_id = %s",
        (player_id,),
    )
    expected_stats = query(
        built,
        f"""
        select {", ".join(STATS)} from marts.fct_hiscore_snapshots
        where player_id = %s
            and captured_at = (select max(captured_at) from marts.fct_hiscore_snapshots
                where player_id = %s)
        order by metric_kind desc, metric_position
        """,
        (player_id, player_id),
    )
    answer = get(api, f"/v1/players/{spelling}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    player = {c: body["player"][c] for c in PLAYER_FIELDS}
    assert player == rows_as_json(PLAYER_FIELDS, expected_player)[0]
    assert [{c: r[c] for c in STATS} for r in body["data"]] == rows_as_json(STATS, expected_stats)
    assert {r["unit"] for r in body["data"]} == {"xp", "score"}
    assert all(
        r["unit"] == ("xp" if r["metric_kind"] == "skill" else "score") for r in body["data"]
    )
    assert body["as_of"] == body["player"]["last_fetched_at"]
    assert body["player"]["is_tracked"] and body["player"]["last_fetch_status"] in (
        "changed",
        "unchanged",
    )


def test_hand_made_stats_by_hand(api) -> None:
    body = get(api, "/v1/players/hand made").json()
    stats = _by_metric(body["data"])
    assert body["player"]["username"] == "Hand Made"
    assert body["player"]["group_names"] == ["irons", "friends"]
    assert body["player"]["last_changed_at"] == as_json(H3)
    assert body["player"]["last_fetched_at"] == as_json(END)
    attack = stats["skill", "Attack"]
    assert (attack["rank"], attack["level"], attack["value"], attack["unit"]) == (
        97_000,
        73,
        1_090_000,
        "xp",
    )
    assert attack["captured_at"] == as_json(H3)
    # Overall's level is the total level recomputed from the skills: 73 + 74 + 20 + 56
    assert (stats["skill", "Overall"]["level"], stats["skill", "Overall"]["value"]) == (
        223,
        1_090_000 + 1_200_000 + 5_000 + 200_000,
    )
    assert (stats["activity", "Vorkath"]["value"], stats["activity", "Vorkath"]["unit"]) == (
        515,
        "score",
    )
    assert [r["metric"] for r in body["data"]][:2] == ["Overall", "Attack"]  # hiscores order


def test_player_never_found_has_no_stats_and_unknown_player_is_404(api) -> None:
    body = get(api, "/v1/players/banned_bob").json()
    assert body["data"] == [] and body["player"]["last_fetch_status"] == "not_found"
    for path in ("", "/gains", "/records", "/achievements"):
        assert get(api, f"/v1/players/Banned Bob{path}").json()["data"] == []
        problem = _problem(get(api, f"/v1/players/Nobody Here{path}"), 404)
        assert "Nobody Here" in problem["detail"]


GAINS = [
    "metric_kind",
    "metric",
    "start_value",
    "end_value",
    "gained",
    "start_rank",
    "end_rank",
    "rank_change",
    "start_level",
    "end_level",
    "level_change",
    "started_at",
    "ended_at",
]


def _players(built) -> list[str]:
    return [
        r[0]
        for r in query(
            built,
            "select username from marts.dim_players where last_changed_at is not null order by 1",
        )
    ]


@pytest.mark.parametrize("period", list(PERIODS))
def test_period_gains_equal_the_mart(api, built, period) -> None:
    names = _players(built)
    assert len(names) == 4
    for name in names:
        expected = query(
            built,
            f"""select {", ".join(GAINS)} from marts.mart_player_gains
            where player_id = %s and period = %s""",
            (_player_id(name), period),
        )
        answer = get(api, f"/v1/players/{name}/gains", period=period)
        assert answer.status_code == 200
        body = answer.json()
        data = [{c: r[c] for c in GAINS} for r in body["data"]]
        assert sorted(data, key=str) == sorted(rows_as_json(GAINS, expected), key=str)
        assert len(data) > 5
        mart_as_of, period_start = query(
            built,
            "select max(as_of), max(period_start) from marts.mart_player_gains where period = %s",
            (period,),
        )[0]
        assert body["as_of"] == as_json(mart_as_of) == as_json(END)
        assert body["period"] == period and body["period_start"] == as_json(period_start)


def test_the_default_period_is_the_week(api) -> None:
    assert get(api, "/v1/players/zezima/gains").json() == (
        get(api, "/v1/players/zezima/gains", period="week").json()
    )


@pytest.mark.parametrize("period", list(PERIODS))
def test_a_window_over_a_periods_span_equals_the_mart(api, built, period) -> None:
    """The custom window's rule is the mart's: asked for as_of - period … as_of it
    answers mart_player_gains' rows (every player here was fetched every tick)."""
    start = (END - timedelta(days=PERIODS[period])).isoformat()
    for name in _players(built):
        by_period = get(api, f"/v1/players/{name}/gains", period=period).json()["data"]
        window = get(api, f"/v1/players/{name}/gains", start=start, end=END.isoformat()).json()
        assert window["data"] == by_period
        assert window["start"] == as_json(END - timedelta(days=PERIODS[period]))


def _window_in_python(built, player_id: str, start: datetime, end: datetime) -> list[dict]:
    """The documented custom-window rule, in Python over fct_hiscore_snapshots: ends at
    the latest snapshot at or before `end`; starts at the snapshot in force at `start`
    when it was still seen then (a later snapshot exists, or the last found fetch was at
    or after `start`), else at the first snapshot after `start`; nothing inside → the
    end alone. Metrics in either snapshot; missing = unranked (-1), level at its floor."""
    snaps: dict[datetime, dict] = {}
    for at, kind, metric, rank, level, value in query(
        built,
        "select captured_at, metric_kind, metric, rank, level, value"
        " from marts.fct_hiscore_snapshots where player_id = %s",
        (player_id,),
    ):
        snaps.setdefault(at, {})[(kind, metric)] = (rank, level, value)
    last_found = scalar(
        built, "select last_found_at from marts.dim_players where player_id = %s", (player_id,)
    )
    times = sorted(snaps)
    ends = [t for t in times if t <= end]
    if not ends:
        return []
    end_at = ends[-1]
    before = [t for t in times if t <= start]
    after = [t for t in times if t > start]
    if before and (before[-1] != times[-1] or max(before[-1], last_found) >= start):
        start_at = before[-1]
    else:
        start_at = after[0] if after else None
    if start_at is None or start_at > end_at:
        start_at = end_at

    def floor(kind: str, metric: str) -> int | None:
        if kind != "skill" or metric == "Overall":
            return None
        return 10 if metric == "Hitpoints" else 1

    out = []
    for kind, metric in set(snaps[start_at]) | set(snaps[end_at]):
        s_rank, s_level, s_val = snaps[start_at].get((kind, metric), (-1, None, -1))
        e_rank, e_level, e_val = snaps[end_at].get((kind, metric), (-1, None, -1))
        s_level = s_level if (kind, metric) in snaps[start_at] else floor(kind, metric)
        e_level = e_level if (kind, metric) in snaps[end_at] else floor(kind, metric)
        gained = 0 if e_val < 0 else max(0, e_val - max(s_val, 0))
        if (kind, metric) == ("skill", "Overall") and s_val < 0:
            gained = 0
        row = dict(
            zip(GAINS[:7], (kind, metric, s_val, e_val, gained, s_rank, e_rank), strict=True)
        )
        row["rank_change"] = e_rank - s_rank if s_rank > 0 and e_rank > 0 else None
        row["start_level"], row["end_level"] = s_level, e_level
        both = e_level is not None and s_level is not None
        row["level_change"] = e_level - s_level if both else None
        row["started_at"], row["ended_at"] = as_json(start_at), as_json(end_at)
        out.append(row)
    return out


WINDOWS = [
    (_hours(36), _hours(10)),  # H0 in force at the start, H2 at the end
    (_hours(10), END),  # the rollback: H2 → H3
    (_hours(60), _hours(25)),  # starts before the first snapshot: H0 → H1
    (_hours(30), _hours(30)),  # one instant, at H1's capture
    (END + timedelta(hours=1), END + timedelta(hours=2)),  # after the last fetch: H3 alone
    (_hours(100), _hours(90)),  # before anything: no rows
]


@pytest.mark.parametrize(("start", "end"), WINDOWS)
@pytest.mark.parametrize("name", ["Hand Made", "Zezima", "Settled"])
def test_custom_windows_equal_the_rule_recomputed(api, built, name, start, end) -> None:
    expected = _window_in_python(built, _player_id(name), start, end)
    answer = get(api, f"/v1/players/{name}/gains", start=start.isoformat(), end=end.isoformat())
    assert answer.status_code == 200
    data = [{c: r[c] for c in GAINS} for r in answer.json()["data"]]
    assert sorted(data, key=str) == sorted(expected, key=str)


def test_custom_window_gains_by_hand(api) -> None:
    """Hand Made from END-36h to END-10h: H0 was in force at the start (and fetched
    unchanged then), H2 is the last snapshot before the end."""
    answer = get(
        api,
        "/v1/players/Hand_Made/gains",
        start=_hours(36).isoformat().replace("+00:00", "Z"),
        end=_hours(10).strftime("%Y-%m-%dT%H:%M:%S"),  # no offset: UTC
    )
    body = answer.json()
    gains = _by_metric(body["data"])
    attack = gains["skill", "Attack"]
    assert (attack["gained"], attack["rank_change"], attack["level_change"]) == (100_000, -5_000, 1)
    assert (attack["started_at"], attack["ended_at"]) == (as_json(H0), as_json(H2))
    slayer = gains["skill", "Slayer"]  # unranked at the start: counts from 0
    assert (slayer["start_value"], slayer["gained"], slayer["rank_change"]) == (-1, 5_000, None)
    assert slayer["level_change"] == 19
    assert gains["activity", "Vorkath"]["gained"] == 30
    assert gains["activity", "Zulrah"]["gained"] == 12
    assert gains["skill", "Hitpoints"]["gained"] == 0
    overall = gains["skill", "Overall"]
    assert (overall["gained"], overall["level_change"]) == (100_000 + 5_000, 1 + 19)
    assert body["start"] == as_json(_hours(36)) and body["end"] == as_json(_hours(10))
    # the rollback: Attack fell 10,000 xp, which is no gain (and no negative one)
    rolled = _by_metric(
        get(api, "/v1/players/hand made/gains", start=_hours(10).isoformat()).json()["data"]
    )
    assert (rolled["skill", "Attack"]["gained"], rolled["skill", "Attack"]["level_change"]) == (
        0,
        -1,
    )
    assert rolled["activity", "Vorkath"]["gained"] == 5
    # the mart's day (from END-24h): H1 was in force then, H3 is the end
    day = _by_metric(get(api, "/v1/players/hand made/gains", period="day").json()["data"])
    assert (day["skill", "Attack"]["gained"], day["skill", "Slayer"]["gained"]) == (0, 5_000)
    assert day["skill", "Attack"]["started_at"] == as_json(H1)
    # after the last fetch nothing was seen: the window is H3 alone, no gain
    later = get(
        api,
        "/v1/players/hand made/gains",
        start=(END + timedelta(hours=1)).isoformat(),
        end=(END + timedelta(hours=2)).isoformat(),
    ).json()["data"]
    assert later and all(r["gained"] == 0 and r["started_at"] == as_json(H3) for r in later)


RECORDS = ["period", "metric_kind", "metric", "gained", "started_at", "ended_at"]


def test_records_equal_sql_and_by_hand(api, built) -> None:
    for name in _players(built):
        expected = query(
            built,
            f"""select {", ".join(RECORDS)} from marts.mart_player_records where player_id = %s
            order by array_position(array['day', 'week', 'month', 'year'], period::text),
                metric_kind <> 'skill', metric""",
            (_player_id(name),),
        )
        body = get(api, f"/v1/players/{name}/records").json()
        assert [{c: r[c] for c in RECORDS} for r in body["data"]] == rows_as_json(RECORDS, expected)
    day = get(api, "/v1/players/hand-made/records", period="day").json()["data"]
    assert {r["period"] for r in day} == {"day"}
    records = _by_metric(day)
    # Vorkath: 480 → 510 over H0 → H1 (and again H0 → H2; the earliest end is kept)
    vorkath = records["activity", "Vorkath"]
    assert (vorkath["gained"], vorkath["unit"]) == (30, "score")
    assert (vorkath["started_at"], vorkath["ended_at"]) == (as_json(H0), as_json(H1))
    assert records["skill", "Attack"]["gained"] == 100_000
    only = get(api, "/v1/players/hand made/records", metric="vorkath").json()["data"]
    assert [(r["period"], r["metric"]) for r in only] == [
        ("day", "Vorkath"),
        ("week", "Vorkath"),
        ("month", "Vorkath"),
        ("year", "Vorkath"),
    ]


ACHIEVEMENTS = [
    "achievement_id",
    "achievement_name",
    "measure",
    "metric",
    "threshold",
    "measured_value",
    "achieved_at",
    "first_seen_at",
    "is_date_known",
]


def test_achievements_equal_sql_and_by_hand(api, built) -> None:
    for name in _players(built):
        expected = query(
            built,
            f"""select {", ".join(ACHIEVEMENTS)} from marts.mart_player_achievements
            where player_id = %s order by first_seen_at desc, achievement_id, metric""",
            (_player_id(name),),
        )
        body = get(api, f"/v1/players/{name}/achievements").json()
        assert body["data"] == rows_as_json(ACHIEVEMENTS, expected)
    # Hand Made: 480 Vorkath in the first snapshot (100 met before tracking: no date),
    # 510 at H1 (500 met then)
    hand = get(api, "/v1/players/hand made/achievements").json()["data"]
    assert [
        (r["achievement_name"], r["measured_value"], r["achieved_at"], r["first_seen_at"])
        for r in hand
    ] == [("500 Vorkath", 510, as_json(H1), as_json(H1)), ("100 Vorkath", 480, None, as_json(H0))]


BOARD = [
    "position",
    "player_id",
    "username",
    "gained",
    "start_value",
    "end_value",
    "rank_change",
    "level_change",
    "started_at",
    "ended_at",
]


def _page_through(api, **params) -> tuple[list[dict], dict]:
    seen, cursor, first = [], None, None
    while True:
        answer = get(api, "/v1/leaderboards", **params, limit=1, cursor=cursor)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        first = first or body
        seen += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, first


@pytest.mark.parametrize(
    ("group", "metric", "name"),
    [
        ("irons", "Attack", "Attack"),
        ("LEGENDS", "overall", "Overall"),
        ("friends", "Vorkath", "Vorkath"),
        ("legends", "clue_scrolls_all", "Clue Scrolls (all)"),
    ],
)
def test_group_leaderboard_equals_the_mart(api, built, group, metric, name) -> None:
    expected = query(
        built,
        f"""select {", ".join(BOARD)} from marts.mart_leaderboards
        where group_name = %s and period = 'week' and metric = %s
        order by position, player_id""",
        (group.lower(), name),
    )
    assert expected
    seen, first = _page_through(api, group=group, metric=metric, period="week")
    assert seen == rows_as_json(BOARD, expected)
    assert first["group"] == group.lower() and first["metric"] == name
    assert first["as_of"] == as_json(END) and first["period"] == "week"
    whole = get(api, "/v1/leaderboards", group=group, metric=metric, period="week").json()
    assert whole["data"] == seen and whole["next_cursor"] is None


def test_the_all_players_leaderboard_ranks_every_tracked_player_once(api, built) -> None:
    expected = query(
        built,
        f"""select {", ".join(BOARD)} from (
            select rank() over (order by g.gained desc) as position, g.*
            from marts.mart_player_gains as g join marts.dim_players as p using (player_id)
            where p.is_tracked and g.period = 'day' and g.metric = 'Slayer'
        ) as b order by position, player_id""",
    )
    seen, first = _page_through(api, metric="slayer", period="day")
    assert seen == rows_as_json(BOARD, expected)
    assert len(seen) == 4 and first["group"] is None and first["unit"] == "xp"
    hand = next(r for r in seen if r["username"] == "Hand Made")
    assert hand["gained"] == 5_000  # -1 → 5,000 over the day (H1 → H3)
    # defaults: Overall over the week
    default = get(api, "/v1/leaderboards").json()
    assert (default["metric"], default["period"]) == ("Overall", "week")


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/v1/players/zezima/gains", {"period": "fortnight"}, "period"),
        ("/v1/players/zezima/gains", {"start": "yesterday"}, "start"),
        ("/v1/players/zezima/gains", {"start": "2026-11-20", "end": "2026-13-01"}, "end"),
        ("/v1/players/zezima/gains", {"start": "2026-11-21", "end": "2026-11-20"}, "start"),
        ("/v1/players/zezima/gains", {"period": "day", "start": "2026-11-20"}, "period"),
        ("/v1/players/zezima/gains", {"end": "2026-11-20"}, "start"),
        ("/v1/players/zezima/records", {"period": "decade"}, "period"),
        ("/v1/players/zezima/records", {"metric": "Dragon Slaying"}, "metric"),
        ("/v1/players/zezima;drop", {}, "username"),
        ("/v1/leaderboards", {"metric": "nope"}, "metric"),
        ("/v1/leaderboards", {"period": "hour"}, "period"),
        ("/v1/leaderboards", {"limit": "0"}, "limit"),
        ("/v1/leaderboards", {"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_parameter_is_a_400_problem_naming_it(api, path, params, parameter) -> None:
    problem = _problem(get(api, path, **params), 400)
    assert problem["parameter"] == parameter and problem["detail"].startswith(f"{parameter}:")


def test_a_cursor_of_another_board_is_a_400(api) -> None:
    cursor = get(api, "/v1/leaderboards", group="legends", limit=1).json()["next_cursor"]
    assert cursor
    problem = _problem(get(api, "/v1/leaderboards", group="irons", cursor=cursor), 400)
    assert problem["parameter"] == "cursor"


def test_unknown_group_is_a_404(api) -> None:
    problem = _problem(get(api, "/v1/leaderboards", group="pkers"), 404)
    assert "pkers" in problem["detail"]


def test_csv_and_caching(api, built) -> None:
    gains = get(api, "/v1/players/hand made/gains", period="day", format="csv")
    assert gains.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(gains.text)))
    as_json_rows = get(api, "/v1/players/hand made/gains", period="day").json()["data"]
    assert [(r["metric"], int(r["gained"])) for r in rows] == [
        (r["metric"], r["gained"]) for r in as_json_rows
    ]
    stats = get(api, "/v1/players/hand made", format="csv")
    assert stats.headers["Snapmart-Player-Id"] == HAND
    assert next(csv.reader(io.StringIO(stats.text))) == [
        "metric_kind",
        "metric",
        "unit",
        "rank",
        "level",
        "value",
        "captured_at",
    ]
    board = get(api, "/v1/leaderboards", group="irons", metric="attack", format="csv")
    assert [r["username"] for r in csv.DictReader(io.StringIO(board.text))] == [
        r["username"]
        for r in get(api, "/v1/leaderboards", group="irons", metric="attack").json()["data"]
    ]
    first = get(api, "/v1/players/hand made/records")
    last_fetched = scalar(
        built, "select last_fetched_at from marts.dim_players where player_id = %s", (HAND,)
    )
    assert first.headers["Last-Modified"] == last_fetched.astimezone(UTC).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    again = requests.get(
        f"{api}/v1/players/hand made/records",
        headers={"If-None-Match": first.headers["ETag"]},
        timeout=30,
    )
    assert again.status_code == 304
