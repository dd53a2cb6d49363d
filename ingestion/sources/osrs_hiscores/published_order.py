"""The hiscores table as the game publishes it, version by version: the order of
``index_lite.json``'s skills and activities, which is also the order of the legacy CSV's
lines (they carry no names). A CSV answer's line count says which version it is in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedOrder:
    """One version of the hiscores table as the game publishes it: skills, then
    activities (minigames, clues, bosses), in the order of ``index_lite.json``'s two
    arrays, which is also the order of the legacy CSV's lines (they carry no names).

    A game update that adds a skill or activity makes a new version; the CSV's line
    count says which version an answer is in (:data:`ORDER_BY_LINES`)."""

    version: str  # the game update that produced this order
    source: str  # where the order was read
    skills: tuple[str, ...]
    activities: tuple[str, ...]

    @property
    def lines(self) -> int:
        """Lines of a legacy CSV answer in this order (one per metric)."""
        return len(self.skills) + len(self.activities)

    @property
    def metrics(self) -> tuple[tuple[str, str], ...]:
        """(metric_kind, name) of each CSV line, in order."""
        return (
            *(("skill", name) for name in self.skills),
            *(("activity", name) for name in self.activities),
        )


def _added(names: tuple[str, ...], *updates: tuple[str | None, ...]) -> tuple[str, ...]:
    """``names`` with each update's new lines inserted right after its first element
    (``(after, *new)``; ``after`` None: at the start). An update adds lines where the
    game sorts them and never reorders the others."""
    for after, *new in updates:
        at = 0 if after is None else names.index(str(after)) + 1
        names = (*names[:at], *(str(n) for n in new), *names[at:])
    return names


_SKILLS = (
    "Overall", "Attack", "Defence", "Strength", "Hitpoints", "Ranged", "Prayer", "Magic",
    "Cooking", "Woodcutting", "Fletching", "Fishing", "Firemaking", "Crafting", "Smithing",
    "Mining", "Herblore", "Agility", "Thieving", "Slayer", "Farming", "Runecraft", "Hunter",
    "Construction",
)  # fmt: skip
# Bosses are listed alphabetically, except the game's own quirks kept here as published
# (Phosani's Nightmare before Obor, The Corrupted Gauntlet after The Gauntlet).
_COLOSSEUM = PublishedOrder(
    "colosseum",
    "maxswa/osrs-json-hiscores src/utils/constants.ts, a positional CSV parser "
    "(ACTIVITIES = the minigames then BOSSES), as of Colosseum Glory and Sol Heredit",
    _SKILLS,
    (
        "League Points", "Deadman Points", "Bounty Hunter - Hunter", "Bounty Hunter - Rogue",
        "Bounty Hunter (Legacy) - Hunter", "Bounty Hunter (Legacy) - Rogue",
        "Clue Scrolls (all)", "Clue Scrolls (beginner)", "Clue Scrolls (easy)",
        "Clue Scrolls (medium)", "Clue Scrolls (hard)", "Clue Scrolls (elite)",
        "Clue Scrolls (master)", "LMS - Rank", "PvP Arena - Rank", "Soul Wars Zeal",
        "Rifts closed", "Colosseum Glory",
        "Abyssal Sire", "Alchemical Hydra", "Artio", "Barrows Chests", "Bryophyta",
        "Callisto", "Calvar'ion", "Cerberus", "Chambers of Xeric",
        "Chambers of Xeric: Challenge Mode", "Chaos Elemental", "Chaos Fanatic",
        "Commander Zilyana", "Corporeal Beast", "Crazy Archaeologist", "Dagannoth Prime",
        "Dagannoth Rex", "Dagannoth Supreme", "Deranged Archaeologist", "Duke Sucellus",
        "General Graardor", "Giant Mole", "Grotesque Guardians", "Hespori", "Kalphite Queen",
        "King Black Dragon", "Kraken", "Kree'Arra", "K'ril Tsutsaroth", "Lunar Chests",
        "Mimic", "Nex", "Nightmare", "Phosani's Nightmare", "Obor", "Phantom Muspah",
        "Sarachnis", "Scorpia", "Scurrius", "Skotizo", "Sol Heredit", "Spindel", "Tempoross",
        "The Gauntlet", "The Corrupted Gauntlet", "The Leviathan", "The Whisperer",
        "Theatre of Blood", "Theatre of Blood: Hard Mode", "Thermonuclear Smoke Devil",
        "Tombs of Amascut", "Tombs of Amascut: Expert Mode", "TzKal-Zuk", "TzTok-Jad",
        "Vardorvis", "Venenatis", "Vet'ion", "Vorkath", "Wintertodt", "Zalcano", "Zulrah",
    ),
)  # fmt: skip
_DOOM = PublishedOrder(
    "doom-of-mokhaiotl",
    "a real index_lite.json answer (maxswa/osrs-json-hiscores __tests__/b0atyStats.json)",
    _SKILLS,
    _added(
        _COLOSSEUM.activities,
        ("Colosseum Glory", "Collections Logged"),
        ("Alchemical Hydra", "Amoxliatl", "Araxxor"),
        ("Deranged Archaeologist", "Doom of Mokhaiotl"),
        ("The Corrupted Gauntlet", "The Hueycoatl"),
        ("The Leviathan", "The Royal Titans"),
        ("Wintertodt", "Yama"),
    ),
)
_GRID = PublishedOrder(
    "grid-points",
    "wise-old-man/wise-old-man: the hiscores parser skipped 'Grid Points' (the first "
    "activity) while Sailing was not yet on the hiscores",
    _SKILLS,
    _added(_DOOM.activities, (None, "Grid Points")),
)
_SAILING = PublishedOrder(
    "sailing",
    "wise-old-man/wise-old-man server/__tests__/data/hiscores/lynx_titan_hiscores.json",
    (*_SKILLS, "Sailing"),
    _added(_GRID.activities, ("Scurrius", "Shellbane Gryphon")),
)
_BRUTUS = PublishedOrder(
    "brutus",
    "a full index_lite.json answer in a public hiscores client's tests: Brutus between "
    "Barrows Chests and Bryophyta, as RuneLite plugins' boss lists also place it",
    _SAILING.skills,
    _added(_SAILING.activities, ("Barrows Chests", "Brutus")),
)
# Oldest first. Updates between two of these are not known here: a CSV in one of them
# has a line count of its own and is rejected with the counts below, not misread.
PUBLISHED_ORDERS: tuple[PublishedOrder, ...] = (_COLOSSEUM, _DOOM, _GRID, _SAILING, _BRUTUS)
ORDER_BY_LINES: dict[int, PublishedOrder] = {o.lines: o for o in PUBLISHED_ORDERS}
if len(ORDER_BY_LINES) != len(PUBLISHED_ORDERS):  # a count must name one version
    raise RuntimeError("two published orders of the hiscores have the same line count")
CURRENT_ORDER = PUBLISHED_ORDERS[-1]
# Every metric name the hiscores have published (updates only add lines): the catalogue
# profiles' rules are checked against.
PUBLISHED_SKILLS = list(CURRENT_ORDER.skills)
PUBLISHED_ACTIVITIES = list(CURRENT_ORDER.activities)
