"""World of Warcraft auction houses from the Blizzard Game Data API.

Endpoints (docs/landing.md#sources-and-endpoints): ``commodities`` (region-wide) and
``connected_realm`` (one file per connected realm id). Both are hourly snapshots; a
snapshot file is named by the snapshot's own ``Last-Modified`` time, so an unchanged
snapshot maps to a file we already have and is neither fetched (``If-Modified-Since``)
nor written again. Prices are in copper.

Credentials: ``SOURCES__WOW_AUCTIONS__CLIENT_ID`` / ``__CLIENT_SECRET`` (or
``.dlt/secrets.toml``). The token is requested per run, kept in memory, and sent
only in the Authorization header: it never reaches a log, a landing file or a table.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from ingestion import columnar
from ingestion.column_checks import RECORD_ERRORS
from ingestion.http import FetchError, FetchReport, SourceClient, source_config
from ingestion.landing import LandingFile, iter_landing_files, now_utc, write_atomic
from ingestion.loader import EndpointSpec, Reject, TableSpec

SOURCE = "wow_auctions"
# World of Warcraft launched on 2004-11-23: no auction snapshot is older
FIRST_DAY = date(2004, 11, 23)
DEFAULT_BASE_URL = "https://{region}.api.blizzard.com"
DEFAULT_OAUTH_URL = "https://oauth.battle.net/token"
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
    spec = ENDPOINTS[0].table
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
                spec, _records(auctions, _commodity_row, region), skip=_COMMON
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
    spec = ENDPOINTS[1].table

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
        return columnar.rows_to_table(spec, _records(auctions, _realm_row, realm_id), skip=_COMMON)
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


_COMMON = {"landing_file": "text", "captured_at": "timestamp"}

ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec(
        "commodities",
        TableSpec(
            "commodity_auctions",
            ("region", "captured_at", "auction_id"),
            {
                "region": "text",
                "auction_id": "bigint",
                "item_id": "bigint",
                "quantity": "bigint",
                "unit_price": "bigint",
                "time_left": "text",
                **_COMMON,
            },
            replace_by_file=True,
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        parse_commodities,
        commodities_columns,
    ),
    EndpointSpec(
        "connected_realm",
        TableSpec(
            "realm_auctions",
            ("connected_realm_id", "captured_at", "auction_id"),
            {
                "connected_realm_id": "bigint",
                "auction_id": "bigint",
                "item_id": "bigint",
                "item_context": "bigint",
                "bonus_lists": "text",
                "modifiers": "text",
                "pet_species_id": "bigint",
                "pet_breed_id": "bigint",
                "pet_level": "bigint",
                "pet_quality_id": "bigint",
                "bid": "bigint",
                "buyout": "bigint",
                "quantity": "bigint",
                "time_left": "text",
                **_COMMON,
            },
            nullable=frozenset(
                {
                    "item_context",
                    "bonus_lists",
                    "modifiers",
                    "pet_species_id",
                    "pet_breed_id",
                    "pet_level",
                    "pet_quality_id",
                    "bid",
                    "buyout",
                }
            ),
            replace_by_file=True,
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        parse_realm,
        realm_columns,
    ),
)


# --------------------------------------------------------------------------- fetch


def region() -> str:
    return str(source_config(SOURCE, "region", "us")).lower()


def connected_realms() -> list[int]:
    value = source_config(SOURCE, "connected_realms", [])
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    return [int(v) for v in value]


def base_url() -> str:
    return str(source_config(SOURCE, "base_url", DEFAULT_BASE_URL)).format(region=region())


def make_client() -> SourceClient:
    return SourceClient.configured(SOURCE, base_url(), per_second=10.0, timeout=120.0)


def access_token(client: SourceClient) -> str:
    """OAuth client credentials; the secret goes in the request's basic auth, nowhere else."""
    client_id = source_config(SOURCE, "client_id", None)
    client_secret = source_config(SOURCE, "client_secret", None)
    if not client_id or not client_secret:
        raise FetchError(
            "wow_auctions: no Blizzard API credentials; set SOURCES__WOW_AUCTIONS__CLIENT_ID and "
            "SOURCES__WOW_AUCTIONS__CLIENT_SECRET (or .dlt/secrets.toml)"
        )
    oauth_url = str(source_config(SOURCE, "oauth_url", DEFAULT_OAUTH_URL))
    response = client.post(
        oauth_url, data={"grant_type": "client_credentials"}, auth=(client_id, client_secret)
    )
    token = response.json().get("access_token")
    if not token:
        raise FetchError("wow_auctions: the OAuth answer carried no access_token")
    return str(token)


def _newest_capture(endpoint: str, key: str, root: Path | None) -> datetime | None:
    caps = [
        f.captured_at
        for f in iter_landing_files(SOURCE, [endpoint], root)
        if isinstance(f, LandingFile) and f.key == key
    ]
    return max(caps) if caps else None


def fetch(
    *,
    root: Path | None = None,
    client: SourceClient | None = None,
    realms: list[int] | None = None,
) -> FetchReport:
    """API → landing for the region's commodities and each configured connected realm."""
    client = client or make_client()
    report = FetchReport(SOURCE)
    reg = region()
    targets = [("commodities", reg, "data/wow/auctions/commodities")]
    for realm in realms if realms is not None else connected_realms():
        targets.append(
            ("connected_realm", str(realm), f"data/wow/connected-realm/{realm}/auctions")
        )
    try:
        token = access_token(client)
        for endpoint, key, path in targets:
            seen = _newest_capture(endpoint, key, root)
            headers = {"Authorization": f"Bearer {token}"}
            if seen is not None:
                headers["If-Modified-Since"] = format_datetime(seen, usegmt=True)
            response = client.get(
                path, params={"namespace": f"dynamic-{reg}", "locale": "en_US"}, headers=headers
            )
            if response.status_code == 304:
                report.skipped.append(f"{endpoint}/{key}: not modified")
                continue
            modified = response.headers.get("Last-Modified")
            captured = parsedate_to_datetime(modified).astimezone(UTC) if modified else now_utc()
            if seen is not None and captured <= seen:
                report.skipped.append(f"{endpoint}/{key}: Last-Modified unchanged")
                continue
            written = write_atomic(SOURCE, endpoint, captured, response.content, key=key, root=root)
            report.files.append(written.relative)
    finally:
        report.count(client)
    return report
