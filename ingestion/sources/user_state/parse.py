"""User state, bundle → rows: every profile's YAML (and bank CSV) parsed line by line.
A file that does not parse as a whole is one reject; a bad line in a good file is one
reject, with its file and line; the rest loads.

Only what the files themselves tell is checked here: shape, types, ranges, rule types and
their parameters, channels, ids used twice. Whether a line's item, market or player exists
is the catalogue's to say (``marts.dim_items``, ``dim_markets``, ``dim_players``), which the
markets build downstream of raw: such names load as written, and dbt lists the lines they
do not resolve (``int_user_state__rejected_lines``) and leaves them out of the user marts
and the alert rules."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from ingestion.column_checks import RECORD_ERRORS
from ingestion.loader import Reject
from ingestion.sources.osrs_hiscores.published_order import (
    PUBLISHED_ACTIVITIES,
    PUBLISHED_SKILLS,
)
from ingestion.sources.user_state.tables import TABLES

PROFILE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+$")
TREND_STATES = ("spiking", "increasing", "stable", "decreasing", "crashing", "out_of_stock")
GAIN_PERIODS = ("day", "week", "month", "year")
DEFAULT_COOLDOWN = "6h"

# rule type → (required params, optional params)
RULE_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "price_below": (("item", "target"), ("market",)),
    "price_above": (("item", "target"), ("market",)),
    "price_change": (("item", "pct"), ("market", "window", "direction")),
    "trend_state": (("item", "state"), ("market",)),
    "buy_opportunity": (("min_profit",), ("market", "item")),
    "sell_opportunity": (("min_profit",), ("market", "item")),
    "arbitrage": (("min_profit",), ("item",)),
    "flip_margin": (("min_margin",), ("item",)),
    "hiscore_gain": (("player", "min_gain"), ("metric", "period")),
    "achievement": (("player",), ("name",)),
}
COMMON_RULE_KEYS = ("id", "type", "cooldown", "notify", "description")
SECTIONS = ("profile", "channels", "favorites", "watchlists", "bank", "alerts")
# What a hiscore_gain rule may measure: every skill and activity the hiscores publish.
METRICS = frozenset(m.lower() for m in (*PUBLISHED_SKILLS, *PUBLISHED_ACTIVITIES))


# --------------------------------------------------------------------------- YAML with lines


class _LineDict(dict):
    line: int = 0
    key_lines: dict[str, int]


class _LineList(list):
    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping, list item and key."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    out = _LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _LineList:
    out = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _keys(mapping: Any) -> dict[str, int]:
    return getattr(mapping, "key_lines", {})


def _line_of(value: Any, default: int) -> int:
    return getattr(value, "line", default) or default


def _name(value: Any) -> str | None:
    """A name or id as written (an item, a market, a player), or None when the value is
    not one (a list, a mapping, yes/no)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value).strip()


def _same(name: str) -> str:
    """How the catalogue compares names: case and surrounding spaces ignored."""
    return name.strip().lower()


# --------------------------------------------------------------------------- parsing


class LineError(ValueError):
    """A problem on one line of one profile file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def parse_duration(text: Any) -> int:
    """'30m', '6h', '1d', '2w' or a whole number of minutes → minutes."""
    if isinstance(text, bool):
        raise ValueError(f"not a duration: {text!r}")
    if isinstance(text, int):
        minutes = text
    else:
        match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", str(text))
        if not match:
            raise ValueError(f"not a duration (use 30m, 6h, 1d, 2w): {text!r}")
        minutes = int(match[1]) * {"m": 1, "h": 60, "d": 1440, "w": 10080}[match[2]]
    if minutes <= 0:
        raise ValueError(f"a duration must be positive: {text!r}")
    return minutes


def _number(value: Any, name: str, minimum: float | None = None) -> float:
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+(\.\d*)?([eE][-+]?\d+)?\s*", value):
        value = float(value)  # YAML 1.1 reads 1e6 (no dot) as a string
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} is not a number: {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum:g}: {value!r}")
    return float(value)


@dataclass
class ParsedState:
    """Rows per raw table, and the lines that were rejected."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    rejects: list[Reject] = field(default_factory=list)

    def reject(self, file: str, line: int, reason: str, payload: Any = None) -> None:
        """Record line ``line`` of ``file`` as rejected, the reason naming file and line."""
        self.rejects.append(Reject(f"{file}:{line}", f"{file} line {line}: {reason}", payload))


class _Profile:
    """Parses one profile's YAML (and bank CSV) into ``state``."""

    def __init__(self, profile_id: str, state: ParsedState) -> None:
        self.profile_id = profile_id
        self.state = state
        self.file = f"{profile_id}.yaml"
        self.default_market: str | None = None
        self.channels: set[str] = set()
        self.profile_row: dict[str, Any] = {}
        self._banked: dict[tuple[str, str], dict[str, Any]] = {}
        # Kept until the whole file has parsed: a file rejected as a whole loads nothing.
        self._rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}

    def row(self, table: str, line: int, file: str | None = None, **values: Any) -> None:
        self._rows[table].append(
            {"profile_id": self.profile_id, **values, "source_file": file or self.file,
             "source_line": line}
        )  # fmt: skip

    def item_ref(self, entry: Any, line: int) -> tuple[str, str]:
        """(market_id, item) as written, from 'Name', an id, or {item:, market:}; which
        item that is, dbt says (int_user_state__item_references)."""
        if isinstance(entry, dict):
            item, market = entry.get("item"), entry.get("market") or self.default_market
        else:
            item, market = entry, self.default_market
        if item is None or (isinstance(item, str) and not item.strip()):
            raise LineError(line, "no item given")
        name = _name(item)
        if name is None:
            raise LineError(line, f"an item is a name or an id: {item!r}")
        if market is None:
            raise LineError(line, "no market given and the profile has no default_market")
        market_id = _name(market)
        if not market_id:
            raise LineError(line, f"a market is a market id: {market!r}")
        return market_id, name

    # -- sections

    def parse(self, doc: Any) -> None:
        if doc is None:
            doc = _LineDict()
            doc.line, doc.key_lines = 1, {}
        if not isinstance(doc, dict):
            raise LineError(1, "a profile file is a mapping of sections: " + ", ".join(SECTIONS))
        for key in doc:
            if key not in SECTIONS:
                raise LineError(
                    _keys(doc).get(str(key), 1),
                    f"unknown section {key!r} (sections: {', '.join(SECTIONS)})",
                )
        self.parse_profile(doc.get("profile"), _keys(doc).get("profile", 1))
        self.parse_channels(doc.get("channels"), _keys(doc).get("channels", 1))
        for name, parse in (
            ("favorites", self.parse_favorites),
            ("watchlists", self.parse_watchlists),
            ("bank", self.parse_bank),
            ("alerts", self.parse_alerts),
        ):
            if doc.get(name) is not None:
                parse(doc[name], _keys(doc).get(name, 1))

    def parse_profile(self, section: Any, line: int) -> None:
        section = section or {}
        if not isinstance(section, dict):
            raise LineError(line, "'profile' is a mapping (name, default_market, players)")
        market = section.get("default_market")
        market_line = _keys(section).get("default_market", line)
        if market is not None and not _name(market):
            raise LineError(market_line, f"default_market is a market id: {market!r}")
        self.default_market = None if market is None else _name(market)
        players = section.get("players") or []
        if not isinstance(players, list):
            players = [players]
        lines = getattr(section.get("players"), "item_lines", [])
        seen: set[str] = set()
        for i, name in enumerate(players):
            at = lines[i] if i < len(lines) else _keys(section).get("players", line)
            player = _name(name)
            if not player:
                self.state.reject(self.file, at, f"a player is a name: {name!r}", name)
            elif _same(player) not in seen:
                seen.add(_same(player))
                self.row("profile_players", at, player=player)
        self.profile_row = {
            "display_name": str(section.get("name") or self.profile_id),
            "default_market": self.default_market,
            "default_market_line": None if market is None else market_line,
            "line": _line_of(section, line),
        }

    def parse_channels(self, section: Any, line: int) -> None:
        section = section or {}
        discord, email = None, None
        if not isinstance(section, dict):
            raise LineError(line, "'channels' is a mapping (discord, email)")
        for key in section:
            if key not in ("discord", "email"):
                self.state.reject(
                    self.file, _keys(section).get(str(key), line),
                    f"unknown channel {key!r} (channels: discord, email)",
                )  # fmt: skip
        if section.get("discord") is not None:
            cfg, at = section["discord"], _keys(section).get("discord", line)
            secret = cfg.get("webhook") if isinstance(cfg, dict) else cfg
            if isinstance(secret, str) and "://" in secret:
                # Say so without echoing it: the URL is the secret.
                self.state.reject(
                    self.file, at,
                    "a webhook URL is a secret and does not belong in a profile: name it "
                    "(webhook: main) and set ALERTS__WEBHOOKS__MAIN or [alerts.webhooks] main "
                    "in .dlt/secrets.toml",
                )  # fmt: skip
            elif not isinstance(secret, str) or not SECRET_NAME_RE.match(secret):
                self.state.reject(
                    self.file, at, f"discord.webhook is not a secret name: {secret!r}"
                )
            else:
                discord = secret.lower()
                self.channels.add("discord")
        if section.get("email") is not None:
            cfg, at = section["email"], _keys(section).get("email", line)
            to = cfg.get("to") if isinstance(cfg, dict) else cfg
            if not isinstance(to, str) or not EMAIL_RE.match(to.strip()):
                self.state.reject(self.file, at, f"email.to is not an address: {to!r}")
            else:
                email = to.strip()
                self.channels.add("email")
        self.profile_row.update(discord_webhook=discord, email_to=email)

    def _entries(self, section: Any, line: int, what: str) -> Iterator[tuple[Any, int]]:
        if not isinstance(section, list):
            raise LineError(line, f"'{what}' is a list")
        lines = getattr(section, "item_lines", [])
        for i, entry in enumerate(section):
            yield entry, (lines[i] if i < len(lines) else line)

    def parse_favorites(self, section: Any, line: int) -> None:
        seen: set[tuple[str, str]] = set()
        for entry, at in self._entries(section, line, "favorites"):
            try:
                market, item = self.item_ref(entry, at)
            except LineError as exc:
                self.state.reject(self.file, exc.line, str(exc), entry)
                continue
            if (market, _same(item)) not in seen:  # dbt merges an item named two ways
                seen.add((market, _same(item)))
                self.row("favorites", at, market_id=market, item=item)

    def parse_watchlists(self, section: Any, line: int) -> None:
        if not isinstance(section, dict):
            raise LineError(line, "'watchlists' maps a watchlist name to a list of items")
        for name, items in section.items():
            at = _keys(section).get(str(name), line)
            seen: set[tuple[str, str]] = set()
            try:
                entries = list(self._entries(items, at, f"watchlists.{name}"))
            except LineError as exc:
                self.state.reject(self.file, exc.line, str(exc))
                continue
            for entry, item_line in entries:
                try:
                    market, item = self.item_ref(entry, item_line)
                except LineError as exc:
                    self.state.reject(self.file, exc.line, str(exc), entry)
                    continue
                if (market, _same(item)) not in seen:
                    seen.add((market, _same(item)))
                    self.row(
                        "watchlists", item_line, watchlist=str(name), market_id=market,
                        item=item,
                    )  # fmt: skip

    def bank_entry(self, entry: Any, at: int, file: str, banked: dict) -> None:
        try:
            if not isinstance(entry, dict):
                raise LineError(at, "a bank line is {item:, quantity:[, market:]}")
            quantity = entry.get("quantity")
            if isinstance(quantity, str) and re.fullmatch(r"-?\d+", quantity.strip()):
                quantity = int(quantity)
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                raise LineError(at, f"quantity is not a whole number: {quantity!r}")
            if quantity < 0:
                raise LineError(at, f"negative quantity {quantity} for {entry.get('item')!r}")
            market, item = self.item_ref(
                {"item": entry.get("item"), "market": entry.get("market") or None}, at
            )
        except LineError as exc:
            self.state.reject(
                file, exc.line, str(exc), dict(entry) if isinstance(entry, dict) else entry
            )
            return
        # The same item twice (two tabs): one row, the sum (dbt sums again over the ways
        # one item can be named: its name and its id).
        key = (market, _same(item))
        if key in banked:
            banked[key]["quantity"] += quantity
            return
        banked[key] = {"market_id": market, "item": item, "quantity": quantity,
                       "file": file, "line": at}  # fmt: skip

    def parse_bank(self, section: Any, line: int) -> None:
        for entry, at in self._entries(section, line, "bank"):
            self.bank_entry(entry, at, self.file, self._banked)

    def parse_bank_csv(self, name: str, text: str) -> None:
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip().lower() for h in reader.fieldnames or []]
        if "item" not in header or "quantity" not in header:
            self.state.reject(name, 1, "a bank CSV has the columns item,quantity[,market]")
            return
        reader.fieldnames = header
        for row in reader:
            entry = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
            self.bank_entry(entry, reader.line_num, name, self._banked)

    def parse_alerts(self, section: Any, line: int) -> None:
        ids: set[str] = set()
        for entry, at in self._entries(section, line, "alerts"):
            try:
                rule = self.alert_rule(entry, at)
            except LineError as exc:
                self.state.reject(
                    self.file, exc.line, str(exc), dict(entry) if isinstance(entry, dict) else entry
                )
                continue
            if rule["rule_id"] in ids:
                self.state.reject(self.file, at, f"alert id {rule['rule_id']!r} is used twice")
                continue
            ids.add(rule["rule_id"])
            self.row("alert_rules", at, **rule)

    def alert_rule(self, entry: Any, at: int) -> dict[str, Any]:
        if not isinstance(entry, dict):
            raise LineError(at, "an alert is a mapping with id, type and its parameters")

        def line_of(key: str) -> int:
            return _keys(entry).get(key, at)

        rule_id, rule_type = entry.get("id"), entry.get("type")
        if not isinstance(rule_id, str) or not PROFILE_ID_RE.match(rule_id):
            raise LineError(line_of("id"), f"alert id must be a short lower-case name: {rule_id!r}")
        if rule_type not in RULE_TYPES:
            raise LineError(
                line_of("type"), f"unknown alert type {rule_type!r} ({', '.join(RULE_TYPES)})"
            )
        required, optional = RULE_TYPES[rule_type]
        for key in entry:
            if key not in (*COMMON_RULE_KEYS, *required, *optional):
                raise LineError(line_of(str(key)), f"{rule_type} takes no {key!r}")
        for key in required:
            if entry.get(key) is None:
                raise LineError(at, f"{rule_type} needs {key!r}")
        rule: dict[str, Any] = {
            "rule_id": rule_id, "rule_type": rule_type, "market_id": None, "item": None,
            "reference_line": None, "player": None, "metric": None, "period": None,
            "state": None, "name_filter": None, "threshold": None, "window_minutes": None,
            "direction": None,
        }  # fmt: skip
        try:
            rule["cooldown_minutes"] = parse_duration(entry.get("cooldown", DEFAULT_COOLDOWN))
        except RECORD_ERRORS as exc:
            raise LineError(line_of("cooldown"), str(exc)) from None
        notify = entry.get("notify") or []
        if isinstance(notify, str):
            notify = [notify]
        for channel in notify:
            if channel not in self.channels:
                raise LineError(
                    line_of("notify"),
                    f"notify names {channel!r}, which the profile's channels do not configure",
                )
        rule["channels"] = ",".join(sorted(set(notify))) or None
        if entry.get("item") is not None or "market" in required:
            market = entry.get("market") or self.default_market
            if rule_type == "flip_margin":
                market = "osrs-ge"
            rule["market_id"], rule["item"] = self.item_ref(
                {"item": entry.get("item"), "market": market}, line_of("item")
            )
            rule["reference_line"] = line_of("item")
        elif entry.get("market") is not None:
            if not _name(entry["market"]):
                raise LineError(line_of("market"), f"a market is a market id: {entry['market']!r}")
            rule["market_id"] = _name(entry["market"])
            rule["reference_line"] = line_of("market")
        try:
            if rule_type in ("price_below", "price_above"):
                rule["threshold"] = _number(entry["target"], "target", 0)
            elif rule_type == "price_change":
                rule["threshold"] = _number(entry["pct"], "pct", 0)
                rule["window_minutes"] = parse_duration(entry.get("window", "24h"))
                direction = entry.get("direction", "either")
                if direction not in ("up", "down", "either"):
                    raise ValueError(f"direction is up, down or either: {direction!r}")
                rule["direction"] = direction
            elif rule_type == "trend_state":
                if entry["state"] not in TREND_STATES:
                    raise ValueError(
                        f"state is one of {', '.join(TREND_STATES)}: {entry['state']!r}"
                    )
                rule["state"] = entry["state"]
            elif rule_type in ("buy_opportunity", "sell_opportunity", "arbitrage"):
                rule["threshold"] = _number(entry["min_profit"], "min_profit", 0)
            elif rule_type == "flip_margin":
                rule["threshold"] = _number(entry["min_margin"], "min_margin")
            elif rule_type in ("hiscore_gain", "achievement"):
                rule["player"] = _name(entry["player"])
                if not rule["player"]:
                    raise ValueError(f"a player is a name: {entry['player']!r}")
                if rule_type == "hiscore_gain":
                    rule["threshold"] = _number(entry["min_gain"], "min_gain", 1)
                    metric = str(entry.get("metric", "Overall"))
                    if metric.lower() not in METRICS:
                        raise ValueError(f"unknown hiscore metric {metric!r}")
                    rule["metric"] = metric
                    period = entry.get("period", "day")
                    if period not in GAIN_PERIODS:
                        raise ValueError(f"period is one of {', '.join(GAIN_PERIODS)}: {period!r}")
                    rule["period"] = period
                elif entry.get("name") is not None:
                    rule["name_filter"] = str(entry["name"])
        except RECORD_ERRORS as exc:
            raise LineError(at, str(exc)) from None
        rule["description"] = str(entry.get("description") or "") or None
        return rule

    def finish(self) -> None:
        self.row("profiles", self.profile_row.pop("line"), **self.profile_row)
        for b in self._banked.values():
            self.row(
                "bank_items", b["line"], file=b["file"], market_id=b["market_id"],
                item=b["item"], quantity=b["quantity"],
            )  # fmt: skip
        for table, rows in self._rows.items():
            self.state.tables[table].extend(rows)


def parse_bundle(bundle: dict[str, Any]) -> ParsedState:
    """Every profile in the bundle → rows and rejects. A file that does not parse as a
    whole is one reject; a bad line in a good file is one reject; the rest loads."""
    state = ParsedState()
    files: dict[str, str] = bundle.get("files", {})
    for name in sorted(files):
        if not name.endswith((".yaml", ".yml")):
            continue
        profile_id = name.rsplit(".", 1)[0]
        if not PROFILE_ID_RE.match(profile_id):
            state.reject(name, 1, "a profile file is named <profile_id>.yaml, the id lower-case "
                         "letters, digits, - and _")  # fmt: skip
            continue
        profile = _Profile(profile_id, state)
        try:
            doc = yaml.load(files[name], Loader=_LineLoader)  # noqa: S506 - a SafeLoader
            profile.parse(doc)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            state.reject(name, mark.line + 1 if mark else 1, f"not valid YAML: {exc}")
            continue
        except LineError as exc:
            state.reject(name, exc.line, str(exc))
            continue
        bank_csv = f"{profile_id}.bank.csv"
        if bank_csv in files:
            profile.parse_bank_csv(bank_csv, files[bank_csv])
        profile.finish()
    profiles = {n.rsplit(".", 1)[0] for n in files if n.endswith((".yaml", ".yml"))}
    for name in sorted(files):
        if name.endswith(".csv") and name.removesuffix(".bank.csv") not in profiles:
            state.reject(name, 1, "a bank CSV is <profile_id>.bank.csv next to its profile")
    return state
