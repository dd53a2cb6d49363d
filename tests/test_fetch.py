"""Live fetch against the simulator on loopback: archive first, retry 429/5xx, fail loudly."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingestion.http import SourceClient
from ingestion.landing import LandingFile, iter_landing_files
from ingestion.simulator.server import OSRS_PREFIX, SimulatorServer
from ingestion.sources import osrs_prices as src

NOW = datetime(2026, 11, 22, 6, 2, 30, tzinfo=UTC)


def _client(sim: SimulatorServer, attempts: int = 4) -> SourceClient:
    return SourceClient(
        "osrs_prices", sim.osrs_base_url, per_second=0, max_attempts=attempts, backoff_factor=0.05
    )


def test_fetch_archives_every_endpoint_with_bucket_names(tmp_path: Path) -> None:
    with SimulatorServer(n_items=25, clock=lambda: NOW.timestamp()) as sim:
        report = src.fetch(
            root=tmp_path, client=_client(sim), now=NOW, backfill=timedelta(minutes=30)
        )
    files = [
        f for f in iter_landing_files("osrs_prices", root=tmp_path) if isinstance(f, LandingFile)
    ]
    by_endpoint: dict[str, list[LandingFile]] = {}
    for f in files:
        by_endpoint.setdefault(f.endpoint, []).append(f)
    assert len(by_endpoint["mapping"]) == 1 and len(by_endpoint["latest"]) == 1
    # newest complete 5m bucket is 05:55; the 30-minute backfill adds 05:25 … 05:50
    assert [f.captured_at.strftime("%H:%M") for f in by_endpoint["5m"]] == [
        "05:25", "05:30", "05:35", "05:40", "05:45", "05:50", "05:55",
    ]  # fmt: skip
    assert [f.captured_at.strftime("%H:%M") for f in by_endpoint["1h"]] == ["05:00"]
    for f in by_endpoint["5m"]:
        assert json.loads(f.read_text())["timestamp"] == int(f.captured_at.timestamp())
    assert report.requests == len(files) and report.retries == 0


def test_second_tick_fetches_only_missing_buckets_and_reuses_mapping(tmp_path: Path) -> None:
    with SimulatorServer(n_items=10, clock=lambda: NOW.timestamp()) as sim:
        src.fetch(root=tmp_path, client=_client(sim), now=NOW, backfill=timedelta(minutes=30))
        sim.requests.clear()
        later = NOW + timedelta(minutes=10)
        sim.clock = lambda: later.timestamp()
        src.fetch(root=tmp_path, client=_client(sim), now=later, backfill=timedelta(minutes=30))
        paths = sorted(sim.requests)
    # mapping is fresh (<24h) → not fetched again; 5m: newest (06:05) + the one gap (06:00)
    assert "/api/v1/osrs/mapping" not in paths
    assert paths.count("/api/v1/osrs/5m") == 1
    assert "/api/v1/osrs/5m?timestamp=1795327200" in paths
    assert len([p for p in paths if p.startswith("/api/v1/osrs/5m?")]) == 1


def test_429_with_retry_after_and_503_are_retried(tmp_path: Path) -> None:
    faults = [(429, {"Retry-After": "1"}), (503, {})]
    with SimulatorServer(n_items=10, faults=faults, clock=lambda: NOW.timestamp()) as sim:
        report = src.fetch(("latest",), root=tmp_path, client=_client(sim), now=NOW)
        assert len(sim.requests) == 3
    assert report.errors == {429: 1, 503: 1}
    assert report.retries == 2
    (latest,) = [f for f in iter_landing_files("osrs_prices", root=tmp_path)]
    assert "data" in json.loads(latest.read_text())


def test_user_agent_is_descriptive(tmp_path: Path) -> None:
    client = SourceClient("osrs_prices", "http://127.0.0.1:9")
    assert client.session.headers["User-Agent"].startswith("snapmart/")


def test_persistent_failure_names_the_request_and_writes_nothing(tmp_path: Path) -> None:
    faults = [(503, {})] * 3
    expected = r"GET http://127\.0\.0\.1:\d+/api/v1/osrs/latest answered HTTP 503"
    with SimulatorServer(n_items=5, faults=faults, clock=lambda: NOW.timestamp()) as sim:
        report = src.fetch(("latest",), root=tmp_path, client=_client(sim, attempts=3), now=NOW)
    (failure,) = report.failures
    assert re.search(expected, str(failure)), failure
    assert list(iter_landing_files("osrs_prices", root=tmp_path)) == []


def test_a_failed_endpoint_does_not_stop_the_others(tmp_path: Path) -> None:
    """/5m answering 503 used to end the fetch there: /1h was never asked for. Now each
    endpoint is asked for: 1 failure (the /5m request), the mapping, latest and the 1h
    buckets landed, no 5m file. At 06:02:30 the newest complete hour is 05:00; a first
    fetch with a 2-hour backfill also asks for 03:00 and 04:00 → 3 1h files."""
    with SimulatorServer(n_items=5, clock=lambda: NOW.timestamp()) as sim:
        sim.path_outages[f"{OSRS_PREFIX}5m"] = 503
        report = src.fetch(
            root=tmp_path, client=_client(sim, attempts=2), now=NOW, backfill=timedelta(hours=2)
        )
    assert [f.status for f in report.failures] == [503]
    assert str(report.failures[0]).endswith("/api/v1/osrs/5m answered HTTP 503 after retries")
    landed = Counter(f.endpoint for f in iter_landing_files("osrs_prices", root=tmp_path))
    assert landed == {"mapping": 1, "latest": 1, "1h": 3}, landed


def test_base_url_comes_from_dlt_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__OSRS_PRICES__BASE_URL", "http://127.0.0.1:1234/api/v1/osrs")
    assert src.base_url() == "http://127.0.0.1:1234/api/v1/osrs"
    monkeypatch.delenv("SOURCES__OSRS_PRICES__BASE_URL")
    assert src.base_url() == src.DEFAULT_BASE_URL
