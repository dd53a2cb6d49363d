"""What profile lines may name: the markets, items and players the warehouse knows
(``marts.dim_items`` and the hiscores' tracked players; the caller reads them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Catalogue:
    """What profile lines may name: markets (id → source), items per source (by id and by
    lower-case name), tracked players (lower-case name → id), hiscore metrics."""

    markets: dict[str, str]
    items: dict[tuple[str, str], list[str]]
    players: dict[str, str]
    metrics: set[str] = field(default_factory=set)

    @classmethod
    def from_rows(
        cls,
        markets: Iterable[tuple[str, str]],
        items: Iterable[tuple[str, str, str, str | None]],
        players: Iterable[tuple[str, str]] = (),
        metrics: Iterable[str] = (),
    ) -> Catalogue:
        index: dict[tuple[str, str], list[str]] = {}
        for item_id, source, source_item_id, name in items:
            index.setdefault((source, str(source_item_id).lower()), []).append(item_id)
            if name:
                ids = index.setdefault((source, name.strip().lower()), [])
                if item_id not in ids:
                    ids.append(item_id)
        return cls(
            markets=dict(markets),
            items=index,
            players={name.lower(): pid for pid, name in players},
            metrics={m.lower() for m in metrics},
        )

    def resolve_item(self, market_id: str, item: Any) -> str:
        source = self.markets.get(market_id)
        if source is None:
            known = ", ".join(sorted(self.markets)) or "none yet"
            raise ValueError(f"unknown market {market_id!r} (known: {known})")
        key = str(item).strip().lower()
        found = self.items.get((source, key), [])
        if not found:
            raise ValueError(f"unknown item {item!r} in market {market_id}")
        if len(found) > 1:
            raise ValueError(
                f"item name {item!r} is ambiguous in market {market_id} "
                f"({', '.join(sorted(found)[:5])}): give its id"
            )
        return found[0]

    def resolve_player(self, name: Any) -> str:
        pid = self.players.get(str(name).strip().lower())
        if pid is None:
            raise ValueError(
                f"player {name!r} is not tracked (add it to the hiscores' tracked_players.csv)"
            )
        return pid
