"""Issue 19, item 9: the legacy hiscores CSV (``index_lite.ws``) has no names, so its
lines are named by the version of the table's published order with as many lines (or
by the player's newest JSON answer before it); a CSV of any other length is rejected
with a reason; and the same content answered as JSON and then as CSV is no change.

The positions checked below are the ``id`` fields of real answers: maxswa/osrs-json-
hiscores ``__tests__/b0atyStats.json`` (the doom-of-mokhaiotl order), wise-old-man
``server/__tests__/data/hiscores/lynx_titan_hiscores.json`` (sailing) and a public
client's fixture with Brutus (brutus)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from ingestion.http import SourceClient
from ingestion.landing import iter_landing_files, write_atomic
from ingestion.loader import Reject
from ingestion.simulator.hiscores import to_legacy_csv
from ingestion.simulator.server import SimulatorServer
from ingestion.sources import osrs_hiscores as src

T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
VALUES = {"Attack": 101_333, "Clue Scrolls (all)": 42, "Clue Scrolls (hard)": 29, "Zulrah": 51}


def answer(values: dict[str, int], order: src.PublishedOrder = src.CURRENT_ORDER) -> dict:
    """An index_lite.json answer in ``order``: every metric unranked (-1) but ``values``
    (xp or score), each of those at rank 1,000 (skills at level 50)."""
    skills = [
        {"id": i, "name": name, "rank": 1_000, "level": 50, "xp": values[name]}
        if name in values
        else {"id": i, "name": name, "rank": -1, "level": 1, "xp": -1}
        for i, name in enumerate(order.skills)
    ]
    activities = [
        {
            "id": i,
            "name": name,
            "rank": 1_000 if name in values else -1,
            "score": values.get(name, -1),
        }
        for i, name in enumerate(order.activities)
    ]
    return {"name": "X", "skills": skills, "activities": activities}


def _rows(file) -> list[dict]:
    out = list(src.parse_index_lite(file))
    assert not [r for r in out if isinstance(r, Reject)]
    return out


def test_published_orders_match_the_real_answers() -> None:
    by_version = {o.version: o for o in src.PUBLISHED_ORDERS}
    doom, sailing, brutus = (
        by_version["doom-of-mokhaiotl"],
        by_version["sailing"],
        by_version["brutus"],
    )
    # b0atyStats.json: 24 skills, activity ids 6 / 18 / 40 / 83 / 85
    assert (len(doom.skills), len(doom.activities)) == (24, 86)
    assert [doom.activities.index(n) for n in ("Clue Scrolls (all)", "Collections Logged")] == [
        6,
        18,
    ]
    assert [doom.activities.index(n) for n in ("Doom of Mokhaiotl", "Yama", "Zulrah")] == [
        40,
        83,
        85,
    ]
    # lynx_titan_hiscores.json: Sailing the 25th skill, Grid Points first, Shellbane 62
    assert sailing.skills[-1] == "Sailing" and sailing.activities[0] == "Grid Points"
    assert [sailing.activities.index(n) for n in ("Shellbane Gryphon", "Zulrah")] == [62, 87]
    # Brutus at 26, Shellbane Gryphon 63, Zulrah 88: 25 + 89 = 114 lines
    assert [brutus.activities.index(n) for n in ("Brutus", "Shellbane Gryphon", "Zulrah")] == [
        26,
        63,
        88,
    ]
    # one version per line count: 24 + 79, 24 + 86, 24 + 87, 25 + 88, 25 + 89
    assert [o.lines for o in src.PUBLISHED_ORDERS] == [103, 110, 111, 113, 114]


@pytest.mark.parametrize("order", src.PUBLISHED_ORDERS, ids=lambda o: o.version)
def test_csv_lines_are_named_by_the_version_with_their_count(tmp_path, order) -> None:
    payload = answer(VALUES, order)
    as_json = write_atomic(
        src.SOURCE, "index_lite", T0, json.dumps(payload).encode(), key="J", root=tmp_path
    )
    body = to_legacy_csv(payload).encode()
    as_csv = write_atomic(src.SOURCE, "index_lite", T0, body, key="C", ext="csv", root=tmp_path)
    rows = _rows(as_csv)
    assert [r["metric"] for r in rows] == list(order.skills) + list(order.activities)
    by_name = {r["metric"]: r["value"] for r in rows}
    # the clue count stays a clue count, the kill count a kill count, in every version
    assert (by_name["Clue Scrolls (all)"], by_name["Clue Scrolls (hard)"]) == (42, 29)
    assert (by_name["Zulrah"], by_name["Attack"]) == (51, 101_333)
    assert not [r for r in rows if r["metric"].startswith(("activity_", "skill_"))]
    json_rows = [{**r, "username": "C"} for r in _rows(as_json)]
    assert rows == json_rows  # the same rows as the JSON answer, position included


def test_csv_of_unknown_length_is_rejected_with_the_counts(tmp_path) -> None:
    # 25 skills and the 12 activities the old fixed list named: 37 lines
    lines = ["1000,50,101333"] * 25 + ["1000,42"] * 12
    f = write_atomic(
        src.SOURCE,
        "index_lite",
        T0,
        "\n".join(lines).encode(),
        key="Short",
        ext="csv",
        root=tmp_path,
    )
    with pytest.raises(ValueError) as err:
        list(src.parse_index_lite(f))
    assert str(err.value) == (
        "legacy CSV answer has 37 lines, which matches no known published order of the "
        "hiscores table (known line counts: 103 (colosseum), 110 (doom-of-mokhaiotl), "
        "111 (grid-points), 113 (sailing), 114 (brutus)) and no JSON answer of the player "
        "landed before it"
    )


def test_a_line_of_the_wrong_shape_is_rejected_alone(tmp_path) -> None:
    text = to_legacy_csv(answer(VALUES))
    lines = text.splitlines()
    lines[32] = "1000,42,7"  # line 33 = activity 7, Clue Scrolls (all): rank,score
    f = write_atomic(
        src.SOURCE, "index_lite", T0, "\n".join(lines).encode(), key="B", ext="csv", root=tmp_path
    )
    out = list(src.parse_index_lite(f))
    rejects = [(r.record_pointer, r.reason) for r in out if isinstance(r, Reject)]
    assert rejects == [
        (
            "line 33",
            "line 33 is Clue Scrolls (all) (activity) in the published order: expected "
            "2 (rank,score) fields, got 3",
        )
    ]
    assert len(out) == 114 and {r["metric"] for r in out if isinstance(r, dict)} >= {"Zulrah"}


def test_the_players_newest_json_answer_before_it_names_a_csv(tmp_path) -> None:
    """A game update the versions do not know yet: the JSON answer renamed line 3 (the
    third activity). The CSV after it is named by it; a JSON answer landed after the CSV,
    or another player's, is not used."""
    renamed = answer(VALUES)
    renamed["activities"][2]["name"] = "Plague Points"  # was "Deadman Points"
    write_atomic(src.SOURCE, "index_lite", T0, json.dumps(renamed).encode(), key="P", root=tmp_path)
    later = answer(VALUES)
    later["activities"][2]["name"] = "Later Points"
    write_atomic(
        src.SOURCE,
        "index_lite",
        T0 + timedelta(hours=2),
        json.dumps(later).encode(),
        key="P",
        root=tmp_path,
    )
    body = to_legacy_csv(answer(VALUES)).encode()
    mine = write_atomic(
        src.SOURCE, "index_lite", T0 + timedelta(hours=1), body, key="P", ext="csv", root=tmp_path
    )
    other = write_atomic(
        src.SOURCE, "index_lite", T0 + timedelta(hours=1), body, key="Q", ext="csv", root=tmp_path
    )
    assert [r["metric"] for r in _rows(mine)][25 + 2] == "Plague Points"
    assert [r["metric"] for r in _rows(other)][25 + 2] == "Deadman Points"  # published order


def test_fetch_compares_content_not_bytes(tmp_path) -> None:
    """record_outcome against the player's previous (JSON) answer: the same content as
    CSV is unchanged (nothing archived); a boss added at -1 is unchanged; that boss's
    first kills are a change; so is one more clue."""
    player = {"username": "Same", "account_type": "regular"}
    previous = json.dumps(answer(VALUES, src.PUBLISHED_ORDERS[-2])).encode()  # sailing, 113
    csv_same = to_legacy_csv(answer(VALUES, src.PUBLISHED_ORDERS[-2])).encode()
    json_new_boss = json.dumps(answer(VALUES)).encode()  # brutus: Brutus at -1
    json_brutus_kills = json.dumps(answer({**VALUES, "Brutus": 3})).encode()
    csv_one_more_clue = to_legacy_csv(answer({**VALUES, "Clue Scrolls (all)": 43})).encode()

    def outcome(body: bytes, ext: str) -> str:
        return src.record_outcome(player, body, T0, tmp_path, previous=previous, ext=ext)["status"]

    assert outcome(csv_same, "csv") == "unchanged"
    assert outcome(json_new_boss, "json") == "unchanged"
    assert list(iter_landing_files(src.SOURCE, ["index_lite"], tmp_path)) == []
    assert outcome(json_brutus_kills, "json") == "changed"
    assert outcome(csv_one_more_clue, "csv") == "changed"
    assert len(list(iter_landing_files(src.SOURCE, ["index_lite"], tmp_path))) == 2


def test_a_player_answered_as_json_then_as_csv_is_unchanged(tmp_path, monkeypatch) -> None:
    """Two ticks against the simulator at one moment, the second after switching the
    config to the legacy CSV: every found player is `unchanged` and nothing is archived
    again."""
    players = tmp_path / "players.csv"
    players.write_text("username,account_type,groups\nZezima,regular,\nSettled,ironman,\n")
    monkeypatch.setenv("SOURCES__OSRS_HISCORES__PLAYERS_FILE", str(players))
    root = tmp_path / "landing"
    with SimulatorServer(clock=lambda: T0.timestamp()) as sim:
        client = SourceClient(src.SOURCE, sim.url, per_second=0, max_attempts=2)
        src.fetch(root=root, client=client)
        time.sleep(1.1)  # the second tick's files get their own capture second
        monkeypatch.setenv("SOURCES__OSRS_HISCORES__LEGACY_CSV", "true")
        second = src.fetch(root=root, client=client)
    assert second.skipped == ["Zezima: unchanged", "Settled: unchanged"]
    answers = list(iter_landing_files(src.SOURCE, ["index_lite"], root))
    assert sorted((f.key, f.ext) for f in answers) == [("Settled", "json"), ("Zezima", "json")]
