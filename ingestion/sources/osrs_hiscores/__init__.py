"""OSRS hiscores: tracked players' skills and activities (docs/landing.md).

Endpoints (landing dirs):

* ``tracked_players`` — the versioned players config (``config/tracked_players.csv``:
  username, account_type, groups ``;``-separated), archived whenever it changes, so the
  warehouse knows who was tracked when. Adding a line there is all it takes.
* ``index_lite`` — one hiscores answer per player and fetch, ``<capture>__<player>``,
  JSON (``index_lite.json``) or the legacy CSV (``index_lite.ws``). An answer that
  says what the player's previous one said, in either format, is not archived again.
* ``fetch_log`` — one file per tick: every player's outcome (``changed``,
  ``unchanged``, ``not_found`` on a 404, ``failed`` after retries), so a player's
  ``last_fetched_at`` moves even when nothing else does.

A 404 marks a player ``not_found`` and a timeout or 5xx ``failed`` (asked again next
tick); neither fails the run. ``sources.osrs_hiscores.legacy_csv = true`` asks the
legacy CSV (``index_lite.ws``) instead; both formats load the same rows.

Metrics are taken by name (JSON) or by the published order (CSV), so a skill or boss
the game adds becomes a new metric; unranked (-1) stays -1 in raw. The CSV has no names:
its lines are named by the version of the table's published order with as many lines
(:data:`PUBLISHED_ORDERS`, one per game update), or by the player's newest JSON answer
before it when that has as many metrics; a CSV of any other length is rejected whole.
"Unchanged" means the same content, whatever the format (:func:`same_content`).

The folder: ``fetching.py`` (API → landing), ``parse.py`` (landing → records, and
``ENDPOINTS``), ``published_order.py`` (the hiscores table's versions), ``players.py``
(the players config), ``tables.py`` (the raw tables), ``checks.py`` (their Great
Expectations suites), ``tick.py`` (how it is run: its job, schedule and freshness); this
module re-exports what the rest of the code uses.
"""

from __future__ import annotations

from ingestion.sources.osrs_hiscores.checks import SUITES
from ingestion.sources.osrs_hiscores.fetching import (
    DEFAULT_BASE_URL,
    GAP_ENDPOINTS,
    GAP_RULE,
    archive_players,
    base_url,
    fetch,
    gaps,
    gaps_seen_from,
    legacy_format,
    make_client,
    newest_answers,
    record_outcome,
)
from ingestion.sources.osrs_hiscores.parse import (
    ENDPOINTS,
    MAX_VALUE,
    answer_metrics,
    csv_order,
    parse_fetch_log,
    parse_index_lite,
    parse_players,
    reference_metrics,
    same_content,
)
from ingestion.sources.osrs_hiscores.players import BOARDS, config_file, read_players
from ingestion.sources.osrs_hiscores.published_order import (
    CURRENT_ORDER,
    ORDER_BY_LINES,
    PUBLISHED_ACTIVITIES,
    PUBLISHED_ORDERS,
    PUBLISHED_SKILLS,
    PublishedOrder,
)
from ingestion.sources.osrs_hiscores.tables import FIRST_DAY, SOURCE
from ingestion.sources.osrs_hiscores.tick import TICK

__all__ = [
    "BOARDS",
    "CURRENT_ORDER",
    "DEFAULT_BASE_URL",
    "ENDPOINTS",
    "FIRST_DAY",
    "GAP_ENDPOINTS",
    "GAP_RULE",
    "MAX_VALUE",
    "ORDER_BY_LINES",
    "PUBLISHED_ACTIVITIES",
    "PUBLISHED_ORDERS",
    "PUBLISHED_SKILLS",
    "SOURCE",
    "SUITES",
    "TICK",
    "PublishedOrder",
    "answer_metrics",
    "archive_players",
    "base_url",
    "config_file",
    "csv_order",
    "fetch",
    "gaps",
    "gaps_seen_from",
    "legacy_format",
    "make_client",
    "newest_answers",
    "parse_fetch_log",
    "parse_index_lite",
    "parse_players",
    "read_players",
    "record_outcome",
    "reference_metrics",
    "same_content",
]
