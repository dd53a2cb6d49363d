"""`POST /v1/ingest/dofus` (issue 22): a capture client's batch, with an ingest token,
is checked by the Dofus file drop's rules, archived in the landing zone and answered 202
with the file's name; the next Dofus tick (`snapmart refresh --replay --source
dofus_market`) puts it in the marts. The same batch twice adds nothing. No token, a wrong
one, a body over the limit, an invalid batch or one past the rate limit writes nothing:
the landing zone is listed and the raw rows counted around each. The tokens never reach
the server's log."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from typer.testing import CliRunner

from orchestration import dagster_home
from orchestration.bench.ops_secrets import files_with, tables_with
from orchestration.cli import app
from tests.api_server import PROBLEM, serve
from tests.conftest import query, scalar

TOKEN = secrets.token_urlsafe(24)
LIMITED = secrets.token_urlsafe(24)  # a second client, whose rate limit the test uses up
MAX_BYTES = 4096
RATE = 30  # per minute, per token
# Now, not the simulated SIM_END: a capture later than the clock + 10 minutes is refused.
AT = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
STAMP = AT.strftime("%Y%m%dT%H%M%SZ")


def batch(server: str = "Draconiros", at: datetime = AT, **changes) -> dict:
    body = {
        "server": server,
        "captured_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "client": "api-test",
        "observations": [
            {"ankama_id": 289, "item_name": "Wheat", "category": "Cereal", "level": 1,
             "price_x1": 12, "price_x10": 100, "price_x100": 900},
            {"ankama_id": 303, "item_name": "Ash Wood", "category": "Wood", "level": 1,
             "price_x1": 8, "price_x10": None, "price_x100": 0},
        ],
    }  # fmt: skip
    body.update(changes)
    return body


def post(base: str, body: bytes | dict, token: str | None = TOKEN, **headers) -> requests.Response:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(f"{base}/v1/ingest/dofus", data=data, headers=headers, timeout=30)


def tick() -> None:
    result = CliRunner().invoke(app, ["refresh", "--replay", "--source", "dofus_market"])
    assert result.exit_code == 0, result.output


def files(landing) -> list[str]:
    """Every file under the landing root (hidden temp files too)."""
    return sorted(str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file())


def raw_rows(db) -> int:
    return scalar(db, "select count(*) from raw_dofus_market.observations")


@pytest.fixture(scope="module")
def served(db, landing, tmp_path_factory) -> Iterator[tuple[str, object]]:
    """`snapmart api` with two ingest tokens, a 4 KiB body limit and 30 requests a minute
    per token; after it stops, its log holds neither token."""
    log_dir = tmp_path_factory.mktemp("api")
    env = {
        "API__INGEST_TOKENS": f"{TOKEN}, {LIMITED}",
        "API__INGEST_MAX_BYTES": str(MAX_BYTES),
        "API__INGEST_RATE_LIMIT": f"{RATE}/minute",
    }
    with serve(db, log_dir, extra_env=env) as base:
        yield base, db
    log = (log_dir / "api.log").read_text()
    assert "/v1/ingest/dofus" in log and "ingest token 1" in log
    assert TOKEN not in log and LIMITED not in log


@pytest.fixture(scope="module")
def loaded(served, landing):
    """A valid batch posted, then the next tick."""
    base, db = served
    answer = post(base, batch())
    assert answer.status_code == 202, answer.text
    tick()
    return base, db, answer


def test_a_valid_batch_is_archived_then_in_the_marts(loaded, landing) -> None:
    base, db, answer = loaded
    body = answer.json()
    name = f"dofus_market/observations/{STAMP}__Draconiros.json"
    assert body == {
        "landing_file": name,
        "server": "Draconiros",
        "captured_at": AT.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "observations": 2,
    }
    assert name in files(landing)
    assert json.loads((landing / name).read_bytes()) == batch()  # archived as sent
    raw = query(
        db,
        """select ankama_id, item_name, price_x1, price_x10, price_x100, landing_file
        from raw_dofus_market.observations order by ankama_id""",
    )
    assert [r[:5] for r in raw] == [(289, "Wheat", 12, 100, 900), (303, "Ash Wood", 8, None, None)]
    # (the other test's copy of this batch, when it ran first, may hold the rows: same key)
    assert all(r[5].startswith(name.removesuffix(".json")) for r in raw)
    marts = query(
        db,
        """select item_id, price, observed_at from marts.fct_price_observations
        where market_id = 'dofus-draconiros' order by item_id""",
    )
    # Wheat: the mean unit price of its lots, (12/1 + 100/10 + 900/100) / 3 = 10.33…;
    # Ash Wood: 8 (the 0 lot of 100 is "none on sale", not a price of 0)
    assert [(item, round(float(price), 4), at) for item, price, at in marts] == [
        ("dofus_market:289", 10.3333, AT),
        ("dofus_market:303", 8.0, AT),
    ]


def test_the_same_batch_twice_adds_nothing(loaded, landing) -> None:
    base, db, first = loaded
    facts = "select count(*) from marts.fct_price_observations where market_id = 'dofus-draconiros'"
    before_raw, before_facts = raw_rows(db), scalar(db, facts)
    again = post(base, batch())
    assert again.status_code == 202
    assert again.json()["landing_file"] == first.json()["landing_file"]  # the same file
    count = len(files(landing))
    # The same observations written otherwise (other bytes): kept beside it, merged over.
    spaced = json.dumps(batch(), indent=2).encode()
    other = post(base, spaced)
    assert other.status_code == 202
    assert other.json()["landing_file"].startswith(
        f"dofus_market/observations/{STAMP}__Draconiros~"
    )
    assert len(files(landing)) == count + 1
    assert other.json()["landing_file"] in files(landing)
    tick()
    assert (raw_rows(db), scalar(db, facts)) == (before_raw, before_facts) == (2, 2)


def _refused(base, db, landing, answer: requests.Response, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["status"] == status and problem["detail"]
    return problem


def test_no_token_or_a_wrong_one_is_a_401_and_writes_nothing(loaded, landing) -> None:
    base, db, _ = loaded
    before, rows = files(landing), raw_rows(db)
    for token, invalid in ((None, False), ("x" * 32, True), (TOKEN[:-1], True)):
        answer = post(base, batch(server="Imagiro"), token=token)
        _refused(base, db, landing, answer, 401)
        challenge = answer.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="snapmart-ingest"')
        assert ('error="invalid_token"' in challenge) is invalid
    basic = requests.post(
        f"{base}/v1/ingest/dofus", json=batch(server="Imagiro"), auth=("x", TOKEN), timeout=30
    )
    assert basic.status_code == 401
    assert files(landing) == before and raw_rows(db) == rows


def test_a_body_over_the_limit_is_a_413_and_writes_nothing(loaded, landing) -> None:
    base, db, _ = loaded
    before, rows = files(landing), raw_rows(db)
    names = [{"ankama_id": i, "item_name": f"Item {i}", "price_x1": i} for i in range(1, 200)]
    big = json.dumps(batch(server="Imagiro", observations=names)).encode()
    assert len(big) > MAX_BYTES
    problem = _refused(base, db, landing, post(base, big), 413)
    assert problem["max_bytes"] == MAX_BYTES and "api.ingest_max_bytes" in problem["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    streamed = requests.post(
        f"{base}/v1/ingest/dofus",
        data=chunks(),
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    _refused(base, db, landing, streamed, 413)
    # the limit itself is allowed: a body of exactly MAX_BYTES is read (and here invalid)
    exact = b"[" + b" " * (MAX_BYTES - 2) + b"]"
    assert post(base, exact).status_code == 422
    assert files(landing) == before and raw_rows(db) == rows


@pytest.mark.parametrize(
    ("body", "pointer", "words"),
    [
        (b"not json at all", "", "not valid JSON"),
        (b"[1, 2]", "", "a batch is a JSON object"),
        ({"captured_at": "2026-01-01T00:00:00Z", "observations": []}, "", "no server"),
        (batch(captured_at="2026-01-01 10:00"), "", "no time zone"),
        (batch(observations={"a": 1}), "", "no 'observations' array"),
        (batch(at=datetime.now(UTC) + timedelta(days=2)), "/captured_at", "later than"),
        (batch(at=datetime(2001, 1, 1, tzinfo=UTC)), "/captured_at", "before the source"),
        (
            batch(observations=[{"ankama_id": 1, "item_name": "Ok", "price_x1": 3},
                                {"ankama_id": 2, "item_name": "Bad", "price_x1": -3}]),
            "/observations/1",
            "price_x1 is not a whole, positive number of kamas: -3",
        ),
        (
            batch(observations=[{"ankama_id": 0, "item_name": "Zero"}]),
            "/observations/0",
            "ankama_id is not a positive integer",
        ),
        (
            batch(observations=[{"ankama_id": 5, "item_name": "Nul\u0000"}]),
            "/observations/0",
            "item_name contains a NUL character",
        ),
    ],
)  # fmt: skip
def test_an_invalid_batch_is_a_422_naming_what_and_writes_nothing(
    loaded, landing, body, pointer, words
) -> None:
    base, db, _ = loaded
    before, rows = files(landing), raw_rows(db)
    problem = _refused(base, db, landing, post(base, body, token=TOKEN), 422)
    assert problem["type"].endswith("/invalid-batch")
    assert problem["errors"][0]["pointer"] == pointer
    assert words in problem["errors"][0]["detail"] and words in problem["detail"]
    assert problem["errors_total"] == len(problem["errors"]) == 1
    assert files(landing) == before and raw_rows(db) == rows


def test_past_the_rate_limit_is_a_429_and_writes_nothing(loaded, landing) -> None:
    base, db, _ = loaded
    before, rows = files(landing), raw_rows(db)
    codes = [post(base, b"{}", token=LIMITED).status_code for _ in range(RATE)]
    assert codes == [422] * RATE  # refused batches count too
    over = post(base, batch(server="Imagiro"), token=LIMITED)  # valid, but one too many
    problem = _refused(base, db, landing, over, 429)
    assert problem["type"].endswith("/rate-limited") and f"{RATE}/minute" in problem["detail"]
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    # another token's window is its own
    assert post(base, b"{}", token=TOKEN).status_code == 422
    assert files(landing) == before and raw_rows(db) == rows


def test_the_tokens_are_in_no_file_and_no_table_after_the_tick(
    loaded, landing, snapmart_home
) -> None:
    """Issue 21's secrets sweep for the ingest tokens (a secret setting since issue 22):
    after a batch posted with one and a tick that loaded it, neither token is in any file
    of the home (.snapmart: dlt dirs, Dagster, the embedded server's data; dbt's target),
    the landing zone, or any table of the warehouse and of Dagster's storage."""
    _, db, _ = loaded
    tokens = {"ingest token 1": TOKEN, "ingest token 2": LIMITED}
    files, file_hits = files_with(tokens, [snapmart_home, landing])
    tables, table_hits = tables_with(db, tokens)
    more, storage_hits = tables_with(dagster_home.dagster_database(db), tokens)
    assert files > 20 and tables + more > 50
    assert file_hits + table_hits + storage_hits == []
