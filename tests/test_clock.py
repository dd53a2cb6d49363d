"""Every rule that compares with "now" follows the tick's clock (ingestion/clock.py),
never the machine's calendar or the database server's ``now()``.

The database server here runs on the real date; Python's clock is moved with
time-machine. Simulated Vivid Seats history anchored on 2026-11-22 (the simulator puts
production 5100000 nine days after its anchor, 5100037 two days before it) is built at
that day's clock, then rebuilt a year later and back: each build's past flags and
days-to-event are those of its own clock, worked out by hand below.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from typer.testing import CliRunner

from ingestion.simulator.writer import write_vividseats
from orchestration.cli import app
from tests.conftest import query, scalar

AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
ANCHOR = AT.replace(hour=0)
UPCOMING, PAST = 5100000, 5100037  # event days 2026-12-01 and 2026-11-20
EVENTS = f"production_id,performer,venue,note\n{UPCOMING},,,\n{PAST},,,\n"


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _events(db) -> list[tuple]:
    return query(
        db,
        "select production_id, event_date::text, is_past, days_to_event from marts.dim_events"
        " order by production_id",
    )


@pytest.fixture(scope="module")
def built(db, landing):
    with time_machine.travel(AT, tick=True):
        write_vividseats(
            1 / 24, end=AT, root=landing, events_csv=EVENTS, anchor=ANCHOR, blocked_every=1000
        )
        _run("refresh", "--source", "vividseats", "--replay")


def test_marts_built_at_the_ticks_clock(db, built) -> None:
    assert _events(db) == [
        (UPCOMING, "2026-12-01", False, 9),  # 2026-12-01 - 2026-11-22
        (PAST, "2026-11-20", True, -2),
    ]
    assert scalar(db, "select as_of from ops.tick_clock") >= AT
    deals = scalar(db, "select count(distinct production_id) from marts.mart_ticket_deals")
    assert deals == 1  # only the upcoming event can have deals


def test_a_year_later_every_event_is_past(db, built) -> None:
    with time_machine.travel(AT + timedelta(days=365), tick=True):
        _run("transform", "--select", "dim_events mart_ticket_deals")
    assert _events(db) == [
        (UPCOMING, "2026-12-01", True, -356),  # 2026-12-01 - 2027-11-22
        (PAST, "2026-11-20", True, -367),  # -2 - 365
    ]
    assert scalar(db, "select count(*) from marts.mart_ticket_deals") == 0


def test_back_at_the_ticks_day_the_same_marts_again(db, built) -> None:
    with time_machine.travel(AT, tick=True):
        _run("transform", "--select", "dim_events mart_ticket_deals")
    assert _events(db) == [(UPCOMING, "2026-12-01", False, 9), (PAST, "2026-11-20", True, -2)]
