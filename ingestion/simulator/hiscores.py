"""Deterministic OSRS players, as the hiscores show them at any moment.

A player's totals at time t are a pure function of (seed, player, t): each UTC day
the player is active or idle; an active day has a few sessions at set hours, each
training one skill at a realistic xp rate and, sometimes, killing a boss. So the
HTTP server and the landing writer agree for any t, and a player fetched twice with
no session in between answers byte for byte the same.

Special cases real trackers meet: a banned player (the hiscores answer 404), a skill
that is unranked until trained past the threshold, a hiscores rollback (xp goes down
between two snapshots), and a skill the game adds later (Sailing). The rollback and the
new skill happen at fixed offsets before the simulator's ``anchor`` (by default the
start of the current UTC day), so any simulated week shows both. Answers list every
skill and activity of the hiscores table as the game publishes it at that moment
(``osrs_hiscores.PUBLISHED_ORDERS``: the order before Sailing, then the current one), the
ones nobody here plays at -1, so the legacy CSV of an answer is in a published order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from ingestion import clock
from ingestion.sources.osrs_hiscores import PUBLISHED_ORDERS, PublishedOrder

SKILLS = [
    "Attack", "Defence", "Strength", "Hitpoints", "Ranged", "Prayer", "Magic", "Cooking",
    "Woodcutting", "Fletching", "Fishing", "Firemaking", "Crafting", "Smithing", "Mining",
    "Herblore", "Agility", "Thieving", "Slayer", "Farming", "Runecraft", "Hunter",
    "Construction",
]  # fmt: skip
NEW_SKILL = "Sailing"
NEW_SKILL_BEFORE = timedelta(days=3)  # the game adds a skill this long before the anchor
ROLLBACK_BEFORE = timedelta(hours=36)  # a rollback hits this long before the anchor
ROLLBACK_LOSES = timedelta(hours=36)  # ... and restores the hiscores of this long before it
HISTORY = timedelta(days=90)  # players' progress is simulated from this long before
ACTIVITIES = [
    "League Points", "Clue Scrolls (all)", "Clue Scrolls (hard)", "Clue Scrolls (elite)",
    "Chambers of Xeric", "Theatre of Blood", "Tombs of Amascut", "Vorkath", "Zulrah",
    "The Gauntlet", "Tempoross", "Wintertodt",
]  # fmt: skip
BOSSES = ACTIVITIES[4:]
MAX_XP = 200_000_000
RANK_XP_MIN = 1_154  # below this a skill is unranked on the hiscores (shown as -1)
ACTIVITY_MIN = 5  # fewer kills / clues than this are unranked
ACCOUNT_TYPES = ("regular", "ironman", "hardcore", "ultimate")


def xp_for_level(level: int) -> int:
    """The OSRS experience table: xp needed for ``level`` (1–99)."""
    points = 0
    for lvl in range(1, level):
        points += math.floor(lvl + 300 * 2 ** (lvl / 7))
    return points // 4


_XP_TABLE = [xp_for_level(lvl) for lvl in range(1, 100)]


def level_for_xp(xp: int) -> int:
    """The level ``xp`` experience reaches (1–99), by the OSRS experience table
    (https://oldschool.runescape.wiki/w/Experience); 200M xp is still 99."""
    level = 1
    for lvl, need in enumerate(_XP_TABLE, start=1):
        if xp >= need:
            level = lvl
    return level


@dataclass(frozen=True)
class Player:
    """One simulated player: name, account type (which hiscores boards list them), the groups
    of the players config, how often and how hard they play, and which special case they
    are (banned: 404; rolled back; a skill left unranked until trained later)."""

    name: str
    account_type: str
    groups: tuple[str, ...]
    base_level: int  # rough starting level of trained skills
    active_share: float  # fraction of days with any play
    sessions: float  # mean sessions on an active day
    banned: bool = False
    rolled_back: bool = False  # the hiscores lose a day and a half of this player's play
    late_skill: str | None = None  # unranked at the start, trained later


PLAYERS = [
    Player("Zezima", "regular", ("legends",), 92, 0.8, 3.0),
    Player("Lynx Titan", "regular", ("legends",), 99, 0.6, 2.0),
    Player("Settled", "ironman", ("legends", "irons"), 80, 0.9, 3.5),
    Player("Iron Hyger", "ironman", ("irons",), 85, 0.7, 2.5),
    Player("HCIM Benji", "hardcore", ("irons",), 70, 0.6, 2.0),
    Player("UIM Pete", "ultimate", ("irons",), 60, 0.5, 1.5, late_skill="Construction"),
    Player("Weekend Wendy", "regular", ("friends",), 55, 0.3, 2.0, late_skill="Runecraft"),
    Player(
        "Rolled Back",
        "regular",
        ("friends",),
        75,
        0.9,
        3.0,
        rolled_back=True,
    ),
    Player("Banned Bob", "regular", ("friends",), 70, 0.5, 1.0, banned=True),
]


@dataclass
class Totals:
    """A player's running totals: xp per skill and score per activity (kills, clues)."""

    xp: dict[str, int] = field(default_factory=dict)
    score: dict[str, int] = field(default_factory=dict)


class Hiscores:
    """The simulated hiscores: ``lookup(name, at)`` → JSON payload, or None (404)."""

    def __init__(self, seed: int = 42, anchor: datetime | None = None) -> None:
        now = clock.now()
        self.seed = seed
        self.anchor = anchor or now.replace(hour=0, minute=0, second=0, microsecond=0)
        self.start = self.anchor - HISTORY
        self.new_skill_at = self.anchor - NEW_SKILL_BEFORE
        self.rollback_at = self.anchor - ROLLBACK_BEFORE
        self.players = {p.name.lower(): p for p in PLAYERS}
        self._initials: dict[str, Totals] = {}
        self._days: dict[tuple[str, int], list] = {}

    def player(self, name: str) -> Player | None:
        """The simulated player a hiscores name means (``_``, ``+`` and spaces alike, any case),
        or None for a name nobody has."""
        return self.players.get(name.replace("_", " ").replace("+", " ").lower())

    def _key(self, player: Player) -> int:
        return sum(ord(c) * (i + 1) for i, c in enumerate(player.name))

    def _initial(self, player: Player) -> Totals:
        if player.name in self._initials:
            return self._initials[player.name]
        rng = np.random.default_rng([self.seed, 500, self._key(player)])
        totals = Totals()
        for skill in SKILLS:
            if skill == player.late_skill:
                totals.xp[skill] = int(rng.integers(0, RANK_XP_MIN))  # unranked at first
                continue
            level = int(np.clip(rng.normal(player.base_level, 6), 1, 99))
            if skill == "Hitpoints":
                level = max(level, 10)
            xp = xp_for_level(level) + int(rng.integers(0, 5_000))
            totals.xp[skill] = min(xp, MAX_XP)
        for activity in ACTIVITIES:
            totals.score[activity] = int(rng.integers(0, 400)) if rng.random() < 0.7 else 0
        self._initials[player.name] = totals
        return totals

    def _day(self, player: Player, day: int) -> list[tuple[float, str, int, str | None, int]]:
        """Sessions of one UTC day: (hour, skill, xp gained, boss, kills)."""
        if (player.name, day) in self._days:
            return self._days[player.name, day]
        rng = np.random.default_rng([self.seed, 501, self._key(player), day])
        out = []
        if rng.random() <= player.active_share:
            for _ in range(max(1, int(rng.poisson(player.sessions)))):
                hour = float(rng.uniform(6, 23))
                if player.late_skill and day % 4 == 0:
                    skill = player.late_skill  # the late skill gets trained now and then
                else:
                    skill = SKILLS[int(rng.integers(0, len(SKILLS)))]
                xp = int(rng.uniform(40_000, 180_000) * rng.uniform(0.5, 1.5))
                boss = BOSSES[int(rng.integers(0, len(BOSSES)))] if rng.random() < 0.4 else None
                out.append((hour, skill, xp, boss, int(rng.integers(1, 25)) if boss else 0))
        self._days[player.name, day] = out
        return out

    def totals(self, player: Player, at: datetime) -> Totals:
        """The player's xp per skill and score per activity at ``at`` (aware): the starting totals
        plus every session played by then (a skill's xp capped at MAX_XP, 200M), minus what
        a rollback lost; from ``new_skill_at`` on, the new skill too."""
        initial = self._initial(player)
        totals = Totals(dict(initial.xp), dict(initial.score))
        lost_from = lost_to = None
        if player.rolled_back and at >= self.rollback_at:
            # the rollback wipes what was played in the day and a half before it; play
            # after it counts again, so xp drops once and then grows from the old state
            lost_from, lost_to = self.rollback_at - ROLLBACK_LOSES, self.rollback_at
        first = int(self.start.timestamp()) // 86_400
        last = int(at.timestamp()) // 86_400
        end_ts = at.timestamp()
        for day in range(first, last + 1):
            for hour, skill, xp, boss, kills in self._day(player, day):
                ts = day * 86_400 + hour * 3600
                if ts > end_ts:
                    continue
                if lost_from and lost_from.timestamp() <= ts < lost_to.timestamp():
                    continue
                totals.xp[skill] = min(totals.xp[skill] + xp, MAX_XP)
                if boss:
                    totals.score[boss] += kills
        if at >= self.new_skill_at:
            days_since = (at - self.new_skill_at).days  # trained overnight, a step a day
            totals.xp[NEW_SKILL] = int(days_since * 60_000 * player.active_share)
        return totals

    def lookup(self, name: str, at: datetime) -> dict | None:
        """The index_lite.json answer for ``name`` at ``at`` (None: not on the hiscores),
        in the published order of the table at ``at``."""
        player = self.player(name)
        if player is None or player.banned:
            return None
        totals = self.totals(player, at)
        order = published_order(1 + len(SKILLS) + (NEW_SKILL in totals.xp))
        skills_now = order.skills[1:]
        ranked = {s: x for s, x in totals.xp.items() if x >= RANK_XP_MIN}
        overall_xp = sum(ranked.values())
        overall_level = sum(level_for_xp(totals.xp[s]) for s in skills_now)
        skills = [
            {
                "id": 0,
                "name": "Overall",
                "rank": _rank(overall_xp, 4.6e9),
                "level": overall_level,
                "xp": overall_xp,
            }
        ]
        for i, skill in enumerate(skills_now, start=1):
            xp = totals.xp[skill]
            if xp < RANK_XP_MIN:
                skills.append({"id": i, "name": skill, "rank": -1, "level": 1, "xp": -1})
            else:
                skills.append(
                    {
                        "id": i,
                        "name": skill,
                        "rank": _rank(xp, MAX_XP),
                        "level": level_for_xp(xp),
                        "xp": xp,
                    }
                )
        activities = []
        for i, activity in enumerate(order.activities):
            score = totals.score.get(activity, 0)  # not played here: unranked
            ok = score >= ACTIVITY_MIN
            activities.append(
                {
                    "id": i,
                    "name": activity,
                    "rank": _rank(score, 5_000) if ok else -1,
                    "score": score if ok else -1,
                }
            )
        return {"name": player.name, "skills": skills, "activities": activities}


def published_order(skills: int) -> PublishedOrder:
    """The newest published order of the hiscores table with ``skills`` skills (Overall
    included): 24 before Sailing, 25 after."""
    return next(o for o in reversed(PUBLISHED_ORDERS) if len(o.skills) == skills)


def _rank(value: int, top: float) -> int:
    """A plausible rank: higher values rank better (1 at ``top``)."""
    share = max(value, 1) / top
    return max(1, int(2_000_000 * (1 - min(share, 1.0) ** 0.35)))


def to_legacy_csv(payload: dict) -> str:
    """The same answer in the legacy index_lite.ws format: rank,level,xp per skill, then
    rank,score per activity, in the answer's (published) order, no names."""
    lines = [f"{s['rank']},{s['level']},{s['xp']}" for s in payload["skills"]]
    lines += [f"{a['rank']},{a['score']}" for a in payload["activities"]]
    return "\n".join(lines) + "\n"
