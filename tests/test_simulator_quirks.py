"""The simulator's quirks (what real archives hold and the demo walks through): a bucket
saved twice under two names, a NUL at the end of an item name, absurd ticket listings,
Yahoo's newest session sent twice and a split between two incremental Yahoo fetches.
Each is loaded as real data would be: one bucket or session kept, one observation or
listing rejected with its reason, earlier prices put on the split's scale, everything
else loaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from ingestion.landing import iter_landing_files
from ingestion.simulator.exchanges import DAY, Exchanges
from ingestion.simulator.writer import (
    QUIRK_EVERY,
    write_dofus_market,
    write_exchanges,
    write_osrs_prices,
    write_vividseats,
)
from orchestration import ingest
from orchestration.cli import app
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


# ----------------------------------------------------------------------- Yahoo quirks

STOCKS = (
    "symbol,name,asset_type,provider,provider_symbol,currency\n"
    "AAPL,Apple Inc.,stock,yahoo_finance,AAPL,USD\n"
    "MSFT,Microsoft Corporation,stock,yahoo_finance,MSFT,USD\n"
    "SPY,SPDR S&P 500 ETF Trust,etf,yahoo_finance,SPY,USD\n"
)
# SIM_END is Sunday 11-22 06:00 UTC: AAPL's 4:1 split falls on Friday 11-20 (the last
# weekday before it); the first Yahoo fetch, four days earlier (Wed 11-18 06:00), sees
# sessions up to Tuesday 11-17 on the old scale; the second brings 11-18 … 11-20.
TUESDAY, WEDNESDAY, FRIDAY = (datetime(2026, 11, d, tzinfo=UTC) for d in (17, 18, 20))


@pytest.fixture(scope="module")
def yahoo(db, landing, tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "tracked_assets.csv"
    path.write_text(STOCKS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCES__YAHOO_FINANCE__HISTORY_DAYS", "30")
        write_exchanges(
            seed=5, end=SIM_END, root=landing, assets_file=path, n_assets=6, quirks=True
        )
        result = CliRunner().invoke(app, ["refresh", "--replay", "--source", "yahoo_finance"])
    assert result.exit_code == 0, result.output
    # the walk underneath (numbers on today's scale), to work the expected values from
    truth = Exchanges(seed=5, n_assets=6)
    return lambda symbol, at: truth.day(truth.assets[symbol], int(at.timestamp()) // DAY)


def _bars(db, symbol: str, day: datetime) -> list[tuple]:
    return query(
        db,
        "select bar_at, close, volume, split_numerator from raw_yahoo_finance.daily_bars"
        " where symbol = %s and bar_at >= %s and bar_at < %s order by bar_at",
        (symbol, day, day + timedelta(days=1)),
    )


def _daily(db, symbol: str, day: datetime) -> tuple:
    return query(
        db,
        "select close, volume, observations from marts.fct_prices_daily"
        " where item_id = %s and bucket_start = %s",
        (f"yahoo_finance:{symbol}", day),
    )[0]


def test_a_split_between_two_fetches_puts_earlier_prices_on_the_new_scale(db, yahoo) -> None:
    _, _, _, close, volume = yahoo("AAPL", TUESDAY)
    # fetched before the split: Yahoo sent Tuesday on the old scale (price × 4, shares
    # ÷ 4), twice (AAPL's newest session then), and raw keeps it so
    old_close = Decimal(str(round(float(close) * 4, 4)))  # the simulator's rounding
    raw = _bars(db, "AAPL", TUESDAY)
    assert [(c, n) for _, c, _, n in raw] == [(old_close, None), (old_close, None)]
    final_volume = raw[-1][2]
    assert final_volume == int(volume / 4)
    # the marts: ÷ 4 and × 4, from the later copy (the session's close)
    assert _daily(db, "AAPL", TUESDAY) == (old_close / 4, final_volume * 4, 1)
    assert _bars(db, "AAPL", FRIDAY)[0][3] == 4  # the split, on its own session
    # Wednesday came after the split, as sent: the day's move is the walk's, not −75 %
    wednesday = _daily(db, "AAPL", WEDNESDAY)[0]
    assert wednesday == Decimal(str(round(float(yahoo("AAPL", WEDNESDAY)[3]), 4)))
    assert abs(wednesday / (old_close / 4) - 1) < Decimal("0.1")


def test_a_session_sent_twice_is_one_observation_the_later_winning(db, yahoo) -> None:
    volume = int(yahoo("MSFT", FRIDAY)[4])
    raw = _bars(db, "MSFT", FRIDAY)  # at the open (18/19 of the volume) and at the close
    assert [(at.hour, v) for at, _, v, _ in raw] == [(14, volume * 18 // 19), (21, volume)]
    close = raw[-1][1]
    assert _daily(db, "MSFT", FRIDAY) == (close, volume, 1)
    # SPY is not one of the symbols Yahoo repeats: one bar, as ever
    assert len(_bars(db, "SPY", FRIDAY)) == 1
