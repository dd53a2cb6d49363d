"""Dofus: batches dropped in the inbox are archived under the contract, loaded, and
turned into observations; new items appear, repeats are stored once, bad input is
rejected with a reason without blocking the rest."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ingestion.sources import dofus_market as src
from orchestration import ingest, transform
from tests.conftest import SIM_END, query, scalar


def _batch(server: str | None, at, observations: list[dict]) -> bytes:
    payload = {
        "captured_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "client": "test",
        "observations": observations,
    }
    if server is not None:
        payload["server"] = server
    return json.dumps(payload).encode()


def _obs(ankama_id: int, name: str, x1, x10=None, x100=None) -> dict:
    return {"item_name": name, "ankama_id": ankama_id, "category": "Resource", "level": 10,
            "price_x1": x1, "price_x10": x10, "price_x100": x100}  # fmt: skip


def test_inbox_sweep_archives_under_the_contract(tmp_path) -> None:
    inbox = src.inbox_dir(tmp_path)
    inbox.mkdir(parents=True)
    (inbox / "capture-from-client.json").write_bytes(
        _batch("Draconiros", SIM_END, [_obs(1, "Wheat", 5)])
    )
    (inbox / "garbage.bin").write_bytes(b"\x00not json")
    report = src.fetch(root=tmp_path)
    names = sorted(p.rsplit("/", 1)[-1] for p in report.files)
    assert "20261122T060000Z__Draconiros.json" in names
    (other,) = [n for n in names if n != "20261122T060000Z__Draconiros.json"]
    assert "__" not in other  # unreadable: archived under its arrival time, no key
    assert list(inbox.iterdir()) == []


@pytest.fixture(scope="module")
def built(db, landing):
    t0 = SIM_END - timedelta(hours=2)
    batches = [
        ("Draconiros", t0, [_obs(101, "Wheat", 10, 90), _obs(102, "Iron", 50)]),
        # the client re-sends the same page 5 minutes later: stored once
        (
            "Draconiros",
            t0 + timedelta(minutes=5),
            [_obs(101, "Wheat", 10, 90), _obs(102, "Iron", 50)],
        ),
        # a new item, and a negative price that must not block it
        (
            "Draconiros",
            t0 + timedelta(minutes=30),
            [_obs(103, "Frigostine Flower", 700), _obs(104, "Bad", -3)],
        ),
        ("Imagiro", t0, [_obs(101, "Wheat", 12, None, 0)]),
        (None, t0, [_obs(101, "Wheat", 11)]),  # no server: rejected whole
    ]
    for i, (server, at, observations) in enumerate(batches):
        (src.inbox_dir(landing)).mkdir(parents=True, exist_ok=True)
        (src.inbox_dir(landing) / f"drop-{i}.json").write_bytes(_batch(server, at, observations))
    src.fetch(root=landing)
    summary = ingest.load_source("dofus_market")
    result = transform.run_dbt("build")
    assert result.success, result.failed()
    return summary


def test_rows_and_rejects(db, built) -> None:
    assert built.rows == {"observations": 6}  # 2 + 2 (the re-send, kept raw) + 1 + 1
    reasons = sorted(
        r[0] for r in query(db, "select reason from raw_dofus_market.rejected_records")
    )
    assert reasons == [
        "batch has no server",
        "price_x1 is not a whole, positive number of kamas: -3",
    ]


def test_a_repeated_observation_is_stored_once(db, built) -> None:
    n = scalar(
        db,
        "select count(*) from marts.fct_price_observations"
        " where item_id = 'dofus_market:101' and market_id = 'dofus-draconiros'",
    )
    assert n == 1
    # Wheat on Draconiros: (10/1 + 90/10) / 2 = 9.5 kamas a unit
    assert (
        scalar(
            db,
            "select price from marts.fct_price_observations"
            " where item_id = 'dofus_market:101' and market_id = 'dofus-draconiros'",
        )
        == 9.5
    )


def test_a_new_item_is_created_and_markets_exist(db, built) -> None:
    assert (
        scalar(db, "select item_name from marts.dim_items where item_id = 'dofus_market:103'")
        == "Frigostine Flower"
    )
    markets = {
        r[0]
        for r in query(db, "select market_id from marts.dim_markets where source = 'dofus_market'")
    }
    assert markets == {"dofus-draconiros", "dofus-imagiro"}
    # zero-priced lots are "no lot on sale", not a price of zero
    assert (
        scalar(
            db,
            "select price_low from marts.fct_price_observations where market_id = 'dofus-imagiro'",
        )
        == 12
    )
