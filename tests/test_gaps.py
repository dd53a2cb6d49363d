"""No silent gaps (issue 21 item 3): a fetch continues from what it has landed, as far back
as the API serves, and what it cannot get back is one named gap.

* A 90-minute outage of the prices API (503 for every request), then recovery, against a
  simulator that serves only the last 60 minutes of buckets: the ticks during the outage
  fail; the first tick after it fetches every bucket the API still serves; the rest is
  exactly one gap per endpoint in ``ops.fetch_gaps`` (recorded once, however many ticks
  see it), in ``mart_fetch_gaps`` and ``mart_source_health``, and a WARN ``no_gaps``
  check; a backfill from an API that has the buckets after all closes them.
* Binance and Yahoo, after a pause longer than their old fixed window (a day of minute
  klines; ``history_days`` of bars): no kline or bar missing.
* WoW's auction houses serve only their current snapshot: snapshots landed too far apart
  are a recorded gap and a WARN ``no_gaps`` check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import AssetCheckSeverity
from typer.testing import CliRunner

from ingestion.gaps import missing_runs, snapshot_gaps
from ingestion.http import SourceClient
from ingestion.landing import LandingFile, iter_landing_files, write_atomic
from ingestion.loader import Reject
from ingestion.simulator.server import SimulatorServer
from ingestion.sources import (
    binance,
    osrs_hiscores,
    osrs_prices,
    vividseats,
    wow_auctions,
    yahoo_finance,
)
from orchestration import gaps, transform
from orchestration.cli import app
from orchestration.defs.gaps import GAP_CHECKS
from orchestration.defs.resources import WarehouseResource
from tests.conftest import clock_at, query

MIDNIGHT = datetime(2026, 11, 20, tzinfo=UTC)
OUTAGE = (MIDNIGHT + timedelta(hours=1), MIDNIGHT + timedelta(hours=2, minutes=30))  # 90 min
SERVED = timedelta(minutes=60)  # what the simulated API still serves, back from its newest


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at.timestamp()


@pytest.fixture()
def prices_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SimulatorServer, Clock]]:
    clock = Clock(MIDNIGHT)
    with SimulatorServer(n_items=6, clock=clock, osrs_history=int(SERVED.total_seconds())) as sim:
        sim.outages.append((OUTAGE[0].timestamp(), OUTAGE[1].timestamp(), 503))
        monkeypatch.setenv("SOURCES__OSRS_PRICES__BASE_URL", sim.osrs_base_url)
        monkeypatch.setenv("SOURCES__OSRS_PRICES__MAX_ATTEMPTS", "2")
        monkeypatch.setenv("SOURCES__OSRS_PRICES__BACKOFF_FACTOR", "0.01")
        monkeypatch.setenv("SOURCES__OSRS_PRICES__REQUESTS_PER_SECOND", "0")
        monkeypatch.setenv("SOURCES__OSRS_PRICES__SERVED_HISTORY_MINUTES", "60")
        yield sim, clock


@pytest.fixture()
def fresh_landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SNAPMART_LANDING_DIR", str(tmp_path / "landing"))
    return tmp_path / "landing"


def _t(hours: int, minutes: int) -> datetime:
    return MIDNIGHT + timedelta(hours=hours, minutes=minutes)


def test_missing_runs_are_the_holes_below_the_stop() -> None:
    # grid of 300 s from 0: 0 and 300 there, 600 and 900 missing, 1200 there, 1500 missing
    assert missing_runs({0, 300, 1200}, 0, 1800, 300) == [(600, 1200), (1500, 1800)]
    assert missing_runs({0, 300, 1200}, 0, 1500, 300) == [(600, 1200)]
    assert missing_runs({0, 300}, 0, 600, 300) == []
    assert missing_runs({0}, 0, 0, 300) == []
    # a stop off the grid: the run ends at the next grid point (1500 is missing and < 1600)
    assert missing_runs({0}, 0, 1600, 300) == [(300, 1800)]


def test_a_90_minute_outage_is_fetched_back_as_far_as_the_api_serves_the_rest_one_named_gap(
    db, prices_api, fresh_landing
) -> None:
    sim, clock = prices_api
    runner = CliRunner()
    ticks = [_t(0, 10) + timedelta(minutes=10 * k) for k in range(24)]  # 00:10 … 04:00
    during = []
    for at in ticks:
        clock.at = at + timedelta(seconds=1)
        with clock_at(clock.at):  # the tick's own clock too: its health row is its hour
            result = runner.invoke(app, ["ingest", "--source", "osrs_prices"])
        if OUTAGE[0] <= clock.at < OUTAGE[1]:
            during.append(result.output)
    runs = query(
        db,
        """select status, error from ops.pipeline_metrics
        where source = 'osrs_prices' order by started_at""",
    )
    statuses = [s for s, _ in runs]
    # the nine ticks 01:00 … 02:20 met the outage and failed; every other one is ok
    assert statuses == ["ok"] * 5 + ["failed"] * 9 + ["ok"] * 10
    assert all("503" in (e or "") for s, e in runs if s == "failed")
    assert len(during) == 9
    assert all("503" in out for out in during)  # the tick says which request failed

    # By hand, 5m (a bucket is named by its start; the API's newest at hh:mm:01 is the
    # bucket that ended at hh:mm; it serves that one and the 11 before it, 60 minutes):
    # * 00:10 (nothing landed): newest 00:05, back to the served floor 23:10 → 23:10 … 00:05
    # * 00:20 … 00:50: each lands the buckets since → landed up to 00:45
    # * 01:00 … 02:20: 503, nothing lands
    # * 02:30: newest 02:25, served floor 02:25 − 55 min = 01:30 → 01:30 … 02:25 fetched;
    #   00:50 … 01:25 (8 buckets, 40 minutes) are older than the API serves: the gap
    #   [00:50, 01:30)
    # * 02:40 … 04:00: continue to 03:55
    # So raw holds every bucket from 23:10 to 03:55 (58) but those 8: 50.
    buckets = {r[0] for r in query(db, "select distinct bucket_at from raw_osrs_prices.prices_5m")}
    served_window = {_t(-1, 10) + timedelta(minutes=5 * k) for k in range(58)}
    lost = {_t(0, 50) + timedelta(minutes=5 * k) for k in range(8)}
    assert buckets == served_window - lost
    # 1h: at 00:10 … 00:50 the newest hour is 23:00 (landed); at 02:30 it is 01:00, and the
    # API serves only that one (60 minutes back): the hour 00:00 is the gap [00:00, 01:00)
    hours = {r[0] for r in query(db, "select distinct bucket_at from raw_osrs_prices.prices_1h")}
    assert hours == {_t(-1, 0), _t(1, 0), _t(2, 0), _t(3, 0)}

    recorded = query(
        db,
        """select endpoint, gap_from, gap_to, closed_at, detected_at = updated_at, reason
        from ops.fetch_gaps order by endpoint""",
    )
    # exactly one gap per endpoint, recorded once by the 02:30 tick and left as it was by
    # the ten ticks after it that saw it again
    assert [r[:5] for r in recorded] == [
        ("1h", _t(0, 0), _t(1, 0), None, True),
        ("5m", _t(0, 50), _t(1, 30), None, True),
    ]
    assert all("60 minutes" in r[5] for r in recorded)

    # the Dagster checks warn, with the gap in their metadata
    results = {
        check.check_specs_by_output_name[
            next(iter(check.check_specs_by_output_name))
        ].asset_key.path[-1]: check(warehouse=WarehouseResource.from_env())
        for check in GAP_CHECKS
    }
    five = results["prices_5m"]
    assert not five.passed and five.severity == AssetCheckSeverity.WARN
    assert five.metadata["open_gaps"].value == 1
    assert five.metadata["minutes_missing"].value == 40
    assert "2026-11-20T00:50:00+00:00 → 2026-11-20T01:30:00+00:00" in (
        five.metadata["last_gap"].value
    )

    built = transform.run_dbt("build", select="+mart_fetch_gaps +mart_source_health")
    assert built.success, [(n.name, n.message) for n in built.failed()]
    assert query(
        db,
        """select endpoint, gap_from, gap_to, minutes_missing, is_open from marts.mart_fetch_gaps
        order by endpoint""",
    ) == [("1h", _t(0, 0), _t(1, 0), 60, True), ("5m", _t(0, 50), _t(1, 30), 40, True)]
    health = dict(
        query(
            db,
            """select hour_start, open_gaps from marts.mart_source_health
            where source = 'osrs_prices' order by hour_start""",
        )
    )
    # 00:00 holds the 1h gap and the start of the 5m one, 01:00 the rest of the 5m one
    assert health[_t(0, 0)] == 2 and health[_t(1, 0)] == 1 and health[_t(2, 0)] == 0

    # An API that has the buckets after all: a backfill of the day fills them, and the
    # gaps close (kept, with when)
    sim.osrs_history = None
    day = f"{MIDNIGHT:%F}"
    result = runner.invoke(app, ["backfill", "--source", "osrs_prices", "--from", day, "--to", day])
    assert result.exit_code == 0, result.output
    assert query(
        db, "select endpoint, closed_at is not null from ops.fetch_gaps order by endpoint"
    ) == [("1h", True), ("5m", True)]
    assert gaps.open_gaps("osrs_prices", "5m", db) == []


def test_a_tick_during_the_outage_exits_non_zero(db, prices_api, fresh_landing) -> None:
    _, clock = prices_api
    clock.at = OUTAGE[0] + timedelta(minutes=10, seconds=1)
    result = CliRunner().invoke(app, ["ingest", "--source", "osrs_prices"])
    assert "503" in result.output
    assert result.exit_code == 3  # a fetch failed (README.md#exit-codes)


def test_the_prices_fetch_asks_nothing_older_than_the_api_serves(prices_api, fresh_landing) -> None:
    """No database: the fetch alone. After a 3-hour pause it asks for the 11 buckets the
    API still serves before its newest, never an older one (no 404 is met), and the
    landing zone names the rest as a gap."""
    sim, clock = prices_api
    sim.outages.clear()
    clock.at = _t(0, 10) + timedelta(seconds=1)
    osrs_prices.fetch(("5m",), root=fresh_landing)  # lands 23:10 … 00:05
    sim.requests.clear()
    clock.at = _t(3, 10) + timedelta(seconds=1)  # newest 03:05, served floor 02:10
    report = osrs_prices.fetch(("5m",), root=fresh_landing)
    assert report.skipped == [] and report.errors == {}
    asked = sorted(r for r in sim.requests if "timestamp=" in r)
    assert len(asked) == 11  # 02:10 … 03:00
    assert osrs_prices.gaps(fresh_landing) == [
        g for g in osrs_prices.gaps(fresh_landing) if g.endpoint == "5m"
    ]
    (gap,) = osrs_prices.gaps(fresh_landing)
    assert (gap.gap_from, gap.gap_to) == (_t(0, 10), _t(2, 10))  # 00:10 … 02:05: 24 buckets
    assert gap.minutes == 120


# ------------------------------------------------------------------ Binance and Yahoo

NOW = datetime(2026, 11, 22, 6, 0, 30, tzinfo=UTC)
ASSETS = (
    "symbol,name,asset_type,provider,provider_symbol,currency\n"
    "BTC,Bitcoin,crypto,binance,BTCUSDT,USDT\n"
    "AAPL,Apple Inc.,stock,yahoo_finance,AAPL,USD\n"
)


@pytest.fixture
def exchanges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "tracked_assets.csv"
    path.write_text(ASSETS)
    for source in ("BINANCE", "YAHOO_FINANCE"):
        monkeypatch.setenv(f"SOURCES__{source}__ASSETS_FILE", str(path))
        monkeypatch.setenv(f"SOURCES__{source}__HISTORY_DAYS", "30")
    return tmp_path / "landing"


def _client(source: str, sim: SimulatorServer) -> SourceClient:
    return SourceClient(source, sim.url, per_second=0, max_attempts=3, backoff_factor=0.01)


def _opens(root: Path, source: str, endpoint: str, parse, key: str) -> list[datetime]:
    rows = []
    for f in iter_landing_files(source, [endpoint], root):
        if isinstance(f, LandingFile) and f.key == key:
            rows += [r for r in parse(f) if not isinstance(r, Reject)]
    field = "open_time" if source == "binance" else "bar_at"
    return sorted(r[field] for r in rows)


def test_binance_minutes_continue_after_a_pause_longer_than_a_day(exchanges) -> None:
    root = exchanges
    with SimulatorServer(clock=lambda: NOW.timestamp(), n_assets=20) as sim:
        binance.fetch(root=root, client=_client("binance", sim), now=NOW)
        later = NOW + timedelta(days=3)  # the old fixed window reached one day back
        sim.clock = lambda: later.timestamp()
        binance.fetch(root=root, client=_client("binance", sim), now=later)
    minutes = _opens(root, "binance", "klines", binance.parse_klines, "BTCUSDT@1m")
    # the first fetch: the closed minutes of the last 24 h, 06:00:30 − 1 day … 05:59;
    # the second continues from 06:00 to the last minute closed at NOW + 3 days: 05:59
    first = NOW.replace(second=0) - timedelta(days=1) + timedelta(minutes=1)
    last = (NOW + timedelta(days=3)).replace(second=0) - timedelta(minutes=1)
    expected = int((last - first) / timedelta(minutes=1)) + 1
    assert minutes[0] == first and minutes[-1] == last
    assert len(minutes) == len(set(minutes)) == expected  # 4 × 1,440 − 1: none missing


def test_yahoo_bars_continue_after_a_pause_longer_than_the_history_window(exchanges) -> None:
    root = exchanges
    with SimulatorServer(clock=lambda: NOW.timestamp(), n_assets=20) as sim:
        yahoo_finance.fetch(root=root, client=_client("yahoo_finance", sim), now=NOW)
        later = NOW + timedelta(days=45)  # the old window (history_days, 30) ended here
        sim.clock = lambda: later.timestamp()
        yahoo_finance.fetch(root=root, client=_client("yahoo_finance", sim), now=later)
    bars = _opens(root, "yahoo_finance", "chart", yahoo_finance.parse_chart, "AAPL")
    # (a split on a weekend is kept on an empty bar of its own day: not a session)
    days = sorted({b.date() for b in bars if b.weekday() < 5})
    # every weekday from the first bar to the last has its bar (the simulator trades
    # Monday to Friday, no holidays): 45 days of pause, not one session lost
    weekdays = [
        days[0] + timedelta(days=n)
        for n in range((days[-1] - days[0]).days + 1)
        if (days[0] + timedelta(days=n)).weekday() < 5
    ]
    assert days == weekdays
    assert days[-1] >= (NOW + timedelta(days=44)).date()


def test_the_bench_figure_outage_minutes_recovered() -> None:
    """`snapmart bench --suite faults`'s outage figures (no database: the gaps found).
    By hand, as in the test above: the buckets 00:50 … 02:20 (19, 95 minutes) were
    published while the API was down; the tick at 02:30 fetches 01:30 … 02:20 back (11,
    55 minutes); 00:50 … 01:25 (40 minutes) are the 5m gap, and the hour 00:00 the 1h
    one; the nine ticks 01:00 … 02:20 failed."""
    from orchestration.bench.ops_gaps import outage_recovery

    assert outage_recovery() == {
        "outage_minutes": 90,
        "minutes_recovered": 55,
        "minutes_lost": 40,
        "gaps_recorded": 2,
        "ticks_failed": 9,
    }
    # an API that serves a day back: everything comes back, nothing is lost
    full = outage_recovery(served_minutes=1440)
    assert (full["minutes_recovered"], full["minutes_lost"], full["gaps_recorded"]) == (95, 0, 0)


# ------------------------------------------------------------------ WoW's snapshots


def _h(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, tzinfo=UTC)


def test_snapshot_gaps_are_the_stretches_between_snapshots_too_far_apart() -> None:
    found = snapshot_gaps(
        "wow_auctions",
        "connected_realm",
        {
            "57": [_h(10), _h(11), _h(14), _h(14, 50)],
            "3676": [_h(11), _h(10), _h(14)],
            "99": [_h(10, 5), _h(11, 50)],
        },
        every=timedelta(hours=1),
        missed_after=timedelta(minutes=100),
        served="served",
    )
    # 57 and 3676: 11:00 → 14:00 is 180 minutes, the snapshots due at 12:00 and 13:00
    # were missed: [12:00, 14:00), one gap naming both; 14:00 → 14:50 is 50 minutes.
    # 99: 10:05 → 11:50 is 105 minutes (> 100), the one due at 11:05 was missed.
    assert [(g.gap_from, g.gap_to, g.reason) for g in found] == [
        (
            _h(11, 5),
            _h(11, 50),
            "no connected_realm snapshot of 99 landed for more than 100 minutes; served",
        ),
        (
            _h(12),
            _h(14),
            "no connected_realm snapshot of 3676, 57 landed for more than 100 minutes; served",
        ),
    ]
    assert [g.minutes for g in found] == [45, 120]
    with pytest.raises(ValueError, match="shorter than the cadence"):
        snapshot_gaps(
            "wow_auctions", "commodities", {}, timedelta(hours=1), timedelta(minutes=30), ""
        )


def test_wow_snapshots_missed_in_an_outage_are_a_recorded_gap_and_a_warning(
    db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Snapshots landed at 08:03, 09:02, 10:04, then 13:01 and 14:03 (the fetches of 11:15
    and 12:15 failed): 10:04 → 13:01 is 177 minutes, so the snapshots due from 11:04 on
    are lost, the gap [11:04, 13:01) on both endpoints; the others are 59 to 62 minutes
    apart."""
    root = tmp_path / "landing"
    for at in (_h(8, 3), _h(9, 2), _h(10, 4), _h(13, 1), _h(14, 3)):
        write_atomic("wow_auctions", "commodities", at, b"{}", key="us", root=root, durable=False)
        write_atomic(
            "wow_auctions", "connected_realm", at, b"{}", key="57", root=root, durable=False
        )
    found = gaps.after_fetch("wow_auctions", root, db)
    assert len(found) == 2
    recorded = """select endpoint, gap_from, gap_to, closed_at from ops.fetch_gaps
        where source = 'wow_auctions' order by endpoint"""
    assert query(db, recorded) == [
        ("commodities", _h(11, 4), _h(13, 1), None),
        ("connected_realm", _h(11, 4), _h(13, 1), None),
    ]
    assert gaps.record("wow_auctions", found, db)["new"] == 0  # seen again: not twice
    checks = {
        spec.asset_key.path[-1]: check
        for check in GAP_CHECKS
        for spec in check.check_specs_by_output_name.values()
        if spec.asset_key.path[0] == "raw_wow_auctions"
    }
    assert sorted(checks) == ["commodity_auctions", "realm_auctions"]
    realm = checks["realm_auctions"](warehouse=WarehouseResource.from_env())
    assert not realm.passed and realm.severity == AssetCheckSeverity.WARN
    assert realm.metadata["minutes_missing"].value == 117
    # a looser setting (4 hours) sees no missed snapshot: the recorded gaps are closed
    monkeypatch.setenv("SOURCES__WOW_AUCTIONS__SNAPSHOT_GAP_MINUTES", "240")
    assert wow_auctions.gaps(root) == []
    gaps.after_fetch("wow_auctions", root, db)
    assert [r[3] is not None for r in query(db, recorded)] == [True, True]


def _hiscores_log(root: Path, at: datetime, outcomes: dict[str, str]) -> None:
    """One tick's fetch log: each player's outcome, as fetching.record_outcome writes it."""
    log = [{"username": who, "account_type": "regular", "status": s} for who, s in outcomes.items()]
    write_atomic("osrs_hiscores", "fetch_log", at, json.dumps(log).encode(), root=root)


def test_hiscores_ticks_without_an_answer_are_a_recorded_gap_kept_past_the_lookback(
    db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ticks every 30 minutes; a player counts as answered when the log says changed,
    unchanged or not_found. alice: answered 10:00, 10:30, failed 11:00 and 11:30,
    answered 12:00 → 90 minutes apart (> 75) → gap [11:00, 12:00), 60 minutes. bob:
    answered 10:00, failed 10:30 to 11:30, not_found 12:00 → 120 minutes → gap [10:30,
    12:00), 90 minutes. carol answered every tick: none. A log that is not JSON, and a
    gzip one that does not decompress, are passed over."""
    root = tmp_path / "landing"
    ticks = {
        _h(10): {"alice": "changed", "bob": "unchanged", "carol": "changed"},
        _h(10, 30): {"alice": "unchanged", "bob": "failed", "carol": "unchanged"},
        _h(11): {"alice": "failed", "bob": "failed", "carol": "unchanged"},
        _h(11, 30): {"alice": "failed", "bob": "failed", "carol": "changed"},
        _h(12): {"alice": "unchanged", "bob": "not_found", "carol": "unchanged"},
    }
    for at, outcomes in ticks.items():
        _hiscores_log(root, at, outcomes)
    write_atomic("osrs_hiscores", "fetch_log", _h(12, 30), b"\x00not json", root=root)
    corrupt_gzip = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage"
    write_atomic("osrs_hiscores", "fetch_log", _h(12, 45), corrupt_gzip, ext="json.gz", root=root)
    with clock_at(_h(13)):
        found = gaps.after_fetch("osrs_hiscores", root, db)
    assert [(g.endpoint, g.gap_from, g.gap_to, g.minutes) for g in found] == [
        ("index_lite", _h(10, 30), _h(12), 90),
        ("index_lite", _h(11), _h(12), 60),
    ]
    assert "of bob landed" in found[0].reason and "of alice landed" in found[1].reason
    recorded = """select gap_from, gap_to, closed_at from ops.fetch_gaps
        where source = 'osrs_hiscores' order by gap_from"""
    assert query(db, recorded) == [(_h(10, 30), _h(12), None), (_h(11), _h(12), None)]
    (check,) = [
        c
        for c in GAP_CHECKS
        for spec in c.check_specs_by_output_name.values()
        if spec.asset_key.path == ["raw_osrs_hiscores", "hiscore_metrics"]
    ]
    result = check(warehouse=WarehouseResource.from_env())
    assert not result.passed and result.metadata["minutes_missing"].value == 150
    # with a one-day lookback, a day later: a gap is found while the answer before it is in
    # sight (alice's 10:30 at 10:20), and kept open once it is not (bob's 10:00; then
    # both at 10:40): the hiscores never serve them back
    monkeypatch.setenv("SOURCES__OSRS_HISCORES__GAP_LOOKBACK_DAYS", "1")
    with clock_at(_h(10, 20) + timedelta(days=1)):
        assert [g.gap_from for g in gaps.after_fetch("osrs_hiscores", root, db)] == [_h(11)]
    assert [r[2] for r in query(db, recorded)] == [None, None]
    with clock_at(_h(10, 40) + timedelta(days=1)):
        assert osrs_hiscores.gaps(root) == []
        gaps.after_fetch("osrs_hiscores", root, db)
    assert [r[2] for r in query(db, recorded)] == [None, None]


def test_vividseats_events_missed_in_an_outage_are_one_gap_per_start(tmp_path: Path) -> None:
    """Ticks every 15 minutes; an event counts as answered when the fetch log says ``ok``
    (its listings landed). Events 101 and 103: ok at 10:00 and 10:15, blocked (403) or
    failed at 10:30, 10:45 and 11:00, ok at 11:15 and 11:30 → 60 minutes apart (> 40) →
    one gap [10:30, 11:15), 45 minutes, naming both; 102 ok every tick: none; 104 past
    from 10:45 on (not asked again): none."""
    root = tmp_path / "landing"
    for minutes in range(0, 91, 15):
        at = _h(10) + timedelta(minutes=minutes)
        down = minutes in (30, 45, 60)
        log = [
            {"production_id": 101, "status": "blocked" if down else "ok"},
            {"production_id": 102, "status": "ok"},
            {"production_id": 103, "status": "failed" if down else "ok"},
            {"production_id": 104, "status": "past" if minutes >= 45 else "ok"},
        ]
        write_atomic("vividseats", "fetch_log", at, json.dumps(log).encode(), root=root)
    with clock_at(_h(12)):
        (gap,) = vividseats.gaps(root)
    assert (gap.endpoint, gap.gap_from, gap.gap_to, gap.minutes) == (
        "listings",
        _h(10, 30),
        _h(11, 15),
        45,
    )
    assert "of 101, 103 landed for more than 40 minutes" in gap.reason
    assert vividseats.GAP_ENDPOINTS == ("listings",)
