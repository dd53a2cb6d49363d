"""The tracked players config (``config/tracked_players.csv``: username, account_type,
groups ``;``-separated), and the hiscores board of each account type."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ingestion.http import config_path
from ingestion.sources.osrs_hiscores.tables import SOURCE

BOARDS = {
    "regular": "m=hiscore_oldschool",
    "ironman": "m=hiscore_oldschool_ironman",
    "hardcore": "m=hiscore_oldschool_hardcore_ironman",
    "ultimate": "m=hiscore_oldschool_ultimate",
}


def config_file() -> Path:
    """The players config: ``sources.osrs_hiscores.players_file``, else
    ``config/tracked_players.csv`` in the repository."""
    return config_path(SOURCE, "players_file", "tracked_players.csv", must_exist=True)


def read_players(text: str) -> list[dict[str, Any]]:
    """The players config as rows; a bad line is a ValueError naming it."""
    rows = []
    for n, rec in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        name = (rec.get("username") or "").strip()
        kind = (rec.get("account_type") or "regular").strip() or "regular"
        if not name:
            raise ValueError(f"line {n}: username is empty")
        if kind not in BOARDS:
            raise ValueError(f"line {n}: unknown account_type {kind!r} ({', '.join(BOARDS)})")
        groups = [g.strip() for g in (rec.get("groups") or "").split(";") if g.strip()]
        rows.append({"username": name, "account_type": kind, "groups": ";".join(groups)})
    return rows
