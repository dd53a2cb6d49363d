"""World of Warcraft auction houses from the Blizzard Game Data API.

Endpoints (DESIGN §3): ``commodities`` (region-wide) and ``connected_realm``
(one file per connected realm id). Both are hourly snapshots; a snapshot file is
named by the snapshot's own ``Last-Modified`` time, so an unchanged snapshot maps
to a file we already have and is neither fetched (``If-Modified-Since``) nor
written again. Prices are in copper.

Credentials: ``SOURCES__WOW_AUCTIONS__CLIENT_ID`` / ``__CLIENT_SECRET`` (or
``.dlt/secrets.toml``). The token is requested per run, kept in memory, and sent
only in the Authorization header: it never reaches a log, a landing file or a table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from ingestion.http import FetchError, FetchReport, SourceClient, source_config
from ingestion.landing import LandingFile, iter_landing_files, write_atomic
from ingestion.loader import EndpointSpec, Reject, TableSpec

SOURCE = "wow_auctions"
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
    if value not in TIME_LEFT:
        raise ValueError(f"unknown time_left: {value!r}")
    return value


def _auctions(file: LandingFile) -> list[Any]:
    payload = json.loads(file.read_text())
    auctions = payload.get("auctions") if isinstance(payload, dict) else None
    if not isinstance(auctions, list):
        raise ValueError("no 'auctions' array")
    return auctions


def parse_commodities(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    region = file.key or "us"
    for i, rec in enumerate(_auctions(file)):
        try:
            if not isinstance(rec, dict) or not isinstance(rec.get("item"), dict):
                raise ValueError("not an auction object with an item")
            yield {
                "region": region,
                "auction_id": _int(rec, "id", required=True),
                "item_id": _int(rec["item"], "id", required=True),
                "quantity": _int(rec, "quantity", required=True, minimum=1),
                "unit_price": _int(rec, "unit_price", required=True, minimum=1, maximum=MAX_COPPER),
                "time_left": _time_left(rec),
            }
        except ValueError as exc:
            yield Reject(f"/auctions/{i}", str(exc), rec)


def parse_realm(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    try:
        realm_id = int(file.key or "")
    except ValueError:
        raise ValueError(f"connected realm id missing from the file name: {file.key!r}") from None
    for i, rec in enumerate(_auctions(file)):
        try:
            if not isinstance(rec, dict) or not isinstance(rec.get("item"), dict):
                raise ValueError("not an auction object with an item")
            item = rec["item"]
            bid = _int(rec, "bid", required=False, minimum=1, maximum=MAX_COPPER)
            buyout = _int(rec, "buyout", required=False, minimum=1, maximum=MAX_COPPER)
            if bid is None and buyout is None:
                raise ValueError("neither buyout nor bid: no price")
            yield {
                "connected_realm_id": realm_id,
                "auction_id": _int(rec, "id", required=True),
                "item_id": _int(item, "id", required=True),
                "item_context": _int(item, "context", required=False),
                "bonus_lists": json.dumps(item["bonus_lists"]) if "bonus_lists" in item else None,
                "modifiers": json.dumps(item["modifiers"]) if "modifiers" in item else None,
                "pet_species_id": _int(item, "pet_species_id", required=False),
                "pet_breed_id": _int(item, "pet_breed_id", required=False),
                "pet_level": _int(item, "pet_level", required=False),
                "pet_quality_id": _int(item, "pet_quality_id", required=False),
                "bid": bid,
                "buyout": buyout,
                "quantity": _int(rec, "quantity", required=True, minimum=1),
                "time_left": _time_left(rec),
            }
        except ValueError as exc:
            yield Reject(f"/auctions/{i}", str(exc), rec)


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
            indexes=(("captured_at",), ("item_id", "captured_at")),
        ),
        parse_commodities,
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
            indexes=(("captured_at",), ("item_id", "captured_at")),
        ),
        parse_realm,
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
    return SourceClient(
        SOURCE,
        base_url(),
        per_second=float(source_config(SOURCE, "requests_per_second", 10.0)),
        max_attempts=int(source_config(SOURCE, "max_attempts", 5)),
        backoff_factor=float(source_config(SOURCE, "backoff_factor", 0.5)),
        timeout=float(source_config(SOURCE, "timeout", 120.0)),
    )


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
            captured = (
                parsedate_to_datetime(modified).astimezone(UTC)
                if modified
                else datetime.now(UTC).replace(microsecond=0)
            )
            if seen is not None and captured <= seen:
                report.skipped.append(f"{endpoint}/{key}: Last-Modified unchanged")
                continue
            written = write_atomic(SOURCE, endpoint, captured, response.content, key=key, root=root)
            report.files.append(written.relative)
    finally:
        report.count(client)
    return report
