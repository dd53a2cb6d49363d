"""The simulator is deterministic, realistic in range, and its two faces agree."""

from __future__ import annotations

import json
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
