"""Landing files shaped like the seven APIs' answers, with one fault each beside good
records, and what a correct load makes of them.

Real answers are messier than the simulator: a value of the wrong type or size, a
NaN or Infinity literal, a NUL in a name, a byte-order mark, a truncated body, a gzip
stream that is not one, a time outside reality or off its grid, one observation saved
under two names, an absurd price. :func:`fault_file` builds one such file from a
:class:`Fault` (which source, which kind, which record and field, which bad value), so
a property-based test (Hypothesis draws the faults) and the fault benchmark (a seeded
sweep) share one definition of "bad" and of the right outcome: how many rows the file
must load (``good_rows``) and how many rejects it must leave (``rejects``).

Every bad value here breaks its field's contract on purpose; a value a source is meant
to accept (a float price OSRS rounds, a numeric section Vivid Seats keeps as text) is
never used as a fault.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

RECORD_KINDS = ("wrong_type", "overflow", "non_finite", "nul", "absurd")
FILE_KINDS = ("bom", "truncated", "future", "past", "copy")
SOURCE_FILE_KINDS = {  # file faults that apply to each source beyond the common ones
    "osrs_prices": ("off_grid",),
    "vividseats": ("corrupt_gzip",),
}
# Sources whose files carry their own observation time (a capture time in the body or
# the name) — the time faults apply to them.
TIMED = {"osrs_prices", "dofus_market", "wow_auctions", "osrs_hiscores", "vividseats"}


@dataclass(frozen=True)
class Fault:
    """One faulty file: ``kind`` is a record kind (one record broken at ``field`` with
    ``value``) or a file kind; ``n_good`` good records are written beside it."""

    source: str
    kind: str
    n_good: int = 5
    target: int = 0  # which record is broken (taken modulo the records)
    field: int = 0  # which field of it (modulo the source's fields for that kind)
    value: int = 0  # which bad value (modulo the kind's values)


@dataclass(frozen=True)
class FaultFile:
    """A landing file to write (``source/endpoint/<capture>[__key].<ext>``) and the
    outcome a correct load gives: rows loaded from it and rejects recorded for it."""

    source: str
    endpoint: str
    captured_at: datetime
    key: str | None
    ext: str
    body: bytes
    kind: str
    good_rows: int
    rejects: int


def kinds_for(source: str) -> tuple[str, ...]:
    """Every fault kind that applies to ``source`` (Yahoo's records hold no text)."""
    records = [k for k in RECORD_KINDS if k != "nul" or source != "yahoo_finance"]
    files = [k for k in FILE_KINDS if k not in ("future", "past") or source in TIMED]
    if source != "osrs_prices":
        files.remove("copy")  # only buckets state their own time to collapse copies by
    return (*records, *files, *SOURCE_FILE_KINDS.get(source, ()))


# ------------------------------------------------------------------ bad values by type

BIG = 10**20  # beyond int64, and beyond every price cap
NON_FINITE = (float("nan"), float("inf"), float("-inf"))
NOT_A_NUMBER = ("abc", {"x": 1}, [1], True)
NOT_TEXT = ({"x": 1}, [1], True)


def _with_nul(text: str) -> str:
    return f"{text[:2]}\u0000{text[2:]}"


# Per source: the fields a record fault may break, by kind. Each entry is (field path,
# bad values); a path is a key, or a tuple of keys into nested objects.
_NUMERIC: dict[str, list[Any]] = {
    "osrs_prices": ["avgHighPrice", "highPriceVolume", "avgLowPrice", "lowPriceVolume"],
    "wow_auctions": ["id", ("item", "id"), "quantity", "unit_price"],
    "dofus_market": ["ankama_id", "price_x1", "price_x10", "level"],
    "osrs_hiscores": ["rank", "level", "xp"],
    "binance": [1, 2, 3, 4, 5],  # positions of open, high, low, close, volume
    "yahoo_finance": ["open", "high", "low", "close", "volume"],
    "vividseats": ["i", "q", "p", "aip"],
}
_TEXT: dict[str, list[Any]] = {
    "osrs_prices": [],  # a bucket has no text; its item key gets the NUL
    "wow_auctions": ["time_left"],
    "dofus_market": ["item_name", "category"],
    "osrs_hiscores": ["name"],
    "binance": [1, 4],  # prices come as decimal strings: a NUL breaks the number
    "yahoo_finance": [],
    "vividseats": ["s", "r", "n"],
}
_ABSURD: dict[str, list[Any]] = {  # (field, value) pairs a plausibility check refuses
    "osrs_prices": [("avgHighPrice", -5), ("avgLowPrice", 2**31), ("highPriceVolume", -1)],
    "wow_auctions": [("unit_price", 0), ("unit_price", 10**14), ("quantity", 0)],
    "dofus_market": [("price_x1", -3), ("price_x1", 10**13), ("price_x10", 2.5)],
    "osrs_hiscores": [("xp", -5), ("rank", -2), ("xp", 10**11)],
    "binance": [(1, "-1"), (2, "1e30"), (3, "999999")],  # low above the open: outside
    "yahoo_finance": [("open", -1), ("close", 1e30), ("volume", -5)],
    "vividseats": [("p", -5), ("p", 0), ("p", 5000000), ("p", 80.001), ("q", 0)],
}


def record_fields(source: str, kind: str) -> list[Any]:
    """The (field, value) choices of a record fault of ``kind`` on ``source``."""
    numeric, text = _NUMERIC[source], _TEXT[source]
    if kind == "wrong_type":
        text_fields = [] if source == "binance" else text  # its "text" is numbers
        return [(f, v) for f in numeric for v in NOT_A_NUMBER] + [
            (f, v) for f in text_fields for v in NOT_TEXT
        ]
    if kind == "overflow":
        # decimal prices (Binance strings, Yahoo numbers) hold 29 digits: overflow is 10**30
        big: Any = {"binance": str(10**30), "yahoo_finance": 10**30}.get(source, BIG)
        negative = f"-{big}" if isinstance(big, str) else -big
        return [(f, big) for f in numeric] + [(numeric[0], negative)]
    if kind == "non_finite":
        return [(f, v) for f in numeric for v in NON_FINITE]
    if kind == "nul":
        return [(f, None) for f in text] or [("$key", None)]
    if kind == "absurd":
        return list(_ABSURD[source])
    raise ValueError(f"not a record fault kind: {kind!r}")


# ------------------------------------------------------------------ good records


def _good_records(source: str, n: int, at: datetime) -> list[Any]:
    """``n`` records every check accepts, ids 1..n."""
    day = int(at.timestamp()) // 86_400 * 86_400
    out: list[Any] = []
    for i in range(1, n + 1):
        if source == "osrs_prices":
            out.append({"avgHighPrice": 100 + i, "highPriceVolume": i, "avgLowPrice": 90 + i,
                        "lowPriceVolume": 2 * i})  # fmt: skip
        elif source == "wow_auctions":
            out.append({"id": 1000 + i, "item": {"id": 190000 + i}, "quantity": i,
                        "unit_price": 5000 * i, "time_left": "LONG"})  # fmt: skip
        elif source == "dofus_market":
            out.append({"ankama_id": 280 + i, "item_name": f"Resource {i}", "category": "Cereal",
                        "level": i, "price_x1": 10 * i, "price_x10": 95 * i})  # fmt: skip
        elif source == "osrs_hiscores":
            out.append({"id": i, "name": f"Skill {i}", "rank": 1000 + i, "level": 50 + i,
                        "xp": 100000 * i})  # fmt: skip
        elif source == "binance":
            open_ms = (day - (n + 1 - i) * 86_400) * 1000
            price = 100 + i
            out.append([open_ms, f"{price}", f"{price + 2}", f"{price - 2}", f"{price + 1}",
                        "10.5", open_ms + 86_399_999, "1050", 42, "5", "500", "0"])  # fmt: skip
        elif source == "yahoo_finance":
            stamp = day - (n + 1 - i) * 86_400 + 52_200  # 14:30 UTC, a session's open
            out.append({"t": stamp, "open": 100.0 + i, "high": 103.0 + i, "low": 99.0 + i,
                        "close": 101.0 + i, "volume": 1000 * i})  # fmt: skip
        elif source == "vividseats":
            out.append({"i": i, "s": str(100 + i % 3), "r": str(i), "q": 2, "p": 50 + i,
                        "aip": 60 + i, "l": "Lower", "n": None})  # fmt: skip
    return out


def _break(source: str, record: Any, field: Any, value: Any, i: int) -> Any:
    """``record`` with ``field`` set to ``value`` (a NUL kind puts a NUL into the text)."""
    if source == "binance":
        broken = list(record)
        broken[field] = _with_nul(str(record[field])) if value is None else value
        return broken
    broken = json.loads(json.dumps(record))
    if isinstance(field, tuple):
        broken[field[0]][field[1]] = value
        return broken
    if value is None:  # the NUL kind: the field's own text with a NUL inside
        broken[field] = _with_nul(str(broken.get(field) or f"text {i}"))
        return broken
    broken[field] = value
    return broken


# ------------------------------------------------------------------ bodies


def _body(source: str, records: list[Any], at: datetime, keys: list[str] | None = None) -> Any:
    """The API's answer holding ``records`` (as the source's fetch lands it)."""
    if source == "osrs_prices":
        ids = keys or [str(2 + 4 * n) for n in range(len(records))]
        return {"data": dict(zip(ids, records, strict=True)), "timestamp": int(at.timestamp())}
    if source == "wow_auctions":
        return {"_links": {}, "auctions": records}
    if source == "dofus_market":
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"server": "Draconiros", "captured_at": stamp, "client": "fuzz",
                "observations": records}  # fmt: skip
    if source == "osrs_hiscores":
        return {"skills": records, "activities": []}
    if source == "binance":
        return records
    if source == "yahoo_finance":
        quote = {f: [r[f] for r in records] for f in ("open", "high", "low", "close", "volume")}
        return {"chart": {"result": [{
            "meta": {"currency": "USD", "symbol": "FUZZ"},
            "timestamp": [r["t"] for r in records],
            "indicators": {"quote": [quote], "adjclose": [{"adjclose": quote["close"]}]},
        }], "error": None}}  # fmt: skip
    if source == "vividseats":
        return {"tickets": records, "global": []}
    raise ValueError(f"unknown source {source!r}")


_PLACE = {  # endpoint, key, extension of each source's observation files
    "osrs_prices": ("5m", None, "json"),
    "wow_auctions": ("commodities", "us", "json"),
    "dofus_market": ("observations", "Draconiros", "json"),
    "osrs_hiscores": ("index_lite", "fuzz player", "json"),
    "binance": ("klines", "FUZZUSDT@1d", "json"),
    "yahoo_finance": ("chart", "FUZZ", "json"),
    "vividseats": ("listings", "5100000", "json.gz"),
}


_KEYS = {  # a key per serial keeps each fault's records apart (symbol, event, player)
    "osrs_hiscores": lambda serial: f"fuzz player {serial}",
    "binance": lambda serial: f"FUZZ{serial}USDT@1d",
    "yahoo_finance": lambda serial: f"FUZZ{serial}",
    "vividseats": lambda serial: str(5100000 + serial),
    "dofus_market": lambda serial: f"Server{serial}",
}


def _encode(body: Any, ext: str) -> bytes:
    data = json.dumps(body, allow_nan=True).encode()  # NaN / Infinity as their literals
    return gzip.compress(data, mtime=0) if ext.endswith(".gz") else data


def fault_files(fault: Fault, at: datetime, serial: int = 0) -> list[FaultFile]:
    """The file(s) of one fault, captured at ``at`` (an OSRS bucket's time: on the
    5-minute grid), keyed apart by ``serial`` so many faults share a landing zone."""
    source, kind = fault.source, fault.kind
    endpoint, key, ext = _PLACE[source]
    key = _KEYS[source](serial) if source in _KEYS else key
    n = max(fault.n_good, 1)
    records = _good_records(source, n + 1, at)
    good, spare = records[:n], records[n]
    keys = [str(2 + 4 * i) for i in range(n + 1)] if source == "osrs_prices" else None
    body_at = at

    def file(
        body: Any, rows: int, rejects: int, *, raw: bytes | None = None, when: datetime = at
    ) -> FaultFile:
        data = raw if raw is not None else _encode(body, ext)
        return FaultFile(source, endpoint, when, key, ext, data, kind, rows, rejects)

    def plain(when: datetime = at) -> Any:
        return _body(source, good, when, keys[:n] if keys else None)

    if kind in RECORD_KINDS:
        choices = record_fields(source, kind)
        field, value = choices[fault.field % len(choices)]
        target = fault.target % (n + 1)
        all_records = [*good[:target], spare, *good[target:]]
        if field == "$key":  # the record's key in an OSRS bucket gets the NUL
            rec_keys = list(keys or [])
            rec_keys[target] = _with_nul(rec_keys[target] + "00")
            return [file(_body(source, all_records, body_at, rec_keys), n, 1)]
        all_records[target] = _break(source, spare, field, value, target)
        return [file(_body(source, all_records, body_at, keys), n, 1)]
    if kind == "bom":
        data = b"\xef\xbb\xbf" + json.dumps(plain()).encode()
        return [file(None, n, 0, raw=gzip.compress(data, mtime=0) if ext.endswith(".gz") else data)]
    if kind == "truncated":
        data = json.dumps(plain()).encode()
        cut = data[: max(1, len(data) * 2 // 3)]
        return [file(None, 0, 1, raw=gzip.compress(cut, mtime=0) if ext.endswith(".gz") else cut)]
    if kind == "corrupt_gzip":  # a gzip header, then bytes no deflate stream begins with
        return [
            file(None, 0, 1, raw=b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(7, 60)))
        ]
    if kind in ("future", "past"):
        year = 2100 if kind == "future" else 1990
        when = datetime(year, 1, 1, tzinfo=UTC) + timedelta(minutes=5 * serial)
        return [file(plain(when), 0, 1, when=when)]
    if kind == "off_grid":
        body = plain()
        body["timestamp"] += 7
        return [file(body, 0, 1)]
    if kind == "copy":  # the same bucket saved again 7 s later: that copy wins
        return [file(plain(), 0, 1), file(plain(), n, 0, when=at + timedelta(seconds=7))]
    raise ValueError(f"not a fault kind: {kind!r}")
