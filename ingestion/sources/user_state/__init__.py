"""User state: profiles, favorites, watchlists, bank contents and alert rules.

Users keep it as files, one per profile, in a folder (``config/profiles`` unless
``SOURCES__USER_STATE__PROFILES_DIR`` says otherwise; the format is in its README):
``<profile_id>.yaml`` and optionally ``<profile_id>.bank.csv`` (a bank export).

"Fetch" archives the whole folder as one JSON bundle whenever any file in it
changed (``user_state/profiles/<capture>.json``), so the warehouse can say what the
rules were when an alert fired and a replay rebuilds it. "Load" parses the newest
bundle and replaces the raw tables with it: user state is a current state, and a
rule deleted from a file must stop firing.

Loading checks what the files themselves tell (shape, types, ranges, rule types and
their parameters, channels): a line that breaks that (a negative quantity, a malformed
rule) is rejected with its file and line into ``rejected_records``; the rest of the
profile loads. Items, markets and players load as named: whether they exist is the
item catalogue's to say (``marts.dim_items``, ``dim_markets``, ``dim_players``), which
the markets build downstream, so dbt resolves them and lists the lines that name
nothing it knows (``int_user_state__rejected_lines``); the user marts and the alert
rules leave those lines out. This source never reads the marts.

Secrets (webhook URLs) are never written in these files: a profile names the
secret, and the delivery step reads it from env or ``.dlt/secrets.toml``.

The folder: ``fetching.py`` (folder → landing), ``parse.py`` (bundle → rows and
rejects), ``load.py`` (rows → dlt resources), ``tables.py`` (the raw tables),
``checks.py`` (their Great Expectations suites), ``tick.py`` (how it is run: its job,
schedule and freshness); this module re-exports what the rest of the code uses.
"""

from __future__ import annotations

from ingestion.sources.user_state.checks import SUITES
from ingestion.sources.user_state.fetching import (
    bundle_folder,
    current_bundle,
    fetch,
    profiles_dir,
)
from ingestion.sources.user_state.load import dlt_source
from ingestion.sources.user_state.parse import (
    COMMON_RULE_KEYS,
    DEFAULT_COOLDOWN,
    EMAIL_RE,
    GAIN_PERIODS,
    METRICS,
    PROFILE_ID_RE,
    RULE_TYPES,
    SECRET_NAME_RE,
    SECTIONS,
    TREND_STATES,
    LineError,
    ParsedState,
    parse_bundle,
    parse_duration,
)
from ingestion.sources.user_state.tables import ENDPOINT, SOURCE, TABLES
from ingestion.sources.user_state.tick import TICK

__all__ = [
    "COMMON_RULE_KEYS",
    "DEFAULT_COOLDOWN",
    "EMAIL_RE",
    "ENDPOINT",
    "GAIN_PERIODS",
    "METRICS",
    "PROFILE_ID_RE",
    "RULE_TYPES",
    "SECRET_NAME_RE",
    "SECTIONS",
    "SOURCE",
    "SUITES",
    "TABLES",
    "TICK",
    "TREND_STATES",
    "LineError",
    "ParsedState",
    "bundle_folder",
    "current_bundle",
    "dlt_source",
    "fetch",
    "parse_bundle",
    "parse_duration",
    "profiles_dir",
]
