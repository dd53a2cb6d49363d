"""Deterministic ticket resale: Vivid Seats productions and their listings at any moment.

Each production (event) has a fixed pool of listing *slots* spread over its venue's
sections. A slot runs in cycles of its own length: a cycle starts empty (the seller has
not relisted yet), then holds one listing (a new listing id each cycle) until the cycle
ends (the tickets sold). Halfway through its life a listing of four or more tickets
sells two of them, and the seller reprices it every few hours. Fewer slots are open the
closer the event, so inventory sells through; prices drift up (hot events) or down
(cold ones) toward the event date, each listing at its own markup over its section's
base price. Everything is a pure function of (seed, production, slot, time) computed
with integer hashing on numpy arrays, so the HTTP server and the landing writer agree
for any moment, and a week of 15-minute snapshots for many events is quick to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from ingestion import clock

DAY = 86_400
FIRST_PRODUCTION_ID = 5_100_000
HORIZON_DAYS = 120  # listings open this long before the event
FEE_RATE = 0.25  # Vivid Seats' buyer fees, roughly: all-in = price × 1.25
PERFORMERS = [
    "The Lumineers", "Tame Impala", "Billie Eilish", "Arctic Monkeys", "Hozier",
    "Phoebe Bridgers", "Khruangbin", "Vampire Weekend", "Lorde", "Fleet Foxes",
]  # fmt: skip
VENUES = [
    ("Madison Square Garden", "New York, NY"),
    ("The Forum", "Inglewood, CA"),
    ("United Center", "Chicago, IL"),
    ("Red Rocks Amphitheatre", "Morrison, CO"),
    ("TD Garden", "Boston, MA"),
]
NOTES = ["Aisle seats", "Parking included", "Obstructed view", "Mobile transfer", "Club access"]
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: a well-spread 64-bit hash of each element."""
    with np.errstate(over="ignore"):
        z = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
        return z ^ (z >> np.uint64(31))


def _uniform(*keys: np.ndarray | int) -> np.ndarray:
    """Uniform [0, 1) per element, a pure function of the keys."""
    h = np.zeros(np.broadcast(*[np.asarray(k) for k in keys]).shape, dtype=np.uint64)
    for k in keys:
        h = _mix(h ^ np.asarray(k).astype(np.uint64))
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass(frozen=True)
class Production:
    """One simulated event: ids and names as the API gives them, the local start time (sent
    as ``localDate``, with no zone), the price trend toward the event, its venue's sections
    (section, label, base price in USD) and how many listing slots it has."""

    production_id: int
    name: str
    performer: str
    venue: str
    city: str
    event_at: datetime  # local start, given as the API's localDate (no zone)
    trend: float  # price change from listing open to the event: +0.6 hot, -0.35 cold
    sections: tuple[tuple[str, str, float], ...]  # (section, label, base price)
    slots: int


class Tickets:
    """Productions around ``anchor`` (default: today): a few already past, the rest
    from a few days to a few months ahead, ``n_listings`` listing slots each."""

    def __init__(
        self,
        seed: int = 42,
        n_events: int = 12,
        n_listings: int = 160,
        anchor: datetime | None = None,
        horizon_days: int = HORIZON_DAYS,
        quirks: bool = False,
    ) -> None:
        self.seed = seed
        # real books hold now and then a listing no one could buy: a $0 ticket, or a
        # whole-dollar $5,000,000 one (ints where prices are usually decimals)
        self.quirks = quirks
        self.horizon_days = horizon_days  # listings open this long before each event
        day = int((anchor or clock.now()).timestamp()) // DAY * DAY
        self.anchor = datetime.fromtimestamp(day, UTC)
        self.productions = [self._production(i, n_listings) for i in range(n_events)]
        self.by_id = {p.production_id: p for p in self.productions}

    def _production(self, i: int, n_listings: int) -> Production:
        performer = PERFORMERS[i % len(PERFORMERS)]
        venue, city = VENUES[(i * 3 + i // len(PERFORMERS)) % len(VENUES)]
        u = _uniform(self.seed, 7, i, np.arange(4))
        # event 1 is two days past (a tracked event that must stop being fetched);
        # the others are 3 to ~110 days ahead of the anchor
        days_ahead = -2 if i == 1 else 3 + int(u[0] * 107) if i else 9
        event_at = self.anchor + timedelta(days=days_ahead, hours=19, minutes=30)
        trend = 0.6 if u[1] < 0.5 else -0.35
        n_sections = 8 + int(u[2] * 10)
        sections = []
        for s in range(n_sections):
            if s < 2:
                name, label, base = f"Floor {'AB'[s]}", "Floor", 260.0
            elif s < n_sections // 2 + 1:
                name, label, base = str(100 + s), "Lower Level", 150.0
            else:
                name, label, base = str(300 + s), "Upper Level", 70.0
            jitter = 0.8 + 0.4 * float(_uniform(self.seed, 8, i, s))
            sections.append((name, label, round(base * jitter * (0.7 + u[3] * 0.8), 2)))
        return Production(
            production_id=FIRST_PRODUCTION_ID + i * 37,
            name=f"{performer} at {venue}",
            performer=performer,
            venue=venue,
            city=city,
            event_at=event_at,
            trend=trend,
            sections=tuple(sections),
            slots=n_listings,
        )

    # ----------------------------------------------------------------- answers

    def production(self, production_id: int, at: datetime) -> dict | None:
        """The production's detail answer at ``at`` (name, localDate, venue, performers, and the
        min and max all-in price of its current listings, None when none are on sale), or None
        for an unknown id."""
        p = self.by_id.get(production_id)
        if p is None:
            return None
        prices = self.listings_arrays(p, at)["aip"]
        return {
            "id": p.production_id,
            "name": p.name,
            "localDate": p.event_at.strftime("%Y-%m-%dT%H:%M:%S"),
            "venue": {"name": p.venue, "city": p.city},
            "performers": [{"name": p.performer}],
            "minPrice": round(float(prices.min()), 2) if len(prices) else None,
            "maxPrice": round(float(prices.max()), 2) if len(prices) else None,
        }

    def search(self, performer: str, at: datetime) -> dict:
        """Upcoming productions of a performer, as a performer page lists them."""
        wanted = performer.strip().lower()
        items = [
            {
                "id": p.production_id,
                "name": p.name,
                "localDate": p.event_at.strftime("%Y-%m-%dT%H:%M:%S"),
                "venue": {"name": p.venue, "city": p.city},
            }
            for p in self.productions
            if p.performer.lower() == wanted and p.event_at.date() >= at.date()
        ]
        return {"items": items, "total": len(items)}

    def listings(self, production_id: int, at: datetime) -> dict | None:
        """The listings answer for the production at ``at``, or None for an unknown id:
        ``{"global": [head], "tickets": [...]}``, one ticket per listing with the API's
        one-letter keys (i id, s section, r row, q quantity, p price and aip all-in price in
        USD per ticket, l section label, n note). With ``quirks``, one snapshot in sixteen adds
        a $0 and a whole-dollar $5,000,000 listing."""
        p = self.by_id.get(production_id)
        if p is None:
            return None
        a = self.listings_arrays(p, at)
        tickets = [
            {
                "i": int(a["id"][k]),
                "s": p.sections[a["section"][k]][0],
                "r": str(a["row"][k]),
                "q": int(a["quantity"][k]),
                "p": float(a["price"][k]),
                "aip": float(a["aip"][k]),
                "l": p.sections[a["section"][k]][1],
                "n": None if a["note"][k] < 0 else NOTES[a["note"][k]],
            }
            for k in range(len(a["id"]))
        ]
        if self.quirks and tickets and int(at.timestamp()) // 900 % 16 == 5:  # every 4 hours
            first = tickets[0]
            tickets.append({**first, "i": first["i"] + 1, "p": 0, "aip": 0})
            tickets.append({**first, "i": first["i"] + 2, "p": 5_000_000, "aip": 5_000_001})
        head = {"productionId": p.production_id, "productionName": p.name, "mapTitle": p.venue}
        return {"global": [head], "tickets": tickets}

    def listings_arrays(self, p: Production, at: datetime) -> dict[str, np.ndarray]:
        """The listings on sale at ``at``, as arrays (id, section index, row, quantity,
        price, all-in price, note index or -1). Nothing before the listings open or
        after the event."""
        t = int(at.timestamp())
        event = int(p.event_at.replace(tzinfo=UTC).timestamp())
        horizon = self.horizon_days * DAY
        opens = event - horizon
        if t < opens or t >= event:
            return {k: np.array([], dtype=np.int64) for k in _FIELDS}
        k = np.arange(p.slots, dtype=np.int64)
        pid = p.production_id
        # the share of slots still open falls from 100 % to 25 % as the event nears
        to_go = (event - t) / horizon
        open_share = 0.25 + 0.75 * to_go**0.7
        slot_rank = _uniform(self.seed, 1, pid, k)
        period = (6 + 90 * _uniform(self.seed, 2, pid, k)) * 3600  # 6 h .. 4 days
        phase = _uniform(self.seed, 3, pid, k) * period
        cycle = np.floor((t + phase) / period).astype(np.int64)
        into = (t + phase) - cycle * period  # seconds into the cycle
        gap = _uniform(self.seed, 4, pid, k, cycle) * 0.25 * period  # empty until relisted
        alive = (slot_rank < open_share) & (into >= gap)
        k, cycle, into, gap, period = k[alive], cycle[alive], into[alive], gap[alive], period[alive]
        # a fresh id per (event, slot, cycle): 52 hash bits, so ids never collide in practice
        key = _mix(_mix(_mix(np.uint64(pid)) ^ k.astype(np.uint64)) ^ cycle.astype(np.uint64))
        listing_id = 1_000_000_000 + (key >> np.uint64(12)).astype(np.int64)
        section = (_uniform(self.seed, 5, pid, k) * len(p.sections)).astype(np.int64)
        row = 1 + (_uniform(self.seed, 6, pid, k, cycle) * 30).astype(np.int64)
        quantity = 1 + (_uniform(self.seed, 9, pid, k, cycle) * 8).astype(np.int64)
        half_sold = (into - gap) > 0.5 * (period - gap)
        quantity = np.where(half_sold & (quantity >= 4), quantity - 2, quantity)
        # repriced every 4..28 hours at the then-current curve, at the listing's markup
        every = (4 + 24 * _uniform(self.seed, 10, pid, k, cycle)) * 3600
        priced_at = np.floor(t / every) * every
        curve = 1 + p.trend * (1 - np.clip((event - priced_at) / horizon, 0, 1)) ** 2
        markup = 0.8 + 0.8 * _uniform(self.seed, 11, pid, k, cycle) ** 2
        drift = 0.95 + 0.1 * _uniform(self.seed, 12, pid, k, cycle, priced_at.astype(np.int64))
        base = np.array([s[2] for s in p.sections])[section]
        price = np.round(base * curve * markup * drift, 2)
        aip = np.round(price * (1 + FEE_RATE), 2)
        note_u = _uniform(self.seed, 13, pid, k, cycle)
        note = np.where(note_u < 0.2, (note_u * 25).astype(np.int64) % len(NOTES), -1)
        return {
            "id": listing_id,
            "section": section,
            "row": row,
            "quantity": quantity,
            "price": price,
            "aip": aip,
            "note": note,
        }


_FIELDS = ("id", "section", "row", "quantity", "price", "aip", "note")


def tracked_events_csv(chosen: list[Production], performers: tuple[str, ...] = ()) -> str:
    """A tracked-events config: the chosen productions by id, plus performer lines."""
    lines = ["production_id,performer,venue,note"]
    lines += [f"{p.production_id},,,{p.name}" for p in chosen]
    lines += [f",{name},," for name in performers]
    return "\n".join(lines) + "\n"
