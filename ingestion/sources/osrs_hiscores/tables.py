"""OSRS hiscores' raw tables (schema ``raw_osrs_hiscores``): one per landing endpoint."""

from __future__ import annotations

from datetime import date

from ingestion.loader import TableSpec

SOURCE = "osrs_hiscores"
# Old School RuneScape (and its hiscores) launched on 2013-02-22
FIRST_DAY = date(2013, 2, 22)

COMMON = {"landing_file": "text", "captured_at": "timestamp"}

TRACKED_PLAYERS = TableSpec(
    "tracked_players",
    ("captured_at", "username"),
    {"username": "text", "account_type": "text", "groups": "text", **COMMON},
    observed=("captured_at",),
    first_day=FIRST_DAY,
)

HISCORE_METRICS = TableSpec(
    "hiscore_metrics",
    ("username", "captured_at", "metric_kind", "metric"),
    {
        "username": "text",
        "metric_kind": "text",
        "metric": "text",
        "position": "bigint",
        "rank": "bigint",
        "level": "bigint",
        "value": "bigint",
        **COMMON,
    },
    nullable=frozenset({"level"}),
    indexes=(("username", "captured_at"),),
    observed=("captured_at",),
    first_day=FIRST_DAY,
)

FETCH_LOG = TableSpec(
    "fetch_log",
    ("captured_at", "username"),
    {
        "username": "text",
        "account_type": "text",
        "status": "text",
        "http_status": "bigint",
        "detail": "text",
        "snapshot_file": "text",
        **COMMON,
    },
    nullable=frozenset({"http_status", "detail", "snapshot_file"}),
    observed=("captured_at",),
    first_day=FIRST_DAY,
)
