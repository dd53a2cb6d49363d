"""A deterministic OSRS Grand Exchange: the same seed gives the same market, byte for byte.

Every price is a pure function of (seed, item, time), so the HTTP server can
answer ``?timestamp=`` for any past bucket and the landing writer can produce
N days, and both agree. The log price of an item is its base level plus

* a slow AR(1) component on daily steps (weeks-long swings),
* a fast AR(1) component on 5-minute steps (hours-long swings), computed as
  its truncated moving-average form so any window can be produced on its own,
* a daily cycle (more trades and a small premium in the evening, UTC),
* rare spikes that decay over a few hours,

with volume scaled inversely to price and thin items missing from buckets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ingestion.simulator.paths import normals

STEP = 300  # seconds per 5-minute bucket
BLOCK = 2048  # steps per cached block of prices
FAST_PHI = 0.985
FAST_LAGS = 400  # 0.985**400 ≈ 0.0024: truncation error far below a gp
SLOW_PHI = 0.85
SLOW_LAGS = 60

# Real items that people track, at realistic levels (gp), with their real ids.
ANCHORS: list[tuple[int, str, int, int, bool]] = [
    (13190, "Old school bond", 9_500_000, 100, False),
    (20997, "Twisted bow", 1_450_000_000, 8, True),
    (22486, "Scythe of vitur (uncharged)", 1_100_000_000, 8, True),
    (4151, "Abyssal whip", 1_700_000, 70, True),
    (11832, "Bandos chestplate", 14_000_000, 8, True),
    (11834, "Bandos tassets", 25_000_000, 8, True),
    (12934, "Zulrah's scales", 160, 30_000, True),
    (2, "Cannonball", 190, 11_000, True),
    (314, "Feather", 3, 30_000, False),
    (561, "Nature rune", 110, 18_000, False),
    (565, "Blood rune", 230, 25_000, True),
    (560, "Death rune", 190, 25_000, False),
    (385, "Shark", 850, 13_000, True),
    (3144, "Cooked karambwan", 480, 13_000, True),
    (2434, "Prayer potion(4)", 9_200, 2_000, True),
    (12695, "Super combat potion(4)", 13_500, 2_000, True),
    (1513, "Magic logs", 1_050, 12_000, True),
    (1515, "Yew logs", 270, 25_000, False),
    (440, "Iron ore", 95, 25_000, False),
    (453, "Coal", 150, 13_000, False),
    (2353, "Steel bar", 480, 10_000, False),
    (2363, "Runite bar", 12_400, 10_000, True),
    (1127, "Rune platebody", 38_500, 70, False),
    (1079, "Rune platelegs", 38_000, 70, False),
    (1163, "Rune full helm", 20_000, 70, False),
    (536, "Dragon bones", 2_600, 7_500, False),
    (6685, "Saradomin brew(4)", 6_800, 2_000, True),
    (21034, "Dexterous prayer scroll", 95_000_000, 8, True),
    (12002, "Occult necklace", 1_000_000, 8, True),
    (11802, "Armadyl godsword", 13_000_000, 8, True),
]

MATERIALS = [
    ("Bronze", 0.2), ("Iron", 0.5), ("Steel", 1.0), ("Black", 2.0), ("Mithril", 3.0),
    ("Adamant", 8.0), ("Rune", 25.0), ("Dragon", 120.0),
]  # fmt: skip
KINDS = [
    ("dagger", 20), ("sword", 40), ("scimitar", 60), ("longsword", 70), ("battleaxe", 90),
    ("2h sword", 130), ("platebody", 260), ("platelegs", 170), ("plateskirt", 170),
    ("chainbody", 140), ("full helm", 110), ("med helm", 60), ("kiteshield", 150),
    ("sq shield", 110), ("boots", 50), ("arrowtips", 1), ("dart tip", 1), ("bolts", 2),
    ("pickaxe", 140), ("axe", 60), ("warhammer", 100), ("mace", 60), ("javelin heads", 2),
]  # fmt: skip
HERBS = [
    "Guam", "Marrentill", "Tarromin", "Harralander", "Ranarr", "Toadflax", "Irit",
    "Avantoe", "Kwuarm", "Snapdragon", "Cadantine", "Lantadyme", "Dwarf weed", "Torstol",
]  # fmt: skip


@dataclass(frozen=True)
class SimItem:
    """One simulated Grand Exchange item: id, name, base price (gp), buy limit (None: the
    mapping omits it), members flag, and what drives its trading (half-spread, liquidity,
    volatility)."""

    item_id: int
    name: str
    base_price: float
    buy_limit: int | None
    members: bool
    spread: float  # half-spread as a fraction of mid
    liquidity: float  # expected units traded per 5-minute bucket per side at the daily mean
    vol: float  # stdev of the fast component's innovations

    @property
    def high_alch(self) -> int:
        """High Level Alchemy value in gp: 60 % of the store value, at least 1
        (https://oldschool.runescape.wiki/w/High_Level_Alchemy)."""
        return max(1, int(self.base_price * 0.6 * 0.6))

    @property
    def low_alch(self) -> int:
        """Low Level Alchemy value in gp: 40 % of the store value, at least 1."""
        return max(1, int(self.base_price * 0.6 * 0.4))

    @property
    def store_value(self) -> int:
        """The item's store value in gp (the mapping's ``value``): 60 % of the base price, at
        least 1."""
        return max(1, int(self.base_price * 0.6))


class GEMarket:
    """The simulated market; cheap to construct, deterministic in ``seed``."""

    def __init__(self, seed: int = 42, n_items: int = 300) -> None:
        self.seed = seed
        self.items = self._make_items(n_items)
        self._by_id = {it.item_id: i for i, it in enumerate(self.items)}
        self._fast_kernel = FAST_PHI ** np.arange(FAST_LAGS)
        self._slow_kernel = SLOW_PHI ** np.arange(SLOW_LAGS)

    # ---------------------------------------------------------------- catalogue

    def _make_items(self, n: int) -> list[SimItem]:
        rng = np.random.default_rng([self.seed, 1])
        items: list[SimItem] = []
        for item_id, name, price, limit, members in ANCHORS[:n]:
            items.append(self._item(rng, item_id, name, price, limit, members))
        names = [f"{m} {k}" for m, _ in MATERIALS for k, _ in KINDS]
        factors = [mf * kf for _, mf in MATERIALS for _, kf in KINDS]
        names += [f"Grimy {h.lower()}" for h in HERBS] + [f"{h} potion (unf)" for h in HERBS]
        factors += [float(12 + 60 * i) for i in range(len(HERBS))] * 2
        next_id = 30_000
        for name, factor in zip(names, factors, strict=True):
            if len(items) >= n:
                break
            price = max(2.0, factor * 10 * math.exp(rng.normal(0, 0.3)))
            limit = 125 if price > 100_000 else 10_000 if price < 1_000 else 2_000
            items.append(self._item(rng, next_id, name, price, limit, bool(rng.random() < 0.6)))
            next_id += 7
        while len(items) < n:  # rare collectibles from a lognormal across the whole range
            price = float(math.exp(rng.uniform(math.log(5), math.log(2e9))))
            limit = (
                None
                if rng.random() < 0.05
                else (8 if price > 1e7 else 100 if price > 1e5 else 5_000)
            )
            items.append(
                self._item(
                    rng, next_id, f"Curio #{next_id}", price, limit, bool(rng.random() < 0.7)
                )
            )
            next_id += 7
        return items

    @staticmethod
    def _item(rng, item_id, name, price, limit, members) -> SimItem:
        # Cheap items trade in thousands, billion-gp items a few times a day.
        liquidity = float(np.clip(3e6 / max(price, 1.0) ** 0.85, 0.01, 50_000.0))
        spread = float(
            np.clip(0.003 + 0.01 / math.sqrt(liquidity + 0.1) * rng.uniform(0.5, 1.5), 0.002, 0.06)
        )
        return SimItem(
            item_id=item_id,
            name=name,
            base_price=float(price),
            buy_limit=limit,
            members=members,
            spread=spread,
            liquidity=liquidity,
            vol=float(rng.uniform(0.002, 0.008)),
        )

    def mapping(self) -> list[dict]:
        """The ``/mapping`` answer: one record per item (id, name, examine, members, limit, value,
        lowalch, highalch, icon), ``limit`` left out where the buy limit is unknown, as the real
        API does (https://oldschool.runescape.wiki/w/RuneScape:Real-time_Prices)."""
        out = []
        for it in self.items:
            rec = {
                "examine": f"A {it.name.lower()}.",
                "id": it.item_id,
                "members": it.members,
                "lowalch": it.low_alch,
                "limit": it.buy_limit,
                "value": it.store_value,
                "highalch": it.high_alch,
                "icon": f"{it.name}.png",
                "name": it.name,
            }
            if it.buy_limit is None:
                del rec["limit"]  # the real API omits unknown limits
            out.append(rec)
        return out

    # ---------------------------------------------------------------- prices

    def _noise(self, item_idx: int, start: int, n: int, stream: int) -> np.ndarray:
        return normals(self.seed, stream, self.items[item_idx].item_id, start, n)

    @lru_cache(maxsize=8192)  # noqa: B019 - the market is long-lived and immutable
    def _block(self, item_idx: int, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mid price and insta-buy / insta-sell volumes for one block of 5-minute steps."""
        it = self.items[item_idx]
        start = block * BLOCK
        steps = np.arange(start, start + BLOCK)
        fast_eps = self._noise(item_idx, start - FAST_LAGS + 1, BLOCK + FAST_LAGS - 1, 2)
        fast = np.convolve(fast_eps, self._fast_kernel, mode="valid") * it.vol
        days = steps * STEP // 86_400
        d0, d1 = int(days[0]), int(days[-1])
        slow_eps = self._noise(item_idx, d0 - SLOW_LAGS + 1, d1 - d0 + SLOW_LAGS, 3)
        slow_days = np.convolve(slow_eps, self._slow_kernel, mode="valid") * 0.03
        slow = slow_days[days - d0]
        hour = (steps * STEP % 86_400) / 3600.0
        daily = np.sin(2 * np.pi * (hour - 13) / 24)
        cycle = 0.006 * daily
        # Spikes: a rare jump of 15-60 % that decays over ~3 hours.
        spike_u = self._noise(item_idx, start - 60, BLOCK + 60, 4)
        jumps = np.where(spike_u > 3.4, 0.15 + 0.45 * (spike_u - 3.4).clip(0, 1), 0.0)
        spikes = np.convolve(jumps, 0.95 ** np.arange(61), mode="valid")
        mid = it.base_price * np.exp(slow + fast + cycle + spikes)
        rate = it.liquidity * (1 + 0.6 * daily)
        rng = np.random.default_rng([self.seed, 5, it.item_id, block])
        return mid, rng.poisson(rate), rng.poisson(rate * 0.9)

    def window(self, start_step: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mid, high volume, low volume), each [items × n] over 5-minute steps."""
        first, last = start_step // BLOCK, (start_step + n - 1) // BLOCK
        off = start_step - first * BLOCK
        out = []
        for part in range(3):
            rows = [
                np.concatenate([self._block(i, b)[part] for b in range(first, last + 1)])[
                    off : off + n
                ]
                for i in range(len(self.items))
            ]
            out.append(np.vstack(rows))
        return out[0], out[1], out[2]

    def bucket(self, endpoint: str, ts: int, window=None) -> dict:
        """The /5m or /1h payload for the bucket starting at epoch ``ts``."""
        width = 1 if endpoint == "5m" else 12
        ts = ts - ts % (STEP * width)
        mid, highs, lows = window or self.window(ts // STEP, width)
        spreads = np.array([it.spread for it in self.items])[:, None]
        hv, lv = highs.sum(axis=1), lows.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg_high = (mid * (1 + spreads) * highs).sum(axis=1) / hv
            avg_low = (mid * (1 - spreads) * lows).sum(axis=1) / lv
        data: dict[str, dict] = {}
        for idx, it in enumerate(self.items):
            h, low = int(hv[idx]), int(lv[idx])
            if h == 0 and low == 0:
                continue  # not traded in this bucket: absent, as on the real API
            data[str(it.item_id)] = {
                "avgHighPrice": int(round(float(avg_high[idx]))) if h else None,
                "highPriceVolume": h,
                "avgLowPrice": int(round(float(avg_low[idx]))) if low else None,
                "lowPriceVolume": low,
            }
        return {"data": data, "timestamp": ts}

    LATEST_LOOKBACK = 288

    def latest(self, now: int, window=None) -> dict:
        """The /latest payload: each item's last insta-buy and insta-sell at or before ``now``.

        ``window`` may pass the LATEST_LOOKBACK steps ending at ``now`` precomputed.
        """
        step = now // STEP
        lookback = self.LATEST_LOOKBACK
        first = step - lookback + 1
        mids, highs, lows = window or self.window(first, lookback)
        data: dict[str, dict] = {}
        for idx, it in enumerate(self.items):
            entry: dict[str, int | None] = {}
            for side, counts, factor in (
                ("high", highs[idx], 1 + it.spread),
                ("low", lows[idx], 1 - it.spread),
            ):
                traded = np.nonzero(counts)[0]
                if traded.size == 0:
                    continue
                k = int(traded[-1])
                entry[side] = int(round(float(mids[idx, k] * factor)))
                entry[f"{side}Time"] = min(now, (first + k) * STEP + 17 * (idx % 17))
            if entry:
                data[str(it.item_id)] = {
                    "high": entry.get("high"),
                    "highTime": entry.get("highTime"),
                    "low": entry.get("low"),
                    "lowTime": entry.get("lowTime"),
                }
        return {"data": data}
