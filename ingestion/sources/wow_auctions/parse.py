"""World of Warcraft auctions, landing → records: record by record (the reference
validator) and column by column (Arrow, for snapshots of 300k+ listings); ``ENDPOINTS``
says which parser fills which raw table (:mod:`.tables`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from ingestion import columnar
from ingestion.column_checks import RECORD_ERRORS
from ingestion.landing import LandingFile
from ingestion.loader import EndpointSpec, Reject
from ingestion.sources.wow_auctions.tables import COMMODITY_AUCTIONS, COMMON, REALM_AUCTIONS

TIME_LEFT = frozenset({"SHORT", "MEDIUM", "LONG", "VERY_LONG"})
MAX_COPPER = 10**13  # 1 billion gold: the gold cap is far below; above it is corrupt


def _int(
    rec: dict[str, Any],
    name: str,
    *,
    required: bool,
    minimum: int = 0,
    maximum: int = 2**63 - 1,
) -> int | None:
    value = rec.get(name)
    if value is None:
        if required:
            raise ValueError(f"{name} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} is not an integer: {value!r}")
    if value < minimum or value > maximum:
        raise ValueError(f"{name} is out of range: {value!r}")
    return value


def _time_left(rec: dict[str, Any]) -> str:
    value = rec.get("time_left")
    if not isinstance(value, str) or value not in TIME_LEFT:
        raise ValueError(f"unknown time_left: {value!r}")
    return value


def _auctions(file: LandingFile) -> list[Any]:
    payload = file.read_json()
    auctions = payload.get("auctions") if isinstance(payload, dict) else None
    if not isinstance(auctions, list):
        raise ValueError("no 'auctions' array")
    return auctions


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _commodity_row(rec: Any, region: str) -> dict[str, Any]:
    """One commodity listing, validated; ValueError says what is wrong with it."""
    if not isinstance(rec, dict) or not isinstance(rec.get("item"), dict):
        raise ValueError("not an auction object with an item")
    return {
        "region": region,
        "auction_id": _int(rec, "id", required=True),
        "item_id": _int(rec["item"], "id", required=True),
        "quantity": _int(rec, "quantity", required=True, minimum=1),
        "unit_price": _int(rec, "unit_price", required=True, minimum=1, maximum=MAX_COPPER),
        "time_left": _time_left(rec),
    }


def _realm_row(rec: Any, realm_id: int) -> dict[str, Any]:
    """One realm auction (gear, pets, ...), validated."""
    if not isinstance(rec, dict) or not isinstance(rec.get("item"), dict):
        raise ValueError("not an auction object with an item")
    item = rec["item"]
    bid = _int(rec, "bid", required=False, minimum=1, maximum=MAX_COPPER)
    buyout = _int(rec, "buyout", required=False, minimum=1, maximum=MAX_COPPER)
    if bid is None and buyout is None:
        raise ValueError("neither buyout nor bid: no price")
    return {
        "connected_realm_id": realm_id,
        "auction_id": _int(rec, "id", required=True),
        "item_id": _int(item, "id", required=True),
        "item_context": _int(item, "context", required=False),
        "bonus_lists": _json_text(item.get("bonus_lists")),
        "modifiers": _json_text(item.get("modifiers")),
        "pet_species_id": _int(item, "pet_species_id", required=False),
        "pet_breed_id": _int(item, "pet_breed_id", required=False),
        "pet_level": _int(item, "pet_level", required=False),
        "pet_quality_id": _int(item, "pet_quality_id", required=False),
        "bid": bid,
        "buyout": buyout,
        "quantity": _int(rec, "quantity", required=True, minimum=1),
        "time_left": _time_left(rec),
    }


def _realm_id(file: LandingFile) -> int:
    try:
        return int(file.key or "")
    except ValueError:
        raise ValueError(f"connected realm id missing from the file name: {file.key!r}") from None


def _records(auctions: list[Any], row: Any, *args: Any) -> Iterator[dict[str, Any] | Reject]:
    for i, rec in enumerate(auctions):
        try:
            yield row(rec, *args)
        except RECORD_ERRORS as exc:
            yield Reject(f"/auctions/{i}", str(exc), rec)


def parse_commodities(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    """Record by record: the reference validator (the columnar path falls back to it)."""
    yield from _records(_auctions(file), _commodity_row, file.key or "us")


def parse_realm(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    """Parser of a connected realm's snapshot, record by record (the reference validator the
    columnar path falls back to): a ``realm_auctions`` row per auction, buyout and bid in
    copper, a Reject per bad one. A file key that is not a realm id, or no ``auctions``
    array, is a ValueError: the whole file is rejected (docs/landing.md#rejected-records)."""
    realm_id = _realm_id(file)
    yield from _records(_auctions(file), _realm_row, realm_id)


_TIME_LEFT = pa.array(sorted(TIME_LEFT))


def _time_left_ok(arr: pa.Array) -> pa.Array:
    return pc.fill_null(pc.is_in(arr, value_set=_TIME_LEFT), False)


def _commodities_arrow(file: LandingFile) -> tuple[pa.StructArray, dict[str, pa.Array]] | None:
    """The listings parsed by Arrow's JSON reader (C++, no Python object per listing),
    or None when the file is anything but the plain shape: then the caller parses it
    with orjson, where every oddity gets its own reason."""
    data = file.read_bytes()
    try:
        table = pajson.read_json(
            io.BytesIO(data),
            read_options=pajson.ReadOptions(block_size=len(data) + 1),
            parse_options=pajson.ParseOptions(newlines_in_values=True),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.num_rows != 1 or "auctions" not in table.column_names:
        return None
    kind = table.schema.field("auctions").type
    if not (pa.types.is_list(kind) and pa.types.is_struct(kind.value_type)):
        return None
    listings = pc.list_flatten(table.column("auctions").combine_chunks())
    fields = {f.name: f.type for f in kind.value_type}
    item_type = fields.get("item")
    if item_type is None or not pa.types.is_struct(item_type):
        return None
    item_fields = {f.name: f.type for f in item_type}
    cols: dict[str, pa.Array] = {}
    for name, source_type, source in (
        ("auction_id", fields.get("id"), lambda: listings.field("id")),
        ("item_id", item_fields.get("id"), lambda: listings.field("item").field("id")),
        ("quantity", fields.get("quantity"), lambda: listings.field("quantity")),
        ("unit_price", fields.get("unit_price"), lambda: listings.field("unit_price")),
    ):
        if source_type is None or pa.types.is_null(source_type):
            cols[name] = pa.nulls(len(listings), pa.int64())
        elif pa.types.is_integer(source_type):
            # a null struct (a listing that is not an object) nulls its fields too
            cols[name] = pc.if_else(pc.is_valid(listings), source(), None).cast(pa.int64())
        else:
            return None
    time_left_type = fields.get("time_left")
    if time_left_type is None or pa.types.is_null(time_left_type):
        cols["time_left"] = pa.nulls(len(listings), pa.string())
    elif pa.types.is_string(time_left_type):
        cols["time_left"] = listings.field("time_left")
    else:
        return None
    return listings, cols


def commodities_columns(file: LandingFile) -> tuple[pa.Table, list[Reject]]:
    """A region's commodity snapshot (often 300k+ listings) column by column: Arrow's
    JSON reader when the file has the plain shape, else orjson and Python lists."""
    region = file.key or "us"
    spec = COMMODITY_AUCTIONS
    parsed = _commodities_arrow(file)
    if parsed is not None:
        listings, cols = parsed
        n = len(listings)

        def record_at(i: int) -> Any:
            return listings[i].as_py()

    else:
        auctions = _auctions(file)
        n = len(auctions)

        def build() -> dict[str, pa.Array]:
            items = [a.get("item") for a in auctions]
            return {
                "auction_id": columnar.int_column([a.get("id") for a in auctions]),
                "item_id": columnar.int_column([it.get("id") for it in items]),
                "quantity": columnar.int_column([a.get("quantity") for a in auctions]),
                "unit_price": columnar.int_column([a.get("unit_price") for a in auctions]),
                "time_left": columnar.str_column([a.get("time_left") for a in auctions]),
            }

        built = columnar.python_columns(build)
        if built is None:
            return columnar.rows_to_table(
                spec, _records(auctions, _commodity_row, region), skip=COMMON
            )
        cols = built

        def record_at(i: int) -> Any:
            return auctions[i]

    valid = columnar.all_of(
        [
            columnar.between(cols["auction_id"], 0, 2**63 - 1),
            columnar.between(cols["item_id"], 0, 2**63 - 1),
            columnar.between(cols["quantity"], 1, 2**63 - 1),
            columnar.between(cols["unit_price"], 1, MAX_COPPER),
            _time_left_ok(cols["time_left"]),
        ]
    )
    cols["region"] = pa.array([region] * n, pa.string())
    return columnar.split_valid(
        spec, cols, valid, record_at, lambda _, r: _commodity_row(r, region), "/auctions/{}"
    )


def realm_columns(file: LandingFile) -> tuple[pa.Table, list[Reject]]:
    """A connected realm's snapshot column by column (pets, bonus lists and all)."""
    realm_id = _realm_id(file)
    auctions = _auctions(file)
    spec = REALM_AUCTIONS

    def build() -> dict[str, pa.Array]:
        items = [a.get("item") for a in auctions]
        return {
            "auction_id": columnar.int_column([a.get("id") for a in auctions]),
            "item_id": columnar.int_column([it.get("id") for it in items]),
            "item_context": columnar.int_column([it.get("context") for it in items]),
            "bonus_lists": columnar.str_column([_json_text(it.get("bonus_lists")) for it in items]),
            "modifiers": columnar.str_column([_json_text(it.get("modifiers")) for it in items]),
            **{
                name: columnar.int_column([it.get(name) for it in items])
                for name in ("pet_species_id", "pet_breed_id", "pet_level", "pet_quality_id")
            },
            "bid": columnar.int_column([a.get("bid") for a in auctions]),
            "buyout": columnar.int_column([a.get("buyout") for a in auctions]),
            "quantity": columnar.int_column([a.get("quantity") for a in auctions]),
            "time_left": columnar.str_column([a.get("time_left") for a in auctions]),
        }

    cols = columnar.python_columns(build)
    if cols is None:
        return columnar.rows_to_table(spec, _records(auctions, _realm_row, realm_id), skip=COMMON)
    big = 2**63 - 1
    valid = columnar.all_of(
        [
            columnar.between(cols["auction_id"], 0, big),
            columnar.between(cols["item_id"], 0, big),
            *(
                columnar.between(cols[name], 0, big, nullable=True)
                for name in (
                    "item_context",
                    "pet_species_id",
                    "pet_breed_id",
                    "pet_level",
                    "pet_quality_id",
                )
            ),
            columnar.between(cols["bid"], 1, MAX_COPPER, nullable=True),
            columnar.between(cols["buyout"], 1, MAX_COPPER, nullable=True),
            pc.or_(pc.is_valid(cols["bid"]), pc.is_valid(cols["buyout"])),
            columnar.between(cols["quantity"], 1, big),
            _time_left_ok(cols["time_left"]),
        ]
    )
    cols["connected_realm_id"] = pa.array([realm_id] * len(auctions), pa.int64())
    return columnar.split_valid(
        spec,
        cols,
        valid,
        auctions.__getitem__,
        lambda _, r: _realm_row(r, realm_id),
        "/auctions/{}",
    )


ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec("commodities", COMMODITY_AUCTIONS, parse_commodities, commodities_columns),
    EndpointSpec("connected_realm", REALM_AUCTIONS, parse_realm, realm_columns),
)
