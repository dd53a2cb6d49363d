"""Vivid Seats end to end through `snapmart refresh --source vividseats`, against the
simulator on loopback: a past event stops being asked, a 403 on one event leaves the
others' data complete, and bad listings are rejected with their reasons while the rest
of their snapshot loads."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
import time_machine
from typer.testing import CliRunner

from ingestion.landing import write_atomic
from ingestion.simulator.server import SimulatorServer
from ingestion.simulator.tickets import Tickets
from orchestration.cli import app
from tests.conftest import query, scalar

AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # the simulator's clock: books never move
PLANTED_AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
UPCOMING, PAST, BLOCKED, BY_PERFORMER = 5100000, 5100037, 5100074, 5100111
EVENTS = (
    "production_id,performer,venue,note\n"
    f"{UPCOMING},,,\n{PAST},,,two days ago\n{BLOCKED},,,\n"
    ",Arctic Monkeys,TD Garden,found on the performer's page\n"
)


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(clock=lambda: AT.timestamp()) as server:
        yield server


@pytest.fixture(scope="module")
def configured(db, landing, sim, tmp_path_factory):
    events = tmp_path_factory.mktemp("config") / "tracked_events.csv"
    events.write_text(EVENTS)
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCES__VIVIDSEATS__EVENTS_FILE", str(events))
    mp.setenv("SOURCES__VIVIDSEATS__BASE_URL", sim.url)
    mp.setenv("SOURCES__VIVIDSEATS__MAX_ATTEMPTS", "1")
    mp.setenv("SOURCES__VIVIDSEATS__REQUESTS_PER_SECOND", "0")
    yield
    mp.undo()


def _refresh() -> str:
    result = CliRunner().invoke(app, ["refresh", "--source", "vividseats"])
    assert result.exit_code == 0, result.output
    return result.output


BAD = {
    "global": [{"productionId": UPCOMING, "productionName": "planted", "mapTitle": "MSG"}],
    "tickets": [
        {"i": 1, "s": "101", "r": "5", "q": 2, "p": 100.0, "aip": 125.0, "l": "Lower", "n": None},
        {"i": 2, "s": "101", "r": "5", "q": 2, "p": 0, "aip": 0, "l": "Lower", "n": None},
        {"i": 3, "s": "101", "r": "5", "q": 2, "p": -5.0, "aip": 10.0, "l": "Lower", "n": None},
        {"i": 4, "s": "101", "r": "5", "q": 2, "p": 250000.0, "aip": 312500.0, "l": "L", "n": None},
        {"i": 5, "s": "101", "r": "5", "q": 2, "p": 80.0, "aip": 70.0, "l": "Lower", "n": None},
        {"i": 6, "s": "101", "r": "5", "q": 2, "p": 80.001, "aip": 100.0, "l": "L", "n": None},
        {"i": 7, "s": None, "r": "5", "q": 2, "p": 80.0, "aip": 100.0, "l": "Lower", "n": None},
        {"i": 8, "s": "102", "r": None, "q": 4, "p": 60.5, "aip": 75.63, "l": "L", "n": "Aisle"},
        {"i": 1, "s": "101", "r": "6", "q": 1, "p": 99.0, "aip": 120.0, "l": "Lower", "n": None},
    ],
}


@pytest.fixture(scope="module")
def ticks(configured, sim, landing, db):
    # the ticks run at the simulator's hour: "past" and days-to-event follow the tick's
    # clock, whatever the machine's calendar says
    with time_machine.travel(AT, tick=True):
        return _ticks(sim, landing)


def _ticks(sim, landing):
    sim.blocked_productions = {BLOCKED}
    first = _refresh()
    sim.blocked_productions = set()
    planted = write_atomic(
        "vividseats", "listings", PLANTED_AT,
        json.dumps(BAD).encode(), key=str(UPCOMING), root=landing,
    )  # fmt: skip
    time.sleep(1.1)  # the second tick's files get their own capture second
    second = _refresh()
    return first, second, planted


def test_blocked_event_leaves_the_others_complete(db, sim, ticks) -> None:
    statuses = query(
        db,
        "select production_id, fetch_status, http_status from staging.stg_vividseats__fetch_events"
        " where fetched_at = (select min(fetched_at) from staging.stg_vividseats__fetch_events)"
        " order by production_id",
    )
    assert statuses == [
        (UPCOMING, "ok", 200),
        (PAST, "past", 200),
        (BLOCKED, "blocked", 403),
        (BY_PERFORMER, "ok", 200),
    ]
    # every listing the simulator had on sale for the events that answered is in raw
    tickets = Tickets(anchor=AT)
    for pid in (UPCOMING, BY_PERFORMER):
        expected = len(tickets.listings_arrays(tickets.by_id[pid], AT)["id"])
        got = scalar(
            db,
            "select count(*) from raw_vividseats.listings where production_id = %s"
            " and captured_at = (select min(captured_at) from raw_vividseats.listings"
            " where captured_at > %s)",  # the first tick, not the planted file
            (pid, PLANTED_AT),
        )
        assert expected > 20 and got == expected
    # the blocked event was asked again next tick and answered
    assert query(
        db,
        "select fetch_status from staging.stg_vividseats__fetch_events"
        " where production_id = %s order by fetched_at",
        (BLOCKED,),
    ) == [("blocked",), ("ok",)]
    assert scalar(db, "select count(*) from raw_vividseats.listings where production_id = %s",
                  (BLOCKED,)) > 20  # fmt: skip


def test_past_event_is_not_fetched_again(db, sim, ticks) -> None:
    asked = [r for r in sim.requests if str(PAST) in r]
    assert asked == [f"/hermes/api/v1/productions/{PAST}"]  # once, then never again
    statuses = query(
        db,
        "select fetch_status from staging.stg_vividseats__fetch_events"
        " where production_id = %s order by fetched_at",
        (PAST,),
    )
    assert statuses == [("past",), ("past",)]
    assert scalar(db, "select count(*) from raw_vividseats.listings where production_id = %s",
                  (PAST,)) == 0  # fmt: skip
    past = query(
        db, "select is_past, last_fetch_status from marts.dim_events where production_id = %s",
        (PAST,),
    )  # fmt: skip
    assert past == [(True, "past")]


def test_performer_line_resolves_to_its_productions(db, ticks) -> None:
    rows = query(
        db,
        "select production_id, resolved_from, performer from marts.dim_events"
        " where resolved_from = 'performer'",
    )
    assert rows == [(BY_PERFORMER, "performer", "Arctic Monkeys")]


def test_bad_listings_rejected_with_reasons_rest_loads(db, ticks) -> None:
    _, _, planted = ticks
    reasons = dict(
        query(
            db,
            "select record_pointer, reason from raw_vividseats.rejected_records"
            " where landing_file = %s",
            (planted.relative,),
        )
    )
    assert reasons == {
        "/tickets/1": "price is not positive: 0",
        "/tickets/2": "price is not positive: -5.0",
        "/tickets/3": "price is above the plausible US$100,000: 250000.0",
        "/tickets/4": "all-in price 70.0 is below the price 80.0",
        "/tickets/5": "price is not whole cents: 80.001",
        "/tickets/6": "listing has no section",
        "/tickets/8": "listing id 1 appears earlier in this snapshot (first one kept)",
    }
    loaded = query(
        db,
        "select listing_id, section, seat_row, quantity, price, all_in_price, notes"
        " from staging.stg_vividseats__listings where captured_at = '2026-11-21 12:00+00'"
        " order by listing_id",
    )
    from decimal import Decimal

    assert loaded == [
        (1, "101", "5", 2, Decimal("100.00"), Decimal("125.00"), None),
        (8, "102", None, 4, Decimal("60.50"), Decimal("75.63"), "Aisle"),
    ]


def test_listings_are_partitioned_by_month_and_reload_is_idempotent(db, ticks) -> None:
    partitions = query(
        db,
        "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid"
        " where i.inhparent = 'raw_vividseats.listings'::regclass order by 1",
    )
    assert partitions == [("listings_p202611",)]
    before = scalar(db, "select count(*) from raw_vividseats.listings")
    result = CliRunner().invoke(app, ["ingest", "--source", "vividseats", "--replay"])
    assert result.exit_code == 0, result.output
    assert scalar(db, "select count(*) from raw_vividseats.listings") == before
