"""Vivid Seats: tracked events' production records and listings (docs/landing.md).

Endpoints (landing dirs):

* ``tracked_events`` — the events config (``config/tracked_events.csv``) resolved to
  production ids, archived whenever the resolution changes: a line with a
  ``production_id`` tracks that event; a line with only a ``performer`` (and optionally a
  ``venue``) tracks every upcoming production the performer's page lists (at that venue).
* ``production`` — the production record (name, local date, venue, min/max price), one
  file per event and tick, ``<capture>__<production id>``.
* ``listings`` — the event's listings at that moment, one file per event and tick,
  gzipped (``.json.gz``).
* ``fetch_log`` — every tick's outcome per event: ``ok``, ``blocked`` (a 403: the bot
  protection turned us away this time), ``past`` (the event date has gone by: it is
  not asked again), ``not_found`` (404) or ``failed`` (timeouts, 5xx after retries).

A blocked or failed event does not stop the others. Requests are spread out under
``SOURCES__VIVIDSEATS__REQUESTS_PER_MINUTE`` (default 180: two requests for each of 1,000
events fit a 15-minute tick at 2.2 a second).

Raw listings are one row per listing per snapshot, prices in whole cents. A listing
whose price or all-in price is zero, negative, not whole cents, or above
``MAX_PRICE_CENTS`` (US$100,000 a ticket: the dearest resale tickets on record, Super
Bowl and final-tour seats, stay below it) goes to ``rejected_records`` with its reason.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ingestion import columnar
from ingestion.column_checks import RECORD_ERRORS
from ingestion.http import FetchError, FetchReport, SourceClient, config_path, source_config
from ingestion.landing import (
    LandingFile,
    archive_if_changed,
    newest_file,
    now_utc,
    write_atomic,
)
from ingestion.loader import EndpointSpec, Reject, TableSpec

SOURCE = "vividseats"
# Vivid Seats was founded in 2001: no listing snapshot is older
FIRST_DAY = date(2001, 1, 1)
DEFAULT_BASE_URL = "https://www.vividseats.com"
API = "hermes/api/v1"
MAX_PRICE_CENTS = 10_000_000  # US$100,000 per ticket
MAX_QUANTITY = 1_000
STATUSES = ("ok", "blocked", "past", "not_found", "failed")


def config_file() -> Path:
    return config_path(SOURCE, "events_file", "tracked_events.csv")


def read_config(text: str) -> list[dict[str, Any]]:
    """The events config as rows; a bad line is a ValueError naming it."""
    rows = []
    for n, rec in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        raw_id = (rec.get("production_id") or "").strip()
        performer = (rec.get("performer") or "").strip()
        venue = (rec.get("venue") or "").strip()
        if raw_id:
            if not raw_id.isdigit():
                raise ValueError(f"line {n}: production_id {raw_id!r} is not a number")
            production_id: int | None = int(raw_id)
        elif performer:
            production_id = None
        else:
            raise ValueError(f"line {n}: give a production_id, or a performer (and a venue)")
        rows.append(
            {
                "production_id": production_id,
                "performer": performer or None,
                "venue": venue or None,
                "note": (rec.get("note") or "").strip() or None,
            }
        )
    return rows


# --------------------------------------------------------------------------- parse


def _cents(value: Any, what: str) -> int:
    """A price in dollars (number or numeric string) as whole cents, checked."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} is missing")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{what} is not a number: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"{what} is not a number: {value!r}")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{what} is not whole cents: {value!r}")
    if cents <= 0:
        raise ValueError(f"{what} is not positive: {value!r}")
    if cents > MAX_PRICE_CENTS:
        raise ValueError(f"{what} is above the plausible US$100,000: {value!r}")
    return int(cents)


def _whole(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} is not a whole number: {value!r}")
    if value < low or value > high:
        raise ValueError(f"{what} is out of range: {value!r}")
    return value


def _text(value: Any, what: str = "a text field") -> str | None:
    """Text as sent (a number, as sections often are, becomes its digits); an object,
    array or boolean is a ValueError naming ``what``: "text is text"."""
    if value is None:
        return None
    if isinstance(value, dict | list | bool):
        raise ValueError(f"{what} is not text: {value!r}")
    text = str(value).strip()
    return text or None


def _listing_row(rec: Any, production_id: int) -> dict[str, Any]:
    """One listing, validated; ValueError says what is wrong with it."""
    if not isinstance(rec, dict):
        raise ValueError("not a listing object")
    section = _text(rec.get("s"), "section")
    if section is None:
        raise ValueError("listing has no section")
    price = _cents(rec.get("p"), "price")
    all_in = _cents(rec.get("aip"), "all-in price")
    if all_in < price:
        raise ValueError(f"all-in price {rec.get('aip')!r} is below the price {rec.get('p')!r}")
    return {
        "production_id": production_id,
        "listing_id": _whole(rec.get("i"), "listing id", 1, 2**63 - 1),
        "section": section,
        "seat_row": _text(rec.get("r"), "row"),
        "quantity": _whole(rec.get("q"), "quantity", 1, MAX_QUANTITY),
        "price_cents": price,
        "all_in_price_cents": all_in,
        "notes": _text(rec.get("n"), "notes"),
    }


def _production_id(file: LandingFile) -> int:
    try:
        return int(file.key or "")
    except ValueError:
        raise ValueError(f"production id missing from the file name: {file.key!r}") from None


def _tickets(file: LandingFile) -> list[Any]:
    payload = file.read_json()
    tickets = payload.get("tickets") if isinstance(payload, dict) else None
    if not isinstance(tickets, list):
        raise ValueError("no 'tickets' array")
    return tickets


def parse_listings(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    """Record by record: the reference validator (the columnar path falls back to it)."""
    production_id = _production_id(file)
    seen: set[int] = set()
    for i, rec in enumerate(_tickets(file)):
        try:
            row = _listing_row(rec, production_id)
            if row["listing_id"] in seen:
                raise ValueError(_duplicate(row["listing_id"]))
            seen.add(row["listing_id"])
            yield row
        except RECORD_ERRORS as exc:
            yield Reject(f"/tickets/{i}", str(exc), rec)


def _duplicate(listing_id: Any) -> str:
    return f"listing id {listing_id} appears earlier in this snapshot (first one kept)"


def _cents_column(values: list[Any]) -> pa.Array:
    """Dollar amounts as int64 cents, null where a value is not exactly whole cents
    (the record-by-record validator then says why)."""
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise columnar.NotColumnar(str(exc)) from exc
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.int64())
    if pa.types.is_integer(arr.type):
        # a file of whole-dollar prices gets the same range check as one of decimals
        arr = arr.cast(pa.float64())
    if not pa.types.is_floating(arr.type):
        raise columnar.NotColumnar(f"prices are {arr.type}")
    scaled = pc.multiply(arr, 100.0)
    rounded = pc.round(scaled)
    exact = pc.less(pc.abs(pc.subtract(scaled, rounded)), 1e-6)
    in_range = pc.and_(pc.greater(rounded, 0.0), pc.less_equal(rounded, float(MAX_PRICE_CENTS)))
    return pc.if_else(pc.and_(exact, in_range), rounded, None).cast(pa.int64())


def _optional_text(values: list[Any]) -> pa.Array:
    out = []
    for v in values:
        if v is None or isinstance(v, str):
            out.append(v.strip() or None if v is not None else None)
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out.append(str(v))
        else:
            raise columnar.NotColumnar(f"not text: {v!r}")
    return pa.array(out, pa.string())


def listings_columns(file: LandingFile) -> tuple[pa.Table, list[Reject]]:
    """A listings snapshot column by column (a thousand listings per event and tick, a
    hundred events: the record-by-record path would cost more than the load)."""
    production_id = _production_id(file)
    tickets = _tickets(file)
    spec = ENDPOINTS[2].table

    def build() -> dict[str, pa.Array]:
        return {
            "listing_id": columnar.int_column([t.get("i") for t in tickets]),
            "section": _optional_text([t.get("s") for t in tickets]),
            "seat_row": _optional_text([t.get("r") for t in tickets]),
            "quantity": columnar.int_column([t.get("q") for t in tickets]),
            "price_cents": _cents_column([t.get("p") for t in tickets]),
            "all_in_price_cents": _cents_column([t.get("aip") for t in tickets]),
            "notes": _optional_text([t.get("n") for t in tickets]),
        }

    try:
        cols = columnar.python_columns(build)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        cols = None
    if cols is None:
        return columnar.rows_to_table(
            spec, parse_listings(file), skip=("captured_at", "landing_file")
        )
    valid = columnar.all_of(
        [
            columnar.between(cols["listing_id"], 1, 2**63 - 1),
            pc.is_valid(cols["section"]),
            columnar.between(cols["quantity"], 1, MAX_QUANTITY),
            pc.is_valid(cols["price_cents"]),
            pc.is_valid(cols["all_in_price_cents"]),
            pc.fill_null(pc.greater_equal(cols["all_in_price_cents"], cols["price_cents"]), False),
        ]
    )
    # a listing id twice in one snapshot: the first is kept, the others rejected
    first_seen: set[int] = set()
    duplicates = []
    for i, listing_id in enumerate(cols["listing_id"].to_pylist()):
        if listing_id is not None and listing_id in first_seen:
            duplicates.append(i)
        first_seen.add(listing_id)
    if duplicates:
        mask = [True] * len(tickets)
        for i in duplicates:
            mask[i] = False
        valid = pc.and_(valid, pa.array(mask))
    cols["production_id"] = pa.array([production_id] * len(tickets), pa.int64())
    cols["quantity"] = pc.if_else(valid, cols["quantity"], 1).cast(pa.int32())
    for name in ("price_cents", "all_in_price_cents"):
        cols[name] = pc.if_else(valid, cols[name], 0).cast(pa.int32())
    cols["production_id"] = cols["production_id"].cast(pa.int32())
    table, rejects = columnar.split_valid(
        spec,
        cols,
        valid,
        tickets.__getitem__,
        lambda _, r: _listing_row(r, production_id),
        "/tickets/{}",
    )
    dup_pointers = {f"/tickets/{i}": i for i in duplicates}
    rejects = [
        Reject(r.record_pointer, _duplicate(tickets[dup_pointers[r.record_pointer]].get("i")),
               r.payload)
        if r.record_pointer in dup_pointers and r.reason == "rejected by a column check"
        else r
        for r in rejects
    ]  # fmt: skip
    return table, rejects


def parse_production(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    payload = file.read_json()
    if not isinstance(payload, dict):
        raise ValueError("a production record is a JSON object")
    try:
        production_id = _whole(payload.get("id"), "id", 1, 2**31 - 1)
        local_date = _text(payload.get("localDate"))
        if local_date is None:
            raise ValueError("production has no localDate")
        try:
            datetime.fromisoformat(local_date)
        except ValueError:
            raise ValueError(f"localDate is not a date and time: {local_date!r}") from None
        venue = payload.get("venue") if isinstance(payload.get("venue"), dict) else {}
        # the price range is a summary the event's identity does not depend on: a bad
        # one is nulled and rejected on its own, the name, date and venue stay
        field_rejects = []
        prices = {}
        for field, column in (("minPrice", "min_price_cents"), ("maxPrice", "max_price_cents")):
            value = payload.get(field)
            try:
                prices[column] = None if value is None else _cents(value, field)
            except ValueError as exc:
                prices[column] = None
                field_rejects.append(Reject(f"/{field}", f"{exc} (field nulled)", value))
        row = {
            "production_id": production_id,
            "production_name": _text(payload.get("name")) or f"production {production_id}",
            "local_date": local_date,
            "venue_name": _text(venue.get("name")),
            "venue_city": _text(venue.get("city")),
            **prices,
        }
    except RECORD_ERRORS as exc:
        yield Reject("/", str(exc), payload)
        return
    yield row
    yield from field_rejects


def parse_fetch_log(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    payload = file.read_json()
    if not isinstance(payload, list):
        raise ValueError("a fetch log is a JSON array")
    for i, rec in enumerate(payload):
        try:
            if not isinstance(rec, dict):
                raise ValueError("entry is not an object")
            status = rec.get("status")
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}")
            yield {
                "production_id": _whole(rec.get("production_id"), "production_id", 1, 2**31 - 1),
                "status": status,
                "http_status": rec.get("http_status"),
                "detail": rec.get("detail"),
                "listings_file": rec.get("listings_file"),
                "listings": rec.get("listings"),
            }
        except RECORD_ERRORS as exc:
            yield Reject(f"/{i}", str(exc), rec)


def parse_tracked_events(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    payload = file.read_json()
    if not isinstance(payload, list):
        raise ValueError("a tracked-events version is a JSON array")
    for i, rec in enumerate(payload):
        try:
            if not isinstance(rec, dict):
                raise ValueError("entry is not an object")
            yield {
                "production_id": _whole(rec.get("production_id"), "production_id", 1, 2**31 - 1),
                "performer": rec.get("performer"),
                "venue": rec.get("venue"),
                "note": rec.get("note"),
                "resolved_from": rec.get("resolved_from") or "production_id",
            }
        except RECORD_ERRORS as exc:
            yield Reject(f"/{i}", str(exc), rec)


_COMMON = {"landing_file": "text", "captured_at": "timestamp"}

ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec(
        "tracked_events",
        TableSpec(
            "tracked_events",
            ("captured_at", "production_id"),
            {
                "production_id": "bigint",
                "performer": "text",
                "venue": "text",
                "note": "text",
                "resolved_from": "text",
                **_COMMON,
            },
            nullable=frozenset({"performer", "venue", "note"}),
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        parse_tracked_events,
    ),
    EndpointSpec(
        "production",
        TableSpec(
            "productions",
            ("production_id", "captured_at"),
            {
                "production_id": "bigint",
                "production_name": "text",
                "local_date": "text",
                "venue_name": "text",
                "venue_city": "text",
                "min_price_cents": "bigint",
                "max_price_cents": "bigint",
                **_COMMON,
            },
            nullable=frozenset({"venue_name", "venue_city", "min_price_cents", "max_price_cents"}),
            indexes=(("production_id", "captured_at"),),
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        parse_production,
    ),
    EndpointSpec(
        "listings",
        # The big one: one row per listing per snapshot, partitioned by month so old
        # months are dropped whole, lean types (≈ 102 bytes a row on disk, see README).
        TableSpec(
            "listings",
            ("production_id", "captured_at", "listing_id"),
            {
                "listing_id": "bigint",
                "captured_at": "timestamp",
                "production_id": "int",
                "price_cents": "int",
                "all_in_price_cents": "int",
                "quantity": "int",
                "section": "text",
                "seat_row": "text",
                "notes": "text",
            },
            nullable=frozenset({"seat_row", "notes"}),
            replace_by_file=True,
            key_column="production_id",
            partition_by="captured_at",
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        parse_listings,
        listings_columns,
    ),
    EndpointSpec(
        "fetch_log",
        TableSpec(
            "fetch_log",
            ("captured_at", "production_id"),
            {
                "production_id": "bigint",
                "status": "text",
                "http_status": "bigint",
                "detail": "text",
                "listings_file": "text",
                "listings": "bigint",
                **_COMMON,
            },
            nullable=frozenset({"http_status", "detail", "listings_file", "listings"}),
            indexes=(("production_id", "captured_at"),),
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        parse_fetch_log,
    ),
)


# --------------------------------------------------------------------------- fetch


def base_url() -> str:
    return str(source_config(SOURCE, "base_url", DEFAULT_BASE_URL))


def make_client() -> SourceClient:
    return SourceClient.configured(SOURCE, base_url(), per_second=3.0, max_attempts=3, timeout=30.0)


def known_past(root: Path | None = None) -> set[int]:
    """Events the newest fetch log marked ``past``: not asked again. One small file per
    tick is read, not the production archive (a million files after a season)."""
    newest = newest_file(SOURCE, "fetch_log", root)
    if newest is None:
        return set()
    try:
        entries = json.loads(newest.read_text())
        return {int(e["production_id"]) for e in entries if e.get("status") == "past"}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()  # an unreadable log: ask every event once more, the loader says why


def is_past(local_date: datetime | None, now: datetime) -> bool:
    """Past once its local date is before today (UTC): event day itself is still asked,
    and no time zone table is needed for a day's precision."""
    return local_date is not None and local_date.date() < now.astimezone(UTC).date()


def _resolve(
    config: list[dict[str, Any]], client: SourceClient, log: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Config lines → tracked productions (performer lines through the productions
    search). A performer whose search fails keeps nothing this tick and says why."""
    events: dict[int, dict[str, Any]] = {}
    for line in config:
        if line["production_id"] is not None:
            events.setdefault(line["production_id"], {**line, "resolved_from": "production_id"})
            continue
        try:
            response = client.get(f"{API}/productions", params={"performerName": line["performer"]})
            items = response.json().get("items") or []
        except (FetchError, ValueError, AttributeError) as exc:
            log.append({"performer": line["performer"], "status": "failed", "detail": str(exc)})
            continue
        for item in items:
            venue = (item.get("venue") or {}).get("name")
            if line["venue"] and (venue or "").lower() != line["venue"].lower():
                continue
            pid = int(item["id"])
            events.setdefault(
                pid,
                {
                    "production_id": pid,
                    "performer": line["performer"],
                    "venue": line["venue"],
                    "note": item.get("name"),
                    "resolved_from": "performer",
                },
            )
    return sorted(events.values(), key=lambda e: e["production_id"])


def archive_tracked(events: list[dict[str, Any]], at: datetime, root: Path | None) -> str | None:
    """Archive the resolved events when they differ from the newest archived version."""
    written = archive_if_changed(
        SOURCE, "tracked_events", at, json.dumps(events, sort_keys=True).encode(), root=root
    )
    return written.relative if written else None


def compress(body: bytes) -> bytes:
    """Listings bodies are archived gzipped (about a fifth of the size: a hundred events
    every 15 minutes is 10 GB a month of JSON); mtime 0 keeps identical bodies
    byte-identical, so a re-fetch of an unchanged book is recognised."""
    return gzip.compress(body, compresslevel=6, mtime=0)


def fetch_event(
    production_id: int,
    client: SourceClient,
    root: Path | None,
    now: datetime,
    was_past: bool,
    stamp: Any = now_utc,
) -> dict[str, Any]:
    """One event's production record and listings → landing; its fetch-log entry.
    Each file is stamped when its answer arrived (``stamp()``), its observation time."""
    entry: dict[str, Any] = {"production_id": production_id}
    if was_past:
        return {**entry, "status": "past", "detail": "event date has passed: not asked again"}
    key = str(production_id)
    try:
        response = client.get(f"{API}/productions/{production_id}")
        at = stamp()
        production = write_atomic(SOURCE, "production", at, response.content, key=key, root=root)
        try:
            local = datetime.fromisoformat(str(response.json()["localDate"]))
        except (ValueError, KeyError, TypeError):
            local = None  # the loader rejects the record and says why
        if is_past(local, now):
            return {**entry, "status": "past", "http_status": 200,
                    "detail": "event date has passed: not asked again"}  # fmt: skip
        response = client.get(f"{API}/listings", params={"productionId": production_id})
        at = stamp()
        listings = write_atomic(
            SOURCE, "listings", at, compress(response.content), key=key, ext="json.gz", root=root
        )
    except FetchError as exc:
        status = {403: "blocked", 404: "not_found"}.get(exc.status or 0, "failed")
        return {**entry, "status": status, "http_status": exc.status, "detail": str(exc)}
    try:
        count = len(orjson.loads(response.content).get("tickets") or [])
    except (orjson.JSONDecodeError, AttributeError):
        count = None
    entry.update(status="ok", http_status=200, listings_file=listings.relative, listings=count)
    entry["production_file"] = production.relative
    return entry


def fetch(
    *,
    root: Path | None = None,
    client: SourceClient | None = None,
    now: datetime | None = None,
    config_text: str | None = None,
) -> FetchReport:
    """One tick: resolve the config, archive it if it changed, then every tracked event
    not yet past (production record, then listings). The tick's fetch log is written
    even when some events were blocked or failed."""
    client = client or make_client()
    report = FetchReport(SOURCE)
    # a simulated tick (``now`` given) stamps every file with it; a live one, each
    # answer with its arrival time
    stamp = (lambda: now) if now is not None else now_utc
    now = now or now_utc()
    config = read_config(config_text if config_text is not None else config_file().read_text())
    log: list[dict[str, Any]] = []
    try:
        events = _resolve(config, client, log)
        archived = archive_tracked(events, now, root)
        if archived:
            report.files.append(archived)
        past = known_past(root)
        for event in events:
            pid = event["production_id"]
            entry = fetch_event(pid, client, root, now, pid in past, stamp)
            for name in ("production_file", "listings_file"):
                if entry.get(name):
                    report.files.append(entry[name])
            entry.pop("production_file", None)
            if entry["status"] != "ok":
                report.skipped.append(f"{pid}: {entry['status']}")
            log.append(entry)
    finally:
        report.count(client)
        entries = [e for e in log if "production_id" in e]
        for e in log:
            if "performer" in e:
                report.skipped.append(f"performer {e['performer']!r}: {e['detail']}")
        if entries:
            written = write_atomic(
                SOURCE, "fetch_log", now, json.dumps(entries).encode(), root=root
            )
            report.files.append(written.relative)
    return report
