"""Profile files → rows and line-numbered rejects, against a small catalogue (no database)."""

from __future__ import annotations

import json

import pytest

from ingestion.sources import user_state as us
from orchestration.alerts.deliver import _scrub, discord_payload

CATALOGUE = us.Catalogue.from_rows(
    markets=[("osrs-ge", "osrs_prices"), ("binance-spot", "binance")],
    items=[
        ("osrs_prices:440", "osrs_prices", "440", "Iron ore"),
        ("osrs_prices:453", "osrs_prices", "453", "Coal"),
        ("osrs_prices:1127", "osrs_prices", "1127", "Rune platebody"),
        ("osrs_prices:31008", "osrs_prices", "31008", "Rune platebody"),
        ("binance:BTCUSDT", "binance", "BTCUSDT", "Bitcoin"),
    ],
    players=[("osrs:zezima", "Zezima")],
    metrics=["Overall", "Attack"],
)

PROFILE = """\
profile:
  name: Main
  default_market: osrs-ge
  players: [Zezima, Nobody]
channels:
  discord: {webhook: main}
favorites:
  - Coal
  - {market: binance-spot, item: BTCUSDT}
  - Natur rune
watchlists:
  bars: [Coal, 440]
bank:
  - {item: Iron ore, quantity: 600}
  - {item: Coal, quantity: -5}
  - {item: Iron ore, quantity: 50}
alerts:
  - {id: coal-low, type: price_below, item: Coal, target: 120, cooldown: 2h, notify: [discord]}
  - {id: bad-type, type: price_sideways, item: Coal}
  - {id: no-target, type: price_above, item: Coal}
  - {id: mail, type: price_above, item: Coal, target: 1, notify: [email]}
  - {id: plate, type: flip_margin, item: Rune platebody, min_margin: 10}
  - {id: zez, type: hiscore_gain, player: Zezima, min_gain: 1000, metric: Attack, period: week}
  - {id: coal-low, type: price_above, item: Coal, target: 500}
"""

BANK_CSV = "item,quantity\nCoal,900\nRune platebody,1\nCoal,abc\n"


def parse(files: dict[str, str]) -> us.ParsedState:
    return us.parse_bundle({"files": files}, CATALOGUE)


def test_good_lines_load_and_bad_lines_say_file_and_line() -> None:
    state = parse({"main.yaml": PROFILE, "main.bank.csv": BANK_CSV})
    reasons = {r.record_pointer: r.reason for r in state.rejects}
    assert reasons == {
        "main.yaml:4": "main.yaml line 4: player 'Nobody' is not tracked (add it to the "
        "hiscores' tracked_players.csv)",
        "main.yaml:10": "main.yaml line 10: unknown item 'Natur rune' in market osrs-ge",
        "main.yaml:15": "main.yaml line 15: negative quantity -5 for 'Coal'",
        "main.yaml:19": "main.yaml line 19: unknown alert type 'price_sideways' (price_below, "
        "price_above, price_change, trend_state, buy_opportunity, sell_opportunity, "
        "arbitrage, flip_margin, hiscore_gain, achievement)",
        "main.yaml:20": "main.yaml line 20: price_above needs 'target'",
        "main.yaml:21": "main.yaml line 21: notify names 'email', which the profile's "
        "channels do not configure",
        "main.yaml:22": "main.yaml line 22: item name 'Rune platebody' is ambiguous in market "
        "osrs-ge (osrs_prices:1127, osrs_prices:31008): give its id",
        "main.yaml:24": "main.yaml line 24: alert id 'coal-low' is used twice",
        "main.bank.csv:3": "main.bank.csv line 3: item name 'Rune platebody' is ambiguous in "
        "market osrs-ge (osrs_prices:1127, osrs_prices:31008): give its id",
        "main.bank.csv:4": "main.bank.csv line 4: quantity is not a whole number: 'abc'",
    }
    t = state.tables
    assert t["profiles"] == [
        {"profile_id": "main", "display_name": "Main", "default_market": "osrs-ge",
         "players": "Zezima", "discord_webhook": "main", "email_to": None,
         "source_file": "main.yaml", "source_line": 2}
    ]  # fmt: skip
    assert [(r["market_id"], r["item_id"]) for r in t["favorites"]] == [
        ("osrs-ge", "osrs_prices:453"),
        ("binance-spot", "binance:BTCUSDT"),
    ]
    assert [(r["watchlist"], r["item_id"]) for r in t["watchlists"]] == [
        ("bars", "osrs_prices:453"),
        ("bars", "osrs_prices:440"),
    ]
    # Iron ore twice in the YAML is summed (600 + 50); coal comes from the CSV.
    assert {r["item_id"]: (r["quantity"], r["source_file"], r["source_line"])
            for r in t["bank_items"]} == {
        "osrs_prices:440": (650, "main.yaml", 14),
        "osrs_prices:453": (900, "main.bank.csv", 2),
    }  # fmt: skip
    rules = {r["rule_id"]: r for r in t["alert_rules"]}
    assert sorted(rules) == ["coal-low", "zez"]
    assert rules["coal-low"]["threshold"] == 120.0
    assert rules["coal-low"]["cooldown_minutes"] == 120
    assert rules["coal-low"]["channels"] == "discord"
    assert rules["coal-low"]["item_id"] == "osrs_prices:453"
    assert (rules["zez"]["player_id"], rules["zez"]["metric"], rules["zez"]["period"]) == (
        "osrs:zezima",
        "Attack",
        "week",
    )
    assert rules["zez"]["cooldown_minutes"] == 360  # the 6h default


def test_a_webhook_url_in_a_profile_is_rejected_without_repeating_it() -> None:
    url = "https://discord.com/api/webhooks/1/very-secret-token"
    state = parse({"p.yaml": f"channels:\n  discord: {{webhook: '{url}'}}\n"})
    assert len(state.rejects) == 1
    reject = state.rejects[0]
    assert reject.record_pointer == "p.yaml:2"
    assert "is a secret" in reject.reason
    assert "very-secret-token" not in reject.reason and reject.payload is None
    assert state.tables["profiles"][0]["discord_webhook"] is None


def test_whole_file_problems_are_one_reject_each() -> None:
    state = parse({
        "broken.yaml": "alerts: [\n",
        "Bad Name.yaml": "profile: {}\n",
        "typo.yaml": "favourites: [Coal]\n",
        "orphan.bank.csv": "item,quantity\nCoal,1\n",
    })  # fmt: skip
    by_file = {r.record_pointer.split(":")[0]: r.reason for r in state.rejects}
    assert by_file["broken.yaml"].startswith("broken.yaml line 2: not valid YAML")
    assert "named <profile_id>.yaml" in by_file["Bad Name.yaml"]
    assert by_file["typo.yaml"] == (
        "typo.yaml line 1: unknown section 'favourites' (sections: profile, channels, "
        "favorites, watchlists, bank, alerts)"
    )
    assert "next to its profile" in by_file["orphan.bank.csv"]
    assert all(not rows for rows in state.tables.values())


@pytest.mark.parametrize(
    ("text", "minutes"), [("30m", 30), ("6h", 360), ("1d", 1440), ("2w", 20160), (45, 45)]
)
def test_durations(text, minutes) -> None:
    assert us.parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["0h", "soon", "-1d", True])
def test_bad_durations(text) -> None:
    with pytest.raises(ValueError):
        us.parse_duration(text)


def test_discord_payload_and_scrubbing() -> None:
    from datetime import UTC, datetime

    event = {
        "event_id": 1, "profile_id": "p", "rule_id": "r", "rule_type": "price_below",
        "title": "Coal at 119 gp (≤ 120)", "message": "Coal is at 119 gp.",
        "triggered_at": datetime(2026, 11, 22, 6, 0, tzinfo=UTC), "observed_value": 119.0,
        "threshold": 120.0, "direction": -1,
    }  # fmt: skip
    body = discord_payload(event)
    assert body["content"] == "🔔 Coal at 119 gp (≤ 120)"
    (embed,) = body["embeds"]
    assert embed["timestamp"] == "2026-11-22T06:00:00+00:00"
    assert embed["color"] == 0xE74C3C
    assert [f["value"] for f in embed["fields"]] == ["p / r", "119.00", "120.00"]
    assert json.dumps(body)  # serialisable as sent
    assert _scrub("POST http://h/api/webhooks/1/tok failed", ["http://h/api/webhooks/1/tok"]) == (
        "POST *** failed"
    )
