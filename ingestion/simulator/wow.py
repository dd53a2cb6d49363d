"""A deterministic World of Warcraft auction house: region commodities and connected realms.

Snapshots are hourly, as Blizzard publishes them; a snapshot is a pure function of
(seed, region or realm, hour). Prices are in copper. Most listings sit near the
going rate, a long tail is listed far above it, a few are undercut below it;
realm auctions carry bonus lists, and pet cages carry species, breed, level and
quality, as the real API does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ingestion.simulator.paths import log_price_path

TIME_LEFT = ("SHORT", "MEDIUM", "LONG", "VERY_LONG")
PET_CAGE = 82800
REALMS = {3676: "Area 52", 57: "Illidan", 1146: "Draenor", 3391: "Silvermoon"}

COMMODITY_KINDS = [
    ("Mycobloom", 180_000),
    ("Luredrop", 250_000),
    ("Orbinid", 420_000),
    ("Blessing Blossom", 900_000),
    ("Arathor's Spear", 310_000),
    ("Bismuth", 260_000),
    ("Ironclaw Ore", 190_000),
    ("Aqirite", 330_000),
    ("Weavercloth", 45_000),
    ("Dawnweave Bolt", 2_500_000),
    ("Stormcharged Leather", 120_000),
    ("Gloom Chitin", 150_000),
    ("Storm Dust", 60_000),
    ("Gleaming Shard", 700_000),
    ("Refulgent Crystal", 6_000_000),
    ("Algari Healing Potion", 400_000),
    ("Flask of Alchemical Chaos", 4_500_000),
    ("Tempered Potion", 2_800_000),
    ("Bismuth Bitterling", 30_000),
    ("Crystalline Powder", 1_500_000),
]
GEAR_KINDS = [
    "Helm",
    "Spaulders",
    "Chestguard",
    "Gauntlets",
    "Girdle",
    "Legguards",
    "Sabatons",
    "Bracers",
    "Cloak",
    "Ring",
    "Amulet",
    "Warglaive",
    "Staff",
    "Dagger",
    "Shield",
]
PETS = [
    (3290, "Spinner", 900_000),
    (4533, "Nibbles", 2_000_000),
    (1545, "Sprite Darter", 450_000),
    (4263, "Shadowy Fledgling", 15_000_000),
    (2484, "Scalebrood Hydra", 120_000),
]


@dataclass(frozen=True)
class WowItem:
    """One simulated item: id, name, base price in copper, mean number of live auctions, and
    whether it is a region-wide commodity; a caged pet carries its species id."""

    item_id: int
    name: str
    base_copper: float
    listings: float  # mean live auctions at once
    commodity: bool
    pet_species_id: int | None = None


class WowMarket:
    """Deterministic commodities (per region) and realm auction houses."""

    def __init__(
        self,
        seed: int = 42,
        n_commodities: int = 60,
        n_realm_items: int = 150,
        listings_scale: float = 1.0,
    ) -> None:
        self.seed = seed
        rng = np.random.default_rng([seed, 100])
        self.commodities: list[WowItem] = []
        for i in range(n_commodities):
            name, base = COMMODITY_KINDS[i % len(COMMODITY_KINDS)]
            tier = i // len(COMMODITY_KINDS)
            label = name if tier == 0 else f"{name} (Rank {tier + 1})"
            price = base * (1.4**tier) * math.exp(rng.normal(0, 0.2))
            listings = listings_scale * float(np.clip(8e4 / price**0.5, 8, 150))
            self.commodities.append(WowItem(210_000 + i, label, price, listings, True))
        self.realm_items: list[WowItem] = []
        for i in range(n_realm_items):
            if i < len(PETS):
                species, name, base = PETS[i]
                self.realm_items.append(
                    WowItem(PET_CAGE, f"Pet Cage: {name}", base, 4 * listings_scale, False, species)
                )
                continue
            kind = GEAR_KINDS[i % len(GEAR_KINDS)]
            price = float(math.exp(rng.uniform(math.log(5_000), math.log(200_000_000))))
            self.realm_items.append(
                WowItem(219_000 + i * 3, f"Ornate {kind} {i}", price, 3 * listings_scale, False)
            )

    # ------------------------------------------------------------------ snapshots

    @staticmethod
    def hour_of(ts: int) -> int:
        """The hour (since the epoch) of epoch seconds ``ts``: the snapshot it falls in."""
        return ts // 3600

    def _listings(self, item: WowItem, key: int, hour: int, rng: np.random.Generator) -> tuple:
        level = item.base_copper * math.exp(float(log_price_path(self.seed, key, hour, 1)[0]))
        n = int(rng.poisson(item.listings))
        if n == 0:
            return level, np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        u = rng.random(n)
        mult = np.where(
            u < 0.06,
            rng.uniform(0.7, 0.95, n),  # undercuts
            np.where(u < 0.90, 1 + np.abs(rng.normal(0, 0.04, n)), rng.uniform(1.3, 8.0, n)),
        )
        prices = np.maximum(1, np.round(level * mult)).astype(np.int64)
        quantities = (
            np.minimum(rng.geometric(0.05, n), 1000)
            if item.commodity
            else np.ones(n, dtype=np.int64)
        )
        time_left = rng.integers(0, 4, n)
        return level, prices, quantities.astype(np.int64), time_left

    def commodities_snapshot(self, region: str, ts: int) -> dict:
        """The region's commodities snapshot of the hour holding ``ts`` (epoch seconds), as the
        Game Data API's commodities endpoint serves it: auctions of id, item id, quantity,
        unit_price in copper and time_left
        (https://develop.battle.net/documentation/world-of-warcraft/game-data-apis)."""
        hour = self.hour_of(ts)
        region_key = sum(ord(c) for c in region)
        rng = np.random.default_rng([self.seed, 101, region_key, hour])
        auctions = []
        next_id = (hour % 100_000) * 10_000_000
        for item in self.commodities:
            _, prices, qty, tl = self._listings(item, item.item_id * 7 + region_key, hour, rng)
            for p, q, t in zip(prices.tolist(), qty.tolist(), tl.tolist(), strict=True):
                next_id += 1
                auctions.append(
                    {
                        "id": next_id,
                        "item": {"id": item.item_id},
                        "quantity": q,
                        "unit_price": p,
                        "time_left": TIME_LEFT[t],
                    }
                )
        return {
            "_links": {
                "self": {"href": f"https://{region}.api.blizzard.com/data/wow/auctions/commodities"}
            },
            "auctions": auctions,
        }

    def realm_snapshot(self, realm_id: int, ts: int) -> dict:
        """The connected realm's auction snapshot of the hour holding ``ts`` (epoch seconds):
        auctions of one unit each, buyout (sometimes a bid too; a few bid-only) in copper,
        in whole silver; gear carries bonus lists and modifiers, pet cages their species,
        breed, level and quality."""
        hour = self.hour_of(ts)
        rng = np.random.default_rng([self.seed, 102, realm_id, hour])
        auctions = []
        next_id = realm_id * 10**10 + (hour % 100_000) * 100_000
        for idx, item in enumerate(self.realm_items):
            key = (item.pet_species_id or item.item_id) * 13 + realm_id
            _, prices, _, tl = self._listings(item, key, hour, rng)
            for p, t in zip(prices.tolist(), tl.tolist(), strict=True):
                next_id += 1
                entry: dict = {"id": next_id, "item": {"id": item.item_id}}
                if item.pet_species_id:
                    entry["item"].update(
                        {
                            "modifiers": [{"type": 6, "value": 0}],
                            "pet_breed_id": 3 + idx % 10,
                            "pet_level": 25 if idx % 3 else 1,
                            "pet_quality_id": 3,
                            "pet_species_id": item.pet_species_id,
                        }
                    )
                else:
                    entry["item"].update(
                        {
                            "context": 16,
                            "bonus_lists": [10397, 10299 + idx % 5],
                            "modifiers": [{"type": 28, "value": 2470}],
                        }
                    )
                buyout = max(100, p // 100 * 100)  # realm buyouts are whole silver
                if rng.random() < 0.3:
                    entry["bid"] = int(buyout * 0.8)
                if rng.random() < 0.97:
                    entry["buyout"] = int(buyout)
                else:
                    entry.setdefault("bid", int(buyout * 0.8))  # bid-only auction
                entry["quantity"] = 1
                entry["time_left"] = TIME_LEFT[t]
                auctions.append(entry)
        return {
            "_links": {"self": {"href": f"/data/wow/connected-realm/{realm_id}/auctions"}},
            "connected_realm": {"href": f"/data/wow/connected-realm/{realm_id}"},
            "auctions": auctions,
            "commodities": {"href": "/data/wow/auctions/commodities"},
        }

    @staticmethod
    def last_modified(ts: int) -> int:
        """Blizzard refreshes roughly hourly; a snapshot's Last-Modified is a few minutes past."""
        hour = ts // 3600
        return hour * 3600 + 7 * 60 + (hour % 5) * 31
