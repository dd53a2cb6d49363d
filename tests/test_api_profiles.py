"""`snapmart api`'s per-profile resources (issue 22): `/v1/profiles/{profile}/watchlist`,
`…/bank/crafts`, `…/alerts`, each for that profile's bearer token only, read as
`snapmart_profile_reader` (schema `profiles` and nothing else). Two profiles built by a
replayed tick of simulated OSRS prices; each answer equals the same question asked in SQL;
another profile's token, a wrong one or none is a 401; the tokens never reach the log."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta

import psycopg
import pytest
import requests
from typer.testing import CliRunner

from ingestion.simulator.writer import write_osrs_prices
from orchestration import warehouse
from orchestration.cli import app
from tests.api_server import PROBLEM, as_json, rows_as_json, serve
from tests.conftest import SIM_END, query

END = SIM_END - timedelta(hours=1)
ALICE = secrets.token_urlsafe(24)
BOB = secrets.token_urlsafe(24)
# Iron ore 440, coal 453 (steel bar, osrs-001: 1 ore + 2 coal), runite bar 2363 (rune
# helm, platelegs, platebody), cannonball 2, nature rune 561, abyssal whip 4151.
ALICE_YAML = """\
profile: {name: Alice, default_market: osrs-ge}
favorites:
  - {item: 2}
  - {item: 561}
watchlists:
  flips:
    - {item: 4151}
    - {item: 2}
  runes:
    - {item: 561}
    - {item: 565}
    - {item: 560}
bank:
  - {item: 440, quantity: 10}
  - {item: 453, quantity: 15}
  - {item: 2363, quantity: 7}
alerts:
  - {id: cheap-balls, type: price_above, item: 2, target: 1, cooldown: 1h}
  - {id: whip-under, type: price_below, item: 4151, target: 1000000000, cooldown: 1h}
"""
BOB_YAML = """\
profile: {name: Bob, default_market: osrs-ge}
favorites:
  - {item: 314}
bank:
  - {item: 453, quantity: 3}
alerts:
  - {id: feathers, type: price_above, item: 314, target: 1, cooldown: 1h}
"""
WATCHLIST = [
    "watchlist_name", "market_id", "item_id", "item_name", "currency", "price",
    "change_1d_pct", "change_7d_pct", "change_30d_pct", "ma_7d", "ma_30d", "volatility_30d",
    "zscore_30d", "trend_state", "forecast_price_1d", "as_of",
]  # fmt: skip
CRAFTS = [
    "recipe_id", "recipe_name", "source", "profession", "market_id", "result_item_id",
    "crafts_from_bank", "crafts_with_purchase", "ingredients", "ingredients_in_bank",
    "units_to_buy", "missing_cost", "result_units", "result_price", "sale_value", "fees",
    "profit", "bank_stock_value", "profit_over_selling_stock", "as_of",
]  # fmt: skip
ALERTS = [
    "rule_type", "alerts", "evaluated_24h", "held_24h", "share_held_24h", "avg_move_24h_pct",
    "evaluated_7d", "held_7d", "share_held_7d", "avg_move_7d_pct", "first_triggered_at",
    "last_triggered_at",
]  # fmt: skip


@pytest.fixture(scope="module")
def built(db, landing, snapmart_home):
    write_osrs_prices(2, seed=11, n_items=26, end=END, root=landing)
    folder = snapmart_home / "profiles"
    written = [folder / "alice.yaml", folder / "bob.yaml"]
    written[0].write_text(ALICE_YAML)
    written[1].write_text(BOB_YAML)
    try:
        loaded = CliRunner().invoke(app, ["profiles", "load"])
        assert loaded.exit_code == 0, loaded.output
        # the tick builds what OSRS prices feed: the profile models and the alerts among it
        result = CliRunner().invoke(app, ["refresh", "--replay", "--source", "osrs_prices"])
    finally:
        for path in written:
            path.unlink()
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def api(built, tmp_path_factory):
    """`snapmart api` with Alice's and Bob's tokens (carol has none); after it stops, its
    log holds neither."""
    log_dir = tmp_path_factory.mktemp("api")
    env = {"API__PROFILE_TOKENS__ALICE": ALICE, "API__PROFILE_TOKENS__BOB": BOB}
    with serve(built, log_dir, extra_env=env) as base:
        yield base
    log = (log_dir / "api.log").read_text()
    assert "/v1/profiles/alice/watchlist" in log  # the access log was written
    assert ALICE not in log and BOB not in log


def get(base: str, path: str, token: str | None, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.get(f"{base}{path}", params=params, headers=headers, timeout=30)


def test_watchlist_equals_sql_and_pages(api, built) -> None:
    expected = query(
        built,
        f"""select {", ".join(WATCHLIST)} from profiles.profile_watchlist
        where profile_id = 'alice' order by watchlist_name, market_id, item_id""",
    )
    # 2 favorites + 2 flips + 3 runes, all in osrs-ge (gp)
    assert len(expected) == 7 and {r[4] for r in expected} == {"gp"}
    whole = get(api, "/v1/profiles/alice/watchlist", ALICE)
    assert whole.status_code == 200
    body = whole.json()
    assert body["data"] == rows_as_json(WATCHLIST, expected)
    assert body["profile"] == "alice" and body["next_cursor"] is None
    newest = query(
        built, "select max(as_of) from profiles.profile_watchlist where profile_id = 'alice'"
    )
    assert body["as_of"] == as_json(newest[0][0])
    assert whole.headers["Last-Modified"] and whole.headers["ETag"]
    assert whole.headers["Cache-Control"].startswith("private, max-age=")
    revalidated = requests.get(
        f"{api}/v1/profiles/alice/watchlist",
        headers={"Authorization": f"Bearer {ALICE}", "If-None-Match": whole.headers["ETag"]},
        timeout=30,
    )
    assert revalidated.status_code == 304
    seen, cursor = [], None
    while True:
        page = get(api, "/v1/profiles/alice/watchlist", ALICE, limit=3, cursor=cursor).json()
        seen += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == body["data"]
    runes = get(api, "/v1/profiles/alice/watchlist", ALICE, watchlist="runes").json()["data"]
    assert [r["item_id"] for r in runes] == [
        "osrs_prices:560", "osrs_prices:561", "osrs_prices:565"
    ]  # fmt: skip
    text = get(api, "/v1/profiles/alice/watchlist", ALICE, format="csv")
    assert text.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(text.text)))
    assert lines[0] == WATCHLIST and len(lines) == 8
    missing = get(api, "/v1/profiles/alice/watchlist", ALICE, watchlist="nope")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    # Bob's answer is Bob's: his one favorite, nothing of Alice's.
    bob = get(api, "/v1/profiles/bob/watchlist", BOB).json()["data"]
    assert [(r["watchlist_name"], r["item_id"]) for r in bob] == [("favorites", "osrs_prices:314")]


def test_bank_crafts_equal_sql_with_hand_worked_steel_bars(api, built) -> None:
    expected = query(
        built,
        f"""select {", ".join(CRAFTS)} from profiles.profile_bank_craft_opportunities
        where profile_id = 'alice'
        order by profit_over_selling_stock desc nulls last, recipe_id, market_id""",
    )
    currencies = dict(query(built, "select market_id, currency from marts.dim_markets"))
    assert len(expected) >= 4  # steel bars, and three rune pieces from the runite bars
    answer = get(api, "/v1/profiles/alice/bank/crafts", ALICE)
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert [{c: r[c] for c in CRAFTS} for r in data] == rows_as_json(CRAFTS, expected)
    assert [r["rank"] for r in data] == list(range(1, len(expected) + 1))
    assert all(r["currency"] == currencies[r["market_id"]] for r in data)
    # By hand: 10 iron ore and 15 coal, one ore and two coal a bar: 7 bars from the bank
    # (15 // 2), 10 when the coal is topped up (5 coal to buy).
    [steel] = [r for r in data if r["recipe_id"] == "osrs-001" and r["market_id"] == "osrs-ge"]
    assert (steel["crafts_from_bank"], steel["crafts_with_purchase"], steel["units_to_buy"]) == (
        7,
        10,
        5,
    )
    assert steel["currency"] == "gp" and steel["result_units"] == 10
    seen, cursor = [], None
    while True:
        page = get(api, "/v1/profiles/alice/bank/crafts", ALICE, limit=1, cursor=cursor).json()
        seen += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == data
    only = get(api, "/v1/profiles/alice/bank/crafts", ALICE, market_id="osrs-ge").json()["data"]
    assert {r["market_id"] for r in only} == {"osrs-ge"}
    assert get(api, "/v1/profiles/alice/bank/crafts", ALICE, market_id="nowhere").status_code == 404
    # Bob's 3 coal: one steel bar after buying an ore; none of Alice's rows.
    bob = get(api, "/v1/profiles/bob/bank/crafts", BOB).json()["data"]
    assert {(r["recipe_id"], r["crafts_from_bank"], r["crafts_with_purchase"]) for r in bob} == {
        ("osrs-001", 0, 1)
    }


def test_alerts_equal_sql(api, built) -> None:
    for profile, token in (("alice", ALICE), ("bob", BOB)):
        expected = query(
            built,
            f"""select {", ".join(ALERTS)} from profiles.profile_alert_effectiveness
            where profile_id = %s order by rule_type""",
            (profile,),
        )
        assert expected
        answer = get(api, f"/v1/profiles/{profile}/alerts", token)
        assert answer.status_code == 200
        assert answer.json()["data"] == rows_as_json(ALERTS, expected)
    alice = get(api, "/v1/profiles/alice/alerts", ALICE).json()["data"]
    assert [r["rule_type"] for r in alice] == ["price_above", "price_below"]


@pytest.mark.parametrize("path", ["watchlist", "bank/crafts", "alerts"])
def test_only_the_profiles_own_token_opens_it(api, path) -> None:
    url = f"/v1/profiles/alice/{path}"
    for token, invalid in ((None, False), (BOB, True), (ALICE + "x", True), ("", False)):
        answer = get(api, url, token)
        assert answer.status_code == 401, (token, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        challenge = answer.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer realm=")
        assert ('error="invalid_token"' in challenge) is invalid
        assert "data" not in answer.json()
    # A profile with no token configured opens to nothing, not even a token of another's.
    assert get(api, f"/v1/profiles/carol/{path}", ALICE).status_code == 401
    # Basic auth is not a bearer token.
    basic = requests.get(f"{api}{url}", auth=("alice", ALICE), timeout=30)
    assert basic.status_code == 401
    bad = get(api, f"/v1/profiles/Alice!/{path}", ALICE)
    assert bad.status_code == 400 and bad.json()["parameter"] == "profile"


def test_a_bad_parameter_is_a_400_after_the_token(api) -> None:
    assert get(api, "/v1/profiles/alice/watchlist", None, limit=0).status_code == 401
    answer = get(api, "/v1/profiles/alice/watchlist", ALICE, limit=0)
    assert answer.status_code == 400 and answer.json()["parameter"] == "limit"
    cursor = get(api, "/v1/profiles/alice/bank/crafts", ALICE, cursor="garbage")
    assert cursor.status_code == 400 and cursor.json()["parameter"] == "cursor"


def test_ingest_without_configured_tokens_is_a_401_saying_so(api, landing) -> None:
    before = sorted(p for p in landing.rglob("*") if p.is_file())
    answer = requests.post(f"{api}/v1/ingest/dofus", data=b"{}", timeout=30)
    assert answer.status_code == 401
    assert answer.json()["type"].endswith("/not-configured")
    assert "api.ingest_tokens" in answer.json()["detail"]
    assert sorted(p for p in landing.rglob("*") if p.is_file()) == before


def test_the_profile_reader_reads_profiles_and_nothing_else(built) -> None:
    """The role the per-profile routes act as: `profiles`, read-only; not marts, not raw,
    not the analyst's role; and the analyst cannot become it."""
    with warehouse.connect(built, autocommit=True) as conn:
        conn.execute("set role snapmart_profile_reader")
        assert conn.execute("select count(*) from profiles.profile_watchlist").fetchone()[0] > 0
        for table in (
            "marts.dim_markets",
            "raw_user_state.bank_items",
            "raw_osrs_prices.prices_5m",
            "alerts.fct_alert_events",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {table} limit 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from profiles.profile_watchlist")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create table profiles.probe as select 1")
        conn.execute("reset role")
        # (SET ROLE is checked against the session's login, here a superuser: membership is
        # what says who may act as whom.)
        members = conn.execute(
            """select r.rolname, m.rolname from pg_auth_members as a
            join pg_roles as r on r.oid = a.roleid join pg_roles as m on m.oid = a.member
            where 'snapmart_profile_reader' in (r.rolname, m.rolname)"""
        ).fetchall()
        assert all(m not in ("snapmart_analyst", "snapmart_loader") for _, m in members)
        assert all(r == "snapmart_profile_reader" for r, _ in members)  # a member of none
        login, connect = conn.execute(
            """select rolcanlogin, has_database_privilege(rolname, current_database(), 'CONNECT')
            from pg_roles where rolname = 'snapmart_profile_reader'"""
        ).fetchone()
        assert (login, connect) == (False, False)
