"""WoW auction houses: OAuth + Last-Modified fetch against the simulator, Arrow loads,
idempotence, pet fields, and rejects that never block the good listings."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ingestion.http import FetchError, SourceClient
from ingestion.landing import LandingFile, iter_landing_files, write_atomic
from ingestion.simulator.server import WOW_CLIENT, SimulatorServer
from ingestion.simulator.writer import write_wow_auctions
from ingestion.sources import wow_auctions as src
from orchestration import ingest
from tests.conftest import SIM_END, query, scalar

NOW = SIM_END + timedelta(minutes=30)  # 06:30: the 06:08:02 snapshot (7 min + 2 × 31 s) is out


@pytest.fixture
def wow_env(monkeypatch: pytest.MonkeyPatch):
    def configure(sim: SimulatorServer, secret: str = WOW_CLIENT[1]) -> SourceClient:
        monkeypatch.setenv("SOURCES__WOW_AUCTIONS__BASE_URL", sim.url)
        monkeypatch.setenv("SOURCES__WOW_AUCTIONS__OAUTH_URL", sim.wow_oauth_url)
        monkeypatch.setenv("SOURCES__WOW_AUCTIONS__CLIENT_ID", WOW_CLIENT[0])
        monkeypatch.setenv("SOURCES__WOW_AUCTIONS__CLIENT_SECRET", secret)
        monkeypatch.setenv("SOURCES__WOW_AUCTIONS__CONNECTED_REALMS", "3676, 57")
        return SourceClient(
            "wow_auctions", src.base_url(), per_second=0, max_attempts=2, backoff_factor=0.01
        )

    return configure


def test_fetch_names_snapshots_by_last_modified_and_skips_unchanged(tmp_path, wow_env) -> None:
    with SimulatorServer(clock=lambda: NOW.timestamp()) as sim:
        first = src.fetch(root=tmp_path, client=wow_env(sim))
        second = src.fetch(root=tmp_path, client=wow_env(sim))
        requests = list(sim.requests)
    names = sorted(first.files)
    assert names == [
        "wow_auctions/commodities/20261122T060802Z__us.json",
        "wow_auctions/connected_realm/20261122T060802Z__3676.json",
        "wow_auctions/connected_realm/20261122T060802Z__57.json",
    ]
    assert second.files == [] and len(second.skipped) == 3
    assert all("not modified" in s for s in second.skipped)
    assert requests.count("POST /oauth/token") == 2
    # nothing secret reached the landing zone
    for f in tmp_path.rglob("*.json"):
        body = f.read_text()
        assert WOW_CLIENT[1] not in body and "sim-token" not in body


def test_a_failed_snapshot_does_not_stop_the_others(tmp_path, wow_env) -> None:
    """The commodities answering 503 used to end the fetch: no realm was asked for. Now:
    1 failure naming the commodities request, both configured realms landed."""
    with SimulatorServer(clock=lambda: NOW.timestamp()) as sim:
        sim.path_outages["/data/wow/auctions/commodities"] = 503
        report = src.fetch(root=tmp_path, client=wow_env(sim))
    assert [f.status for f in report.failures] == [503]
    assert "/data/wow/auctions/commodities" in str(report.failures[0])
    assert sorted(report.files) == [
        "wow_auctions/connected_realm/20261122T060802Z__3676.json",
        "wow_auctions/connected_realm/20261122T060802Z__57.json",
    ]


def test_bad_credentials_fail_clearly_without_the_secret(tmp_path, wow_env) -> None:
    with SimulatorServer(clock=lambda: NOW.timestamp()) as sim:
        client = wow_env(sim, secret="wrong-secret-value")
        with pytest.raises(FetchError) as exc:
            src.fetch(root=tmp_path, client=client)
    assert "answered HTTP 401" in str(exc.value)
    assert "wrong-secret-value" not in str(exc.value)
    assert list(iter_landing_files("wow_auctions", root=tmp_path)) == []


def test_missing_credentials_say_what_to_set(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("SOURCES__WOW_AUCTIONS__CLIENT_ID", raising=False)
    monkeypatch.delenv("SOURCES__WOW_AUCTIONS__CLIENT_SECRET", raising=False)
    with pytest.raises(FetchError, match="SOURCES__WOW_AUCTIONS__CLIENT_ID"):
        src.fetch(root=tmp_path, client=SourceClient("wow_auctions", "http://127.0.0.1:9"))


@pytest.fixture(scope="module")
def loaded(db, landing):
    write_wow_auctions(3 / 24, seed=4, end=SIM_END, root=landing)
    expected = {"commodity_auctions": 0, "realm_auctions": 0}
    for f in iter_landing_files("wow_auctions", root=landing):
        assert isinstance(f, LandingFile)
        table = "commodity_auctions" if f.endpoint == "commodities" else "realm_auctions"
        expected[table] += len(json.loads(f.read_text())["auctions"])
    return expected, ingest.load_source("wow_auctions")


def test_listing_counts_match_the_snapshots(db, loaded) -> None:
    expected, summary = loaded
    assert summary.rows == expected and summary.rejected == 0
    for table, n in expected.items():
        assert scalar(db, f"select count(*) from raw_wow_auctions.{table}") == n
    snapshots = query(
        db,
        "select connected_realm_id, count(distinct captured_at)"
        " from raw_wow_auctions.realm_auctions group by 1 order by 1",
    )
    assert snapshots == [(57, 4), (3676, 4)]  # 3 hours back, inclusive


def test_same_snapshot_twice_adds_nothing(db, loaded, landing) -> None:
    again = ingest.load_source("wow_auctions")
    assert again.rows == {} and again.files == 0
    # a byte-identical copy under another name is a new file but the same listings
    f = next(
        f
        for f in iter_landing_files("wow_auctions", ["commodities"], landing)
        if isinstance(f, LandingFile)
    )
    before = scalar(db, "select count(*) from raw_wow_auctions.commodity_auctions")
    (f.path.parent / f.path.name.replace(".json", ".json.gz")).write_bytes(
        __import__("gzip").compress(f.path.read_bytes())
    )
    ingest.load_source("wow_auctions")
    assert scalar(db, "select count(*) from raw_wow_auctions.commodity_auctions") == before


def test_a_changed_snapshot_replaces_its_rows(db, loaded, landing) -> None:
    """Snapshot tables are appended; a file that comes back with other content (a
    corrected re-fetch) replaces that snapshot's rows instead of adding to them."""
    f = next(
        f
        for f in iter_landing_files("wow_auctions", ["connected_realm"], landing)
        if isinstance(f, LandingFile) and f.key == "57"
    )
    payload = json.loads(f.read_text())
    kept = payload["auctions"][: len(payload["auctions"]) // 2]
    total = scalar(db, "select count(*) from raw_wow_auctions.realm_auctions")
    old = scalar(
        db,
        "select count(*) from raw_wow_auctions.realm_auctions where landing_file = %s",
        (f.relative,),
    )
    write_atomic(
        "wow_auctions",
        "connected_realm",
        f.captured_at,
        json.dumps({**payload, "auctions": kept}).encode(),
        key="57",
        root=landing,
    )
    summary = ingest.load_source("wow_auctions")
    assert summary.rows == {"realm_auctions": len(kept)}
    assert scalar(
        db,
        "select count(*) from raw_wow_auctions.realm_auctions where landing_file = %s",
        (f.relative,),
    ) == len(kept)
    assert scalar(db, "select count(*) from raw_wow_auctions.realm_auctions") == (
        total - old + len(kept)
    )


def test_pet_fields_are_kept(db, loaded) -> None:
    pets = query(
        db,
        """
        select count(*), count(distinct pet_species_id), min(pet_level), max(pet_level)
        from raw_wow_auctions.realm_auctions where item_id = 82800
        """,
    )[0]
    assert pets[0] > 0 and pets[1] >= 3 and (pets[2], pets[3]) == (1, 25)
    assert (
        scalar(
            db,
            "select count(*) from raw_wow_auctions.realm_auctions"
            " where item_id = 82800 and pet_species_id is null",
        )
        == 0
    )


def test_bad_listings_are_rejected_and_the_rest_loads(db, loaded, landing) -> None:
    at = SIM_END.replace(hour=12)
    realm = {
        "auctions": [
            {"id": 1, "item": {"id": 19019}, "buyout": 5000000, "quantity": 1, "time_left": "LONG"},
            {"id": 2, "item": {"id": 19019}, "buyout": -5, "quantity": 1, "time_left": "LONG"},
            {"id": 3, "item": {"id": 19019}, "quantity": 1, "time_left": "LONG"},
            {"id": 4, "item": {"id": 19019}, "buyout": 100, "quantity": 1, "time_left": "FOREVER"},
        ]
    }
    write_atomic(
        "wow_auctions", "connected_realm", at, json.dumps(realm).encode(), key="3676", root=landing
    )
    commodities = {
        "auctions": [
            {
                "id": 9,
                "item": {"id": 210000},
                "quantity": 5,
                "unit_price": 1200,
                "time_left": "SHORT",
            },
            {"id": 10, "item": {"id": 210000}, "quantity": 5, "time_left": "SHORT"},
        ]
    }
    write_atomic(
        "wow_auctions", "commodities", at, json.dumps(commodities).encode(), key="us", root=landing
    )
    summary = ingest.load_source("wow_auctions")
    assert summary.rows == {"realm_auctions": 1, "commodity_auctions": 1}
    reasons = dict(
        query(
            db,
            "select record_pointer || '@' || split_part(landing_file, '/', 2), reason"
            " from raw_wow_auctions.rejected_records where captured_at = %s",
            (at,),
        )
    )
    assert reasons == {
        "/auctions/1@connected_realm": "buyout is out of range: -5",
        "/auctions/2@connected_realm": "neither buyout nor bid: no price",
        "/auctions/3@connected_realm": "unknown time_left: 'FOREVER'",
        "/auctions/1@commodities": "unit_price is missing",
    }
