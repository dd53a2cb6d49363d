"""The simulator is deterministic, realistic in range, and its two faces agree."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import requests

from ingestion.landing import LandingFile, iter_landing_files
from ingestion.simulator.osrs_ge import GEMarket
from ingestion.simulator.server import SimulatorServer
from ingestion.simulator.writer import write_osrs_prices
from tests.conftest import SIM_END


def test_same_seed_same_bytes_other_seed_other_market(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for root, seed in ((a, 7), (b, 7), (c, 8)):
        write_osrs_prices(0.1, seed=seed, n_items=40, end=SIM_END, root=root)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*.json"))
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*.json"))
    assert all((a / p).read_bytes() == (b / p).read_bytes() for p in files_a)
    assert any(
        (a / p).read_bytes() != (c / p).read_bytes() for p in files_a if "mapping" not in str(p)
    )


def test_market_is_realistic() -> None:
    market = GEMarket(seed=42, n_items=300)
    prices = np.array([it.base_price for it in market.items])
    assert prices.min() < 10 and prices.max() > 1e9  # a few gp to billions
    limits = {it.buy_limit for it in market.items}
    assert {8, 70, 100}.issubset(limits) and None in limits  # some limits unknown
    assert {True, False} == {it.members for it in market.items}
    # Mean reversion: a week's mid of a liquid item stays within ±40 % of its base.
    mid, highs, lows = market.window(5_984_000, 2016)
    ratio = mid / prices[:, None]
    assert 0.6 < float(np.median(ratio)) < 1.4
    # Daily cycle in volume: the evening (UTC) is busier than the early morning.
    steps = np.arange(5_984_000, 5_984_000 + 2016)
    hour = (steps * 300 % 86_400) // 3600
    assert highs[:, hour == 19].mean() > highs[:, hour == 7].mean()
    # Illiquid items miss buckets (absent from /5m), liquid ones do not.
    bucket = market.bucket("5m", 5_984_000 * 300)
    assert "314" in bucket["data"] and len(bucket["data"]) < 300


def test_server_and_writer_agree(tmp_path: Path) -> None:
    write_osrs_prices(0.05, seed=3, n_items=30, end=SIM_END, root=tmp_path)
    files = [
        f
        for f in iter_landing_files("osrs_prices", ["5m", "latest"], tmp_path)
        if isinstance(f, LandingFile)
    ]
    with SimulatorServer(seed=3, n_items=30, clock=lambda: SIM_END.timestamp()) as sim:
        for f in files:
            ts = int(f.captured_at.timestamp())
            if f.endpoint == "5m":
                served = requests.get(
                    f"{sim.osrs_base_url}/5m", params={"timestamp": ts}, timeout=10
                ).json()
            else:
                served = sim.market.latest(ts)
            assert served == json.loads(f.read_text())
        newest = requests.get(f"{sim.osrs_base_url}/5m", timeout=10).json()
        assert newest["timestamp"] == int(SIM_END.timestamp()) - 300
        assert (
            requests.get(f"{sim.osrs_base_url}/5m", params={"timestamp": 7}, timeout=10).status_code
            == 400
        )


def test_ticket_books_drift_toward_the_event_and_turn_over() -> None:
    from ingestion.simulator.tickets import Tickets

    anchor = datetime(2026, 11, 22, tzinfo=UTC)
    tickets = Tickets(n_listings=400, anchor=anchor)
    hot = next(p for p in tickets.productions if p.trend > 0 and p.event_at > anchor)
    cold = next(p for p in tickets.productions if p.trend < 0 and p.event_at > anchor)
    for event, rising in ((hot, True), (cold, False)):
        early = tickets.listings_arrays(event, event.event_at - timedelta(days=60))
        late = tickets.listings_arrays(event, event.event_at - timedelta(days=1))
        early_median = float(np.median(early["aip"]))
        late_median = float(np.median(late["aip"]))
        assert (late_median > early_median) is rising
        assert len(late["id"]) < len(early["id"])  # inventory sells through
    # a day later most of the book is new listings (sold, relisted under new ids)
    at = hot.event_at - timedelta(days=20)
    now, later = (
        tickets.listings_arrays(hot, at),
        tickets.listings_arrays(hot, at + timedelta(days=1)),
    )
    assert len(set(now["id"]) & set(later["id"])) < 0.8 * len(now["id"])
    # same moment, same answer (the server and the landing writer agree)
    again = tickets.listings(hot.production_id, at)
    assert again == tickets.listings(hot.production_id, at)
    assert all(t["aip"] >= t["p"] > 0 for t in again["tickets"])
    # nothing on sale once the event has started
    assert tickets.listings(hot.production_id, hot.event_at)["tickets"] == []
