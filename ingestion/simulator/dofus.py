"""Deterministic Dofus marketplace observations, as capture clients send them.

A client on a server looks at part of the marketplace every so often and drops a
batch: per item, the price of a lot of 1, 10 and 100 (kamas), ``null`` or ``0``
when no such lot is on sale. Clients re-send a page they just saw, so some
observations repeat one a few minutes older, byte for byte.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from ingestion.simulator.paths import log_price_path

SERVERS = ("Draconiros", "Imagiro", "Orukam", "Tylezia", "Hell Mina")
CATEGORIES = ("Resource", "Consumable", "Equipment", "Rune", "Idol")
NAMES = [
    "Wheat", "Barley", "Oats", "Hop", "Flax", "Rye", "Malt", "Hemp", "Ash Wood", "Chestnut Wood",
    "Walnut Wood", "Oak Wood", "Iron", "Copper", "Bronze", "Cobalt", "Manganese", "Tin", "Silver",
    "Bauxite", "Gold", "Dolomite", "Obsidian", "Gobball Wool", "Gobball Leather", "Boar Leather",
    "Piwi Feather", "Kwak Beak", "Dragoturkey Leather", "Sadida Leaf", "Pa Rune", "Ga Rune",
    "Vi Rune", "Fo Rune", "Ine Rune", "Ri Rune", "Cha Rune", "Age Rune", "Prospecting Potion",
    "Recall Potion", "Bonta Potion", "Brakmar Potion", "Energy Bread", "Kanojedo Soup",
]  # fmt: skip


class DofusMarket:
    """The simulated Dofus marketplace: ``n_items`` items (id, name, category, level, a base
    unit price in kamas), deterministic in ``seed``; ``batch`` is what a capture client
    sends."""

    def __init__(self, seed: int = 42, n_items: int = 120) -> None:
        self.seed = seed
        rng = np.random.default_rng([seed, 300])
        self.items: list[dict] = []
        for i in range(n_items):
            name = NAMES[i % len(NAMES)]
            tier = i // len(NAMES)
            self.items.append(
                {
                    "ankama_id": 280 + i * 11,
                    "item_name": name if tier == 0 else f"{name} +{tier}",
                    "category": CATEGORIES[i % len(CATEGORIES)],
                    "level": int(rng.integers(1, 200)),
                    "base": float(math.exp(rng.uniform(math.log(3), math.log(400_000)))),
                }
            )

    def batch(self, server: str, at: datetime, client: str = "sniffer-3.2") -> dict:
        """What one client sees on ``server`` at ``at`` (about a third of the items)."""
        hour = int(at.timestamp()) // 3600
        key = sum(ord(c) for c in server)
        rng = np.random.default_rng([self.seed, 301, key, int(at.timestamp()) // 600])
        seen = rng.random(len(self.items)) < 0.35
        observations = []
        for item, on in zip(self.items, seen, strict=True):
            if not on:
                continue
            level = item["base"] * math.exp(
                float(log_price_path(self.seed, item["ankama_id"] * 31 + key, hour, 1)[0])
            )
            lots = {}
            for size, discount in ((1, 1.0), (10, 0.93), (100, 0.88)):
                if rng.random() < 0.12:
                    lots[size] = None if rng.random() < 0.5 else 0  # no lot of this size
                else:
                    unit = level * discount * (1 + abs(rng.normal(0, 0.03)))
                    lots[size] = max(1, int(round(unit * size)))
            observations.append(
                {
                    "item_name": item["item_name"],
                    "ankama_id": item["ankama_id"],
                    "category": item["category"],
                    "level": item["level"],
                    "price_x1": lots[1],
                    "price_x10": lots[10],
                    "price_x100": lots[100],
                }
            )
        return {
            "server": server,
            "captured_at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "client": client,
            "observations": observations,
        }
