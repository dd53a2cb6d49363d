"""Profile files → rows and line-numbered rejects (no database, no catalogue).

The loader checks what the files tell; items, markets and players load as written. The
lines the catalogue does not know are dbt's to list (int_user_state__rejected_lines): its
unit tests take this module's profile, loaded as below, against the catalogue this module
used to pass in, and reject the same four lines in the same words."""

from __future__ import annotations

import json

import pytest

from ingestion.sources import user_state as us
from orchestration.alerts.deliver import _scrub, discord_payload

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
    return us.parse_bundle({"files": files})


def test_good_lines_load_and_bad_lines_say_file_and_line() -> None:
    state = parse({"main.yaml": PROFILE, "main.bank.csv": BANK_CSV})
    reasons = {r.record_pointer: r.reason for r in state.rejects}
    # What the file shows wrong. Nobody (line 4), Natur rune (line 10) and Rune platebody
    # (line 22 and the CSV's line 3) are the catalogue's to reject: they load as written.
    assert reasons == {
        "main.yaml:15": "main.yaml line 15: negative quantity -5 for 'Coal'",
        "main.yaml:19": "main.yaml line 19: unknown alert type 'price_sideways' (price_below, "
        "price_above, price_change, trend_state, buy_opportunity, sell_opportunity, "
        "arbitrage, flip_margin, hiscore_gain, achievement)",
        "main.yaml:20": "main.yaml line 20: price_above needs 'target'",
        "main.yaml:21": "main.yaml line 21: notify names 'email', which the profile's "
        "channels do not configure",
        "main.yaml:24": "main.yaml line 24: alert id 'coal-low' is used twice",
        "main.bank.csv:4": "main.bank.csv line 4: quantity is not a whole number: 'abc'",
    }
    t = state.tables
    assert t["profiles"] == [
        {"profile_id": "main", "display_name": "Main", "default_market": "osrs-ge",
         "default_market_line": 3, "discord_webhook": "main", "email_to": None,
         "source_file": "main.yaml", "source_line": 2}
    ]  # fmt: skip
    assert [(r["player"], r["source_line"]) for r in t["profile_players"]] == [
        ("Zezima", 4),
        ("Nobody", 4),
    ]
    assert [(r["market_id"], r["item"], r["source_line"]) for r in t["favorites"]] == [
        ("osrs-ge", "Coal", 8),
        ("binance-spot", "BTCUSDT", 9),
        ("osrs-ge", "Natur rune", 10),
    ]
    assert [(r["watchlist"], r["item"]) for r in t["watchlists"]] == [
        ("bars", "Coal"),
        ("bars", "440"),
    ]
    # Iron ore twice in the YAML is summed (600 + 50); coal and the platebody come from
    # the CSV (-5 coal and "abc" are rejected lines, not rows).
    assert {r["item"]: (r["quantity"], r["source_file"], r["source_line"])
            for r in t["bank_items"]} == {
        "Iron ore": (650, "main.yaml", 14),
        "Coal": (900, "main.bank.csv", 2),
        "Rune platebody": (1, "main.bank.csv", 3),
    }  # fmt: skip
    rules = {r["rule_id"]: r for r in t["alert_rules"]}
    assert sorted(rules) == ["coal-low", "plate", "zez"]
    assert rules["coal-low"]["threshold"] == 120.0
    assert rules["coal-low"]["cooldown_minutes"] == 120
    assert rules["coal-low"]["channels"] == "discord"
    assert (rules["coal-low"]["market_id"], rules["coal-low"]["item"]) == ("osrs-ge", "Coal")
    assert rules["coal-low"]["reference_line"] == 18
    # flip_margin is an OSRS rule: its item is named in osrs-ge
    assert (rules["plate"]["market_id"], rules["plate"]["item"]) == ("osrs-ge", "Rune platebody")
    assert rules["plate"]["threshold"] == 10.0
    assert (rules["zez"]["player"], rules["zez"]["metric"], rules["zez"]["period"]) == (
        "Zezima",
        "Attack",
        "week",
    )
    assert rules["zez"]["cooldown_minutes"] == 360  # the 6h default


def test_names_load_as_written_once_per_spelling_and_block_lines_count() -> None:
    """An item or player named twice alike (case and spaces aside) loads once, at its first
    line, the bank summing; names and ids of one item are dbt's to merge. Each entry of a
    block list, and a rule's item or market key, keeps its own line."""
    state = parse({
        "p.yaml": (
            "profile:\n"                             # 1
            "  default_market: osrs-ge\n"            # 2
            "  players:\n"                           # 3
            "    - Zezima\n"                         # 4
            "    - ZEZIMA\n"                         # 5
            "favorites: [Coal, coal, 453]\n"         # 6
            "bank:\n"                                # 7
            "  - {item: Coal, quantity: 2}\n"        # 8
            "  - {item: ' coal ', quantity: 3}\n"    # 9
            "alerts:\n"                              # 10
            "  - id: scan\n"                         # 11
            "    type: buy_opportunity\n"            # 12
            "    market: nowhere\n"                  # 13
            "    min_profit: 1\n"                    # 14
            "  - id: cheap\n"                        # 15
            "    type: price_below\n"                # 16
            "    target: 1\n"                        # 17
            "    item: Coal\n"                       # 18
            "  - {id: gains, type: hiscore_gain, player: Nobody, min_gain: 1, metric: Atack}\n"
        ),
    })  # fmt: skip
    t = state.tables
    assert [(r["player"], r["source_line"]) for r in t["profile_players"]] == [("Zezima", 4)]
    assert [(r["item"], r["source_line"]) for r in t["favorites"]] == [("Coal", 6), ("453", 6)]
    assert [(r["item"], r["quantity"], r["source_line"]) for r in t["bank_items"]] == [
        ("Coal", 5, 8)
    ]
    rules = {r["rule_id"]: r for r in t["alert_rules"]}
    assert (rules["scan"]["market_id"], rules["scan"]["item"]) == ("nowhere", None)
    assert (rules["scan"]["source_line"], rules["scan"]["reference_line"]) == (11, 13)
    assert (rules["cheap"]["item"], rules["cheap"]["reference_line"]) == ("Coal", 18)
    # The hiscore metrics are the hiscores' published list, not the catalogue: checked here.
    assert [r.reason for r in state.rejects] == ["p.yaml line 19: unknown hiscore metric 'Atack'"]


def test_a_profile_rejected_whole_loads_nothing() -> None:
    """A file whose sections do not parse is one reject and no rows, even of the lines
    before the one that broke it."""
    profile = "profile: {default_market: osrs-ge, players: [Zezima]}\nfavorites: [Coal]\n"
    state = parse({"p.yaml": profile + "alerts: 5\n"})
    assert [r.reason for r in state.rejects] == ["p.yaml line 3: 'alerts' is a list"]
    assert all(not rows for rows in state.tables.values())


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
