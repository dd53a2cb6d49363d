"""The tickets marts on simulated history: every hourly and daily aggregate recomputed in
Python from the raw listings, sell-through flows from consecutive snapshots, a tick built
incrementally equal to a full rebuild, deals at least 20 % under their section median,
and a collapsed snapshot flagged by the warning check."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from typer.testing import CliRunner

from ingestion.landing import write_atomic
from ingestion.simulator.writer import write_vividseats
from orchestration.cli import app
from tests.conftest import query, scalar

# recent enough for the checks that look at the last day; whole quarter-hours
END = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=45)
END = END.replace(minute=END.minute // 15 * 15)
ANCHOR = END.replace(hour=0, minute=0)
EVENTS = "production_id,performer,venue,note\n5100000,,,\n5100074,,,\n5100111,,,\n"
MARTS = (
    "intermediate.int_tickets__event_snapshots",
    "intermediate.int_tickets__snapshot_flows",
    "intermediate.int_tickets__listing_days",
    "marts.mart_event_prices_hourly",
    "marts.mart_event_prices_daily",
    "marts.mart_event_sellthrough",
)


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _snapshot_of(db, table: str) -> list[tuple]:
    cols = [
        r[0]
        for r in query(
            db,
            "select column_name from information_schema.columns where table_schema || '.' ||"
            " table_name = %s and column_name <> 'load_id' order by ordinal_position",
            (table,),
        )
    ]
    return query(db, f"select {', '.join(cols)} from {table} order by {', '.join(cols)}")


@pytest.fixture(scope="module")
def built(db, landing):
    """Two ticks: a day of history, then the next day on top (incremental build)."""
    common = dict(root=landing, events_csv=EVENTS, anchor=ANCHOR, blocked_every=1000)
    write_vividseats(1, end=END - timedelta(days=1), **common)
    _run("refresh", "--source", "vividseats", "--replay")
    write_vividseats(1, end=END, **common)
    return _run("refresh", "--source", "vividseats", "--replay")


def _listings(db) -> list[tuple]:
    return query(
        db,
        "select production_id, listing_id, section, captured_at, all_in_price_cents, quantity"
        " from raw_vividseats.listings",
    )


def _expected_buckets(rows: list[tuple], trunc) -> dict[tuple, tuple]:
    per: dict[tuple, list] = defaultdict(list)
    for pid, lid, section, at, cents, qty in rows:
        per[(pid, trunc(at), lid)].append((at, section, cents, qty))
    last_seen: dict[tuple, datetime] = defaultdict(lambda: datetime.min.replace(tzinfo=UTC))
    listing = {}
    for (pid, bucket, lid), seen in per.items():
        seen.sort()
        at, section, cents, qty = seen[-1]
        listing[(pid, bucket, lid)] = (section, min(s[2] for s in seen), cents, qty, at)
        last_seen[(pid, bucket)] = max(last_seen[(pid, bucket)], at)
    groups: dict[tuple, list] = defaultdict(list)
    for (pid, bucket, _), (section, low, last, qty, at) in listing.items():
        groups[(pid, section, bucket)].append((low, last, qty, at == last_seen[(pid, bucket)]))
    out = {}
    cent = Decimal("0.01")
    for key, items in groups.items():
        lasts = [Decimal(i[1]) / 100 for i in items]
        median = statistics.median(lasts).quantize(Decimal("0.001"), ROUND_HALF_UP)
        avg = (sum(lasts) / len(lasts)).quantize(cent, ROUND_HALF_UP)
        out[key] = (
            Decimal(min(i[0] for i in items)) / 100,
            median,
            avg,
            len(items),
            sum(i[2] for i in items),
            sum(1 for i in items if i[3]),
            sum(i[2] for i in items if i[3]),
        )
    return out


def _got(db, table: str) -> dict[tuple, tuple]:
    return {
        (r[0], r[1], r[2]): tuple(r[3:])
        for r in query(
            db,
            "select production_id, section, bucket_start, get_in_price, median_price, avg_price,"
            f" listings, tickets, close_listings, close_tickets from marts.{table}",
        )
    }


def test_hourly_and_daily_match_a_recomputation_from_raw(db, built) -> None:
    rows = _listings(db)
    assert len(rows) > 10_000
    hourly = _expected_buckets(rows, lambda t: t.replace(minute=0, second=0))
    daily = _expected_buckets(rows, lambda t: t.replace(hour=0, minute=0, second=0))
    assert len(hourly) > 3 * 24 * 10
    assert _got(db, "mart_event_prices_hourly") == hourly
    assert _got(db, "mart_event_prices_daily") == daily
    # listings really come and go inside hours: some hour saw more than its close
    assert (
        scalar(
            db,
            "select count(*) from marts.mart_event_prices_hourly where listings > close_listings",
        )
        > 0
    )


def test_flows_match_consecutive_snapshots(db, built) -> None:
    books: dict[tuple, dict[int, tuple]] = defaultdict(dict)
    for pid, lid, section, at, _, qty in _listings(db):
        books[(pid, at)][lid] = (section, qty)
    expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_event: dict[int, list[datetime]] = defaultdict(list)
    for pid, at in books:
        by_event[pid].append(at)
    for pid, times in by_event.items():
        times.sort()
        for before, now in zip(times, times[1:], strict=False):
            a, b = books[(pid, before)], books[(pid, now)]
            for lid in a.keys() | b.keys():
                section = (b.get(lid) or a[lid])[0]
                e = expected[(pid, section, now)]
                if lid not in b:
                    e[0] += 1
                    e[1] += a[lid][1]
                elif lid not in a:
                    e[2] += 1
                    e[3] += b[lid][1]
                else:
                    e[1] += max(0, a[lid][1] - b[lid][1])
                    e[3] += max(0, b[lid][1] - a[lid][1])
    got = {
        (r[0], r[1], r[2]): list(r[3:])
        for r in query(
            db,
            "select production_id, section, captured_at, listings_gone, tickets_gone,"
            " listings_new, tickets_new from intermediate.int_tickets__snapshot_flows",
        )
    }
    assert got == dict(expected)
    assert sum(v[1] for v in got.values()) > 100  # tickets did sell


def test_incremental_ticks_equal_a_full_rebuild(db, built) -> None:
    ticked = {t: _snapshot_of(db, t) for t in MARTS}
    _run("transform", "--select", "source:vividseats+", "--full-refresh")
    for table in MARTS:
        assert ticked[table] == _snapshot_of(db, table), table


def test_deals_are_under_their_section_median(db, built) -> None:
    deals = query(
        db,
        "select production_id, section, captured_at, all_in_price, section_median_price,"
        " discount_pct from marts.mart_ticket_deals",
    )
    assert deals
    for pid, section, at, price, median, pct in deals:
        prices = [
            r[0]
            for r in query(
                db,
                "select all_in_price from staging.stg_vividseats__listings"
                " where production_id = %s and section = %s and captured_at = %s",
                (pid, section, at),
            )
        ]
        assert len(prices) >= 3
        assert statistics.median(prices) == median
        assert price <= Decimal("0.8") * median
        assert pct == (100 * (median - price) / median).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_a_collapsed_snapshot_warns(db, landing, built) -> None:
    empty = {"global": [{"productionId": 5100000}], "tickets": []}
    write_atomic(
        "vividseats", "listings", END + timedelta(minutes=15), json.dumps(empty).encode(),
        key="5100000", root=landing,
    )  # fmt: skip
    output = _run("refresh", "--source", "vividseats", "--replay")
    assert "1 warn" in output
    drop = query(
        db,
        "select listings, previous_listings, listings_drop_pct"
        " from intermediate.int_tickets__event_snapshots"
        " where production_id = 5100000 order by captured_at desc limit 1",
    )[0]
    assert drop[0] == 0 and drop[1] > 20 and drop[2] == 100
    # the marts say zero on sale at that moment rather than dropping the snapshot
    assert (
        scalar(
            db,
            "select listings from marts.dim_events where production_id = 5100000",
        )
        == 0
    )
