"""Vivid Seats, landing → records: production records, listings (record by record, the
reference validator, and column by column), the fetch log and the resolved events;
``ENDPOINTS`` says which parser fills which raw table (:mod:`.tables`).

A listing whose price or all-in price is zero, negative, not whole cents, or above
``MAX_PRICE_CENTS`` goes to ``rejected_records`` with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingestion import columnar
from ingestion.column_checks import RECORD_ERRORS
from ingestion.landing import LandingFile
from ingestion.loader import EndpointSpec, Reject
from ingestion.sources.vividseats.tables import FETCH_LOG, LISTINGS, PRODUCTIONS, TRACKED_EVENTS

MAX_PRICE_CENTS = 10_000_000  # US$100,000 per ticket
MAX_QUANTITY = 1_000
STATUSES = ("ok", "blocked", "past", "not_found", "failed")


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
    spec = LISTINGS

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
    """Parser of a production's detail answer: one ``productions`` row (id, name, local date
    as sent, venue name and city, min and max price in ``_cents``). A bad id or localDate
    rejects the record (pointer ``/``); a bad price is nulled and rejected on its own
    (``/minPrice``, ``/maxPrice``). A body that is not an object is a ValueError: the whole
    file is rejected (docs/landing.md#rejected-records)."""
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
    """Parser of a tick's fetch log: a ``fetch_log`` row per production asked about (id,
    status: ok, blocked, past, not_found or failed, the HTTP status, a detail, the listings
    file written and its count), a Reject per bad entry. A body that is not a JSON array is
    a ValueError: the whole file is rejected (docs/landing.md#rejected-records)."""
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
    """Parser of an archived events config (resolved to production ids): a ``tracked_events``
    row per production (id, performer, venue, note, and ``resolved_from``:
    ``production_id`` or ``performer``, the first when absent), a Reject per bad entry. A
    body that is not a JSON array is a ValueError: the whole file is rejected
    (docs/landing.md#rejected-records)."""
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


ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec("tracked_events", TRACKED_EVENTS, parse_tracked_events),
    EndpointSpec("production", PRODUCTIONS, parse_production),
    EndpointSpec("listings", LISTINGS, parse_listings, listings_columns),
    EndpointSpec("fetch_log", FETCH_LOG, parse_fetch_log),
)
