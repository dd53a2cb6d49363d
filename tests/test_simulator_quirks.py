"""The simulator's quirks (what real archives hold and the demo walks through): a bucket
saved twice under two names, a NUL at the end of an item name, absurd ticket listings.
Each is loaded as real data would be: one bucket kept, one observation or listing
rejected with its reason, everything else loaded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ingestion.landing import iter_landing_files
from ingestion.simulator.writer import (
    QUIRK_EVERY,
    write_dofus_market,
    write_osrs_prices,
    write_vividseats,
)
from orchestration import ingest
from tests.conftest import SIM_END, query, scalar

EVENTS = "production_id,performer,venue,note\n5100000,,,\n"


@pytest.fixture(scope="module")
def loaded(db, landing):
    write_osrs_prices(1, seed=3, n_items=20, end=SIM_END, root=landing, quirks=True)
    write_dofus_market(2, seed=3, end=SIM_END, root=landing, quirks=True)
    write_vividseats(
        0.25, end=SIM_END, root=landing, events_csv=EVENTS, anchor=SIM_END - timedelta(hours=6),
        blocked_every=1000, quirks=True,
    )  # fmt: skip
    return {s: ingest.load_source(s) for s in ("osrs_prices", "dofus_market", "vividseats")}


def test_a_bucket_saved_twice_is_kept_once(db, landing, loaded) -> None:
    names = [f.path.name for f in iter_landing_files("osrs_prices", ["5m"], landing)]
    copies = [n for n in names if not n.endswith("00Z.json") and not n.endswith("05Z.json")]
    assert copies and all(n.endswith("07Z.json") for n in copies)  # 12:05:07 beside 12:05:00
    # 289 buckets over a day (288 + the first), one row per item each, none doubled
    assert scalar(db, "select count(distinct bucket_at) from raw_osrs_prices.prices_5m") == 289
    assert scalar(
        db, "select count(*) from (select item_id, bucket_at from raw_osrs_prices.prices_5m"
        " group by 1, 2 having count(*) > 1) as d"
    ) == 0  # fmt: skip
    reasons = query(
        db, "select reason from raw_osrs_prices.rejected_records where reason like 'a copy of%%'"
    )
    assert len(reasons) == len(copies) > 0


def test_a_nul_in_a_name_rejects_that_observation_only(db, loaded) -> None:
    # the writer's rule: a batch every 30 minutes per server over two days, the NUL in
    # those where (slot + len(server)) % 97 == 0
    step = 1800
    last = int(SIM_END.timestamp()) // step * step
    slots = range((last - 2 * 86_400) // step, last // step + 1)
    expected = sum(
        1
        for n in slots
        for server in ("Draconiros", "Imagiro")
        if (n + len(server)) % QUIRK_EVERY == 0
    )
    rejects = query(db, "select record_pointer, reason from raw_dofus_market.rejected_records")
    assert len(rejects) == expected >= 1
    for pointer, reason in rejects:
        assert pointer == "/observations/0"
        assert reason.startswith("item_name contains a NUL character (U+0000) at offset ")


def test_absurd_listings_are_rejected_beside_the_book(db, loaded) -> None:
    reasons = [r for (r,) in query(db, "select reason from raw_vividseats.rejected_records")]
    # one snapshot in sixteen (every four hours) carries a $0 and a $5,000,000 listing
    assert (
        reasons.count("price is not positive: 0")
        == reasons.count("price is above the plausible US$100,000: 5000000")
        >= 1
    )
    assert scalar(
        db, "select count(*) from raw_vividseats.listings where price_cents <= 0"
        " or price_cents > 10000000"
    ) == 0  # fmt: skip
