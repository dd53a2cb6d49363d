"""`snapmart api` (issue 22, first slice): the real command on loopback, over a warehouse
built here from the simulator (OSRS prices for the markets, Binance and Yahoo for the
prices). Each endpoint's answer equals the same question asked in SQL; bad parameters
are 400 problems naming them, an unknown market 404; CSV; ETag and 304."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from typer.testing import CliRunner

from ingestion.simulator.writer import write_exchanges, write_osrs_prices
from orchestration.cli import app
from orchestration.runtime.settings import PROJECT_ROOT
from tests.conftest import SIM_END, query

END = SIM_END - timedelta(hours=1)
ASSETS = (
    "symbol,name,asset_type,provider,provider_symbol,currency\n"
    "BTC,Bitcoin,crypto,binance,BTCUSDT,USDT\n"
    "ETH,Ether,crypto,binance,ETHUSDT,USDT\n"
    "AAPL,Apple Inc.,stock,yahoo_finance,AAPL,USD\n"
)
PROBLEM = "application/problem+json"


def as_json(value):
    """A SQL value as the API's JSON must hold it (UTC ISO times, whole numbers as ints)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def rows_as_json(columns: list[str], rows: list[tuple]) -> list[dict]:
    return [{c: as_json(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def built(db, landing, tmp_path_factory):
    assets = tmp_path_factory.mktemp("config") / "tracked_assets.csv"
    assets.write_text(ASSETS)
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCES__BINANCE__ASSETS_FILE", str(assets))
    mp.setenv("SOURCES__YAHOO_FINANCE__ASSETS_FILE", str(assets))
    mp.setenv("SOURCES__BINANCE__HISTORY_DAYS", "10")
    mp.setenv("SOURCES__YAHOO_FINANCE__HISTORY_DAYS", "10")
    write_osrs_prices(2, seed=11, n_items=12, end=END, root=landing)
    write_exchanges(seed=11, end=END, root=landing, assets_file=assets)
    result = CliRunner().invoke(
        app,
        [
            "refresh",
            "--replay",
            "--source",
            "osrs_prices",
            "--source",
            "binance",
            "--source",
            "yahoo_finance",
        ],
    )
    assert result.exit_code == 0, result.output
    yield db
    mp.undo()


@pytest.fixture(scope="module")
def api(built, tmp_path_factory):
    """`snapmart api` as a child process on a free loopback port; its base URL. Its output
    goes to a file, not a pipe nobody reads while it runs (a full pipe would block its
    access log, and with it the server)."""
    port = free_port()
    log = tmp_path_factory.mktemp("api") / "api.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "api", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env={**os.environ, "COLUMNS": "200"},
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a loaded CI machine starts it slowly
    while True:
        try:
            if requests.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"snapmart api did not start:\n{log.read_text()}")
        time.sleep(0.2)
    yield base
    proc.terminate()  # SIGTERM: uvicorn shuts down cleanly, closing the pool
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    out = log.read_text()
    # the password never reaches the server's output
    password = built.password or "\0never"
    assert password not in out


def get(base: str, path: str, **params) -> requests.Response:
    return requests.get(f"{base}{path}", params=params, timeout=30)


def test_docs_and_openapi(api) -> None:
    docs = get(api, "/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    paths = get(api, "/openapi.json").json()["paths"]
    assert {
        "/v1/health",
        "/v1/markets",
        "/v1/markets/{market_id}/index",
        "/v1/markets/{market_id}/movers",
        "/v1/prices/latest",
        "/v1/prices/batch",
    } <= set(paths)


def test_health_equals_sql(api, built) -> None:
    columns = ["source", "hour_start", "health", "freshness", "ticks", "open_gaps"]
    expected = query(
        built,
        """
        select distinct on (h.source) h.source, h.hour_start, h.health, h.freshness, h.ticks,
            h.open_gaps
        from marts.mart_source_health as h
        where h.ticks > 0
        order by h.source, h.hour_start desc
        """,
    )
    answer = get(api, "/v1/health")
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert [{c: row[c] for c in columns} for row in data] == rows_as_json(columns, expected)
    assert {row["source"] for row in data} >= {"osrs_prices", "binance", "yahoo_finance"}
    assert all(row["health"] == "ok" and row["freshness"] == "fresh" for row in data)
    assert answer.headers["Cache-Control"] == "max-age=60"


def test_markets_page_through_equals_sql(api, built) -> None:
    columns = [
        "market_id",
        "source",
        "market_name",
        "region",
        "market_kind",
        "currency",
        "supply_market_id",
    ]
    expected = query(built, f"select {', '.join(columns)} from marts.dim_markets order by 1")
    assert len(expected) > 3
    whole = get(api, "/v1/markets").json()
    assert whole["data"] == rows_as_json(columns, expected) and whole["next_cursor"] is None
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        answer = get(api, "/v1/markets", **params)
        assert answer.status_code == 200
        body = answer.json()
        seen += body["data"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            assert "Link" not in answer.headers
            break
        assert 'rel="next"' in answer.headers["Link"] and "cursor=" in answer.headers["Link"]
    assert seen == whole["data"]
    assert pages == -(-len(expected) // 2)


def test_market_index_equals_sql(api, built) -> None:
    for days in (30, 2):
        expected = query(
            built,
            """
            select day, index_value, change_pct, items from marts.mart_market_index
            where market_id = 'osrs-ge' and day > (
                select max(day) from marts.mart_market_index where market_id = 'osrs-ge'
            ) - %s
            order by day
            """,
            (days,),
        )
        answer = get(api, "/v1/markets/osrs-ge/index", days=days)
        assert answer.status_code == 200
        body = answer.json()
        assert body["data"] == rows_as_json(["day", "index_value", "change_pct", "items"], expected)
        assert body["market_id"] == "osrs-ge" and body["currency"] == "gp"
    assert len(get(api, "/v1/markets/osrs-ge/index", days=2).json()["data"]) == 2
    as_of = query(
        built, "select max(as_of) from marts.mart_item_trends where market_id = 'osrs-ge'"
    )
    assert body["as_of"] == as_json(as_of[0][0])


@pytest.mark.parametrize(
    ("window", "sort", "rank"),
    [
        ("1d", "gain", "rank_gain"),
        ("1d", "loss", "rank_loss"),
        ("1d", "abs", "rank_abs"),
        ("7d", "gain", "rank_gain"),  # two days of history: no 7-day change, an empty list
    ],
)
def test_movers_page_through_equals_sql(api, built, window, sort, rank) -> None:
    expected = query(
        built,
        f"""
        select m.{rank}, m.item_id, i.item_name, m.change_pct, m.price, m.as_of
        from marts.mart_movers as m left join marts.dim_items as i using (item_id)
        where m.market_id = 'osrs-ge' and m."window" = %s
        order by m.{rank}, m.item_id
        """,
        (window,),
    )
    assert len(expected) >= 5 if window == "1d" else expected == []
    columns = ["rank", "item_id", "item_name", "change_pct", "price", "as_of"]
    seen, cursor = [], None
    while True:
        params = {"window": window, "sort": sort, "limit": 4}
        body = get(api, "/v1/markets/osrs-ge/movers", **params, cursor=cursor).json()
        seen += [{c: row[c] for c in columns} for row in body["data"]]
        assert all(row["currency"] == "gp" for row in body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == rows_as_json(columns, expected)
    first = get(api, "/v1/markets/osrs-ge/movers", window=window, sort=sort).json()
    assert len(first["data"]) == min(20, len(expected))  # the default limit
    changes = [row["change_pct"] for row in seen]
    if sort == "gain":
        assert changes == sorted(changes, reverse=True)
    elif sort == "loss":
        assert changes == sorted(changes)


def test_latest_prices_and_batch_equal_sql(api, built) -> None:
    columns = ["symbol", "price", "change_24h_pct", "updated_at", "currency"]
    expected = {
        row[0]: dict(zip(columns, map(as_json, row), strict=True))
        for row in query(
            built, f"select {', '.join(columns)} from marts.mart_latest_prices order by symbol"
        )
    }
    assert {"BTC", "ETH", "AAPL"} <= set(expected)
    answer = get(api, "/v1/prices/latest", symbols="eth, AAPL,NOPE,BTC,ETH")
    assert answer.status_code == 200
    body = answer.json()
    assert [{c: row[c] for c in columns} for row in body["data"]] == [
        expected["ETH"],
        expected["AAPL"],
        expected["BTC"],
    ]
    assert body["unknown"] == ["NOPE"]
    assert body["as_of"] == max(expected[s]["updated_at"] for s in ("ETH", "AAPL", "BTC"))
    batch = requests.post(
        f"{api}/v1/prices/batch", json={"symbols": ["BTC", "ZZZ", "aapl"]}, timeout=30
    )
    assert batch.status_code == 200
    body = batch.json()
    assert [row["symbol"] for row in body["data"]] == ["BTC", "AAPL"]
    assert [{c: row[c] for c in columns} for row in body["data"]] == [
        expected["BTC"],
        expected["AAPL"],
    ]
    assert body["unknown"] == ["ZZZ"]


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/v1/markets/osrs-ge/movers", {"window": "2d"}, "window"),
        ("/v1/markets/osrs-ge/movers", {"sort": "up"}, "sort"),
        ("/v1/markets/osrs-ge/movers", {"limit": "-1"}, "limit"),
        ("/v1/markets/osrs-ge/movers", {"limit": "100000"}, "limit"),
        ("/v1/markets/osrs-ge/movers", {"cursor": "not-a-cursor"}, "cursor"),
        ("/v1/markets", {"cursor": "eyJrIjoibWFya2V0cyIsImFmdGVyIjpbMV19"}, "cursor"),
        ("/v1/markets/osrs-ge/index", {"days": "abc"}, "days"),
        ("/v1/markets/osrs-ge/index", {"days": "0"}, "days"),
        ("/v1/markets", {"limit": "1.5"}, "limit"),
        ("/v1/markets", {"format": "xml"}, "format"),
        ("/v1/prices/latest", {}, "symbols"),
        ("/v1/prices/latest", {"symbols": ",,"}, "symbols"),
        ("/v1/prices/latest", {"symbols": "BTC;drop table"}, "symbols"),
    ],
)
def test_bad_parameter_is_a_400_problem_naming_it(api, path, params, parameter) -> None:
    answer = get(api, path, **params)
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    problem = answer.json()
    assert problem["status"] == 400 and problem["title"] == "Bad parameter"
    assert problem["type"] and problem["parameter"] == parameter
    assert problem["detail"].startswith(f"{parameter}:")


@pytest.mark.parametrize(
    ("body", "parameter"),
    [({"symbols": []}, "symbols"), ({"symbols": "BTC"}, "symbols"), ({}, "symbols")],
)
def test_bad_batch_body_is_a_400_problem(api, body, parameter) -> None:
    answer = requests.post(f"{api}/v1/prices/batch", json=body, timeout=30)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith(PROBLEM)
    assert answer.json()["parameter"] == parameter
    broken = requests.post(
        f"{api}/v1/prices/batch",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert broken.status_code == 400 and broken.json()["status"] == 400


def test_unknown_market_and_path_are_404_problems(api) -> None:
    for path in ("/v1/markets/no-such-market/index", "/v1/markets/no-such-market/movers"):
        answer = get(api, path)
        assert answer.status_code == 404
        assert answer.headers["Content-Type"].startswith(PROBLEM)
        problem = answer.json()
        assert problem["status"] == 404 and "no-such-market" in problem["detail"]
    assert get(api, "/v1/nothing").status_code == 404
    assert get(api, "/v1/nothing").headers["Content-Type"].startswith(PROBLEM)


def test_csv_has_a_header_row_and_the_json_rows(api, built) -> None:
    answer = get(api, "/v1/markets/osrs-ge/movers", window="1d", sort="abs", format="csv")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0])[:5] == ["rank", "item_id", "item_name", "change_pct", "price"]
    as_json_rows = get(api, "/v1/markets/osrs-ge/movers", window="1d", sort="abs").json()["data"]
    assert [r["item_id"] for r in rows] == [r["item_id"] for r in as_json_rows]
    assert [float(r["change_pct"]) for r in rows] == [r["change_pct"] for r in as_json_rows]
    markets = list(csv.reader(io.StringIO(get(api, "/v1/markets", format="csv").text)))
    expected = query(built, "select market_id, currency from marts.dim_markets order by 1")
    assert [(r[0], r[5]) for r in markets[1:]] == expected
    prices = get(api, "/v1/prices/latest", symbols="BTC,NOPE", format="csv")
    assert [r["symbol"] for r in csv.DictReader(io.StringIO(prices.text))] == ["BTC"]
    assert prices.headers["Snapmart-Unknown-Symbols"] == "NOPE"


def test_etag_last_modified_and_304(api, built) -> None:
    path = "/v1/markets/osrs-ge/movers"
    first = get(api, path, window="1d")
    etag = first.headers["ETag"]
    as_of = query(
        built,
        """select max(as_of) from marts.mart_movers
        where market_id = 'osrs-ge' and "window" = '1d'""",
    )[0][0]
    assert first.headers["Last-Modified"] == as_of.astimezone(UTC).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    max_age = int(first.headers["Cache-Control"].removeprefix("max-age="))
    assert 1 <= max_age <= 300
    again = requests.get(
        f"{api}{path}", params={"window": "1d"}, headers={"If-None-Match": etag}, timeout=30
    )
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    other = requests.get(
        f"{api}{path}",
        params={"window": "1d", "format": "csv"},
        headers={"If-None-Match": etag},
        timeout=30,
    )
    assert other.status_code == 200 and other.headers["ETag"] != etag  # another representation
    stale = requests.get(
        f"{api}{path}", params={"window": "1d"}, headers={"If-None-Match": '"0-x"'}, timeout=30
    )
    assert stale.status_code == 200 and stale.json() == first.json()
    since = requests.get(
        f"{api}{path}",
        params={"window": "1d"},
        headers={"If-Modified-Since": first.headers["Last-Modified"]},
        timeout=30,
    )
    assert since.status_code == 304
