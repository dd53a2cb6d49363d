"""User state's raw tables (schema ``raw_user_state``), replaced whole on every load:
one per kind of profile line, each row carrying the file and line it came from.

A line that names an item, a market or a player keeps the name as written (``item``,
``market_id``, ``player``): what it refers to is the catalogue's to say, and the catalogue
is built downstream (dbt resolves it in ``intermediate/user_state/``)."""

from __future__ import annotations

from ingestion.loader import TableSpec

SOURCE = "user_state"
ENDPOINT = "profiles"


_NULLABLE = frozenset(
    {"display_name", "default_market", "default_market_line", "discord_webhook", "email_to",
     "market_id", "item", "reference_line", "player", "metric", "period", "state",
     "name_filter", "threshold", "window_minutes", "direction", "channels", "description"}
)  # fmt: skip
_FILE = {"source_file": "text", "source_line": "bigint", "bundle_file": "text"}


def _table(name: str, key: tuple[str, ...], **types: str) -> TableSpec:
    return TableSpec(name, key, {**types, **_FILE}, nullable=_NULLABLE)


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        _table("profiles", ("profile_id",), profile_id="text", display_name="text",
               default_market="text", default_market_line="bigint", discord_webhook="text",
               email_to="text"),
        _table("profile_players", ("profile_id", "player"), profile_id="text", player="text"),
        _table("favorites", ("profile_id", "market_id", "item"), profile_id="text",
               market_id="text", item="text"),
        _table("watchlists", ("profile_id", "watchlist", "market_id", "item"),
               profile_id="text", watchlist="text", market_id="text", item="text"),
        _table("bank_items", ("profile_id", "market_id", "item"), profile_id="text",
               market_id="text", item="text", quantity="bigint"),
        _table("alert_rules", ("profile_id", "rule_id"), profile_id="text", rule_id="text",
               rule_type="text", market_id="text", item="text", reference_line="bigint",
               player="text", metric="text", period="text", state="text", name_filter="text",
               threshold="double", window_minutes="bigint", direction="text",
               cooldown_minutes="bigint", channels="text", description="text"),
    )
}  # fmt: skip
