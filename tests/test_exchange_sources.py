"""Binance and Yahoo fetch and parse against the simulator on loopback: paging from
cursors, only closed klines, a re-run that adds nothing, a 429 honoured, and an unknown
symbol, a chart error and a wrong-arity kline reported without losing the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ingestion.http import SourceClient
from ingestion.landing import LandingFile, iter_landing_files, write_atomic
from ingestion.loader import Reject
from ingestion.simulator.server import SimulatorServer
from ingestion.sources import binance, yahoo_finance

NOW = datetime(2026, 11, 22, 6, 0, 30, tzinfo=UTC)
ASSETS = (
    "symbol,name,asset_type,provider,provider_symbol,currency\n"
    "BTC,Bitcoin,crypto,binance,BTCUSDT,USDT\n"
    "NOPE,Unknown coin,crypto,binance,NOPEUSDT,USDT\n"
    "ETH,Ether,crypto,binance,ETHUSDT,USDT\n"
    "AAPL,Apple Inc.,stock,yahoo_finance,AAPL,USD\n"
    "GONE,Delisted Corp,stock,yahoo_finance,GONE,USD\n"
    "SPY,SPDR S&P 500,etf,yahoo_finance,SPY,USD\n"
)


@pytest.fixture
def configured(tmp_path, monkeypatch):
    path = tmp_path / "tracked_assets.csv"
    path.write_text(ASSETS)
    for source in ("BINANCE", "YAHOO_FINANCE"):
        monkeypatch.setenv(f"SOURCES__{source}__ASSETS_FILE", str(path))
        monkeypatch.setenv(f"SOURCES__{source}__HISTORY_DAYS", "1500")
    return tmp_path / "landing"


def _client(source: str, sim: SimulatorServer) -> SourceClient:
    return SourceClient(source, sim.url, per_second=0, max_attempts=3, backoff_factor=0.01)


def _klines(root, key: str) -> list[dict]:
    rows = []
    for f in iter_landing_files("binance", ["klines"], root):
        if isinstance(f, LandingFile) and f.key == key:
            rows += [r for r in binance.parse_klines(f) if not isinstance(r, Reject)]
    return rows


def test_binance_pages_closed_klines_and_reruns_add_nothing(configured) -> None:
    root = configured
    with SimulatorServer(clock=lambda: NOW.timestamp()) as sim:
        first = binance.fetch(root=root, client=_client("binance", sim), now=NOW)
        days = _klines(root, "BTCUSDT@1d")
        minutes = _klines(root, "BTCUSDT@1m")
        # 1,500 days back from 06:00 is 1,499 whole days (pages of 1,000 → 2 files);
        # the last day's minutes → 2 files
        assert len({r["open_time"] for r in days}) == len(days) == 1499
        assert len(minutes) == 1439  # the closed minutes opening in the last 24 h
        assert max(r["close_time"] for r in days + minutes) < NOW  # nothing still open
        today = NOW.replace(hour=0, minute=0, second=0)
        assert max(r["open_time"] for r in days) == today - timedelta(days=1)
        assert [s.split(":")[0] for s in first.skipped] == ["NOPEUSDT"]  # reported, skipped
        ticker = [f for f in iter_landing_files("binance", ["ticker_24hr"], root)]
        assert [r["symbol"] for r in binance.parse_ticker(ticker[0])] == ["BTCUSDT", "ETHUSDT"]

        again = binance.fetch(root=root, client=_client("binance", sim), now=NOW)
        assert [f for f in again.files if "/klines/" in f] == []  # nothing new closed
        # a day later: yesterday's daily kline (open at the first fetch) is final now
        later = NOW + timedelta(days=1)
        sim.clock = lambda: later.timestamp()
        binance.fetch(root=root, client=_client("binance", sim), now=later)
    days = _klines(root, "BTCUSDT@1d")
    assert max(r["open_time"] for r in days) == today
    assert len(days) == len({r["open_time"] for r in days}) == 1500


def test_binance_window_fetches_a_past_range_that_the_live_tick_no_longer_reaches(
    configured,
) -> None:
    """A backfill of two days ten days ago: every minute and daily kline opening in the
    range, none outside; fetching the range again lands on the same files."""
    root = configured
    start = datetime(2026, 11, 10, tzinfo=UTC)
    end = start + timedelta(days=2)
    with SimulatorServer(clock=lambda: NOW.timestamp()) as sim:
        report = binance.fetch_window(start, end, root=root, client=_client("binance", sim))
        minutes = _klines(root, "BTCUSDT@1m")
        days = _klines(root, "BTCUSDT@1d")
        assert len(minutes) == len({r["open_time"] for r in minutes}) == 2 * 1440
        assert min(r["open_time"] for r in minutes) == start
        assert max(r["open_time"] for r in minutes) == end - timedelta(minutes=1)
        assert sorted(r["open_time"] for r in days) == [start, start + timedelta(days=1)]
        assert [s.split(":")[0] for s in report.skipped] == ["NOPEUSDT"]
        files = set(report.files)
        again = binance.fetch_window(start, end, root=root, client=_client("binance", sim))
        assert {f for f in again.files if "/klines/" in f} <= files  # same names: no doubles
    assert len(_klines(root, "BTCUSDT@1m")) == 2 * 1440


def test_binance_429_is_waited_out(configured) -> None:
    with SimulatorServer(
        clock=lambda: NOW.timestamp(), faults=[(429, {"Retry-After": "0"})]
    ) as sim:
        report = binance.fetch(root=configured, client=_client("binance", sim), now=NOW)
    assert report.errors.get(429) == 1 and report.retries >= 1
    assert _klines(configured, "ETHUSDT@1d")  # the rest of the run went through


def test_wrong_arity_kline_is_rejected_alone(tmp_path) -> None:
    page = [
        [1763769600000, "1", "2", "0.5", "1.5", "10", 1763855999999, "15", 3, "5", "7", "0"],
        [1763856000000, "1", "2", "0.5", "1.5", "10", 1763942399999, "15", 3],
        [1763942400000, "1.5", "3", "1", "2", "10", 1764028799999, "15", 3, "5", "7", "0"],
    ]
    f = write_atomic(
        "binance",
        "klines",
        datetime(2025, 11, 22, tzinfo=UTC),
        json.dumps(page).encode(),
        key="BTCUSDT@1d",
        root=tmp_path,
    )
    out = list(binance.parse_klines(f))
    rejects = [(r.record_pointer, r.reason) for r in out if isinstance(r, Reject)]
    assert rejects == [("/1", "a kline has 12 fields, got 9")]
    rows = [r for r in out if not isinstance(r, Reject)]
    assert [r["close"] for r in rows] == [Decimal("1.5"), Decimal("2")]


def test_yahoo_bars_nulls_events_and_errors(configured) -> None:
    root = configured
    with SimulatorServer(clock=lambda: NOW.timestamp()) as sim:
        report = yahoo_finance.fetch(root=root, client=_client("yahoo_finance", sim), now=NOW)
        assert [s.split(":")[0] for s in report.skipped] == ["GONE"]
        again = yahoo_finance.fetch(root=root, client=_client("yahoo_finance", sim), now=NOW)
        assert sorted(again.skipped)[0].startswith("AAPL: no new bars")
    files = {f.key: f for f in iter_landing_files("yahoo_finance", ["chart"], root)}
    with pytest.raises(ValueError, match="Not Found: No data found, symbol may be delisted"):
        list(yahoo_finance.parse_chart(files["GONE"]))
    rows = [r for r in yahoo_finance.parse_chart(files["SPY"]) if not isinstance(r, Reject)]
    weekdays = {r["bar_at"].weekday() for r in rows}
    assert weekdays <= {0, 1, 2, 3, 4} and len(rows) > 1000
    assert any(r["close"] is None for r in rows)  # a null row loads, with null prices
    assert any(r["dividend"] for r in rows)
    # the newest bar is the last session that had closed (Friday 2026-11-20, 14:30 UTC)
    assert max(r["bar_at"] for r in rows) == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
