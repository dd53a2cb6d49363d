"""World of Warcraft auctions, API → landing: the region's commodities and each
configured connected realm, hourly snapshots. A snapshot file is named by the snapshot's
own ``Last-Modified`` time, so an unchanged snapshot maps to a file we already have and is
neither fetched (``If-Modified-Since``) nor written again.

Credentials: ``SOURCES__WOW_AUCTIONS__CLIENT_ID`` / ``__CLIENT_SECRET`` (or
``.dlt/secrets.toml``). The token is requested per run, kept in memory, and sent only in
the Authorization header: it never reaches a log, a landing file or a table.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from ingestion.gaps import Gap, snapshot_gaps
from ingestion.http import FetchError, FetchReport, SourceClient, source_config, source_secret
from ingestion.landing import LandingFile, iter_landing_files, now_utc, write_atomic
from ingestion.sources.wow_auctions.tables import SOURCE

DEFAULT_BASE_URL = "https://{region}.api.blizzard.com"
DEFAULT_OAUTH_URL = "https://oauth.battle.net/token"
SNAPSHOT_EVERY = timedelta(hours=1)
"""How often Blizzard publishes a new snapshot of an auction house (about hourly)."""
GAP_ENDPOINTS = ("commodities", "connected_realm")
"""The endpoints whose missed snapshots are gaps (:func:`gaps`): both, the API keeps no
past snapshot."""


def region() -> str:
    """The API region (``us``, ``eu``, …): ``sources.wow_auctions.region``, else ``us``,
    lower-cased."""
    return str(source_config(SOURCE, "region", "us")).lower()


def connected_realms() -> list[int]:
    """The connected realm ids to fetch, from ``sources.wow_auctions.connected_realms`` (a list,
    or a string of ids separated by commas or spaces); none by default. A non-integer id is
    a ValueError."""
    value = source_config(SOURCE, "connected_realms", [])
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    return [int(v) for v in value]


def base_url() -> str:
    """The Game Data API's base URL for the region: ``sources.wow_auctions.base_url``, else
    https://{region}.api.blizzard.com, with ``{region}`` filled in."""
    return str(source_config(SOURCE, "base_url", DEFAULT_BASE_URL)).format(region=region())


def make_client() -> SourceClient:
    """The run's client: 10 requests/s unless configured, a 120 s timeout (a region's
    commodities snapshot is one large answer)."""
    return SourceClient.configured(SOURCE, base_url(), per_second=10.0, timeout=120.0)


def access_token(client: SourceClient) -> str:
    """OAuth client credentials; the secret goes in the request's basic auth, nowhere else."""
    # Both as dlt secrets: the id is half of the credential, and a value read as config
    # would be kept, in clear, in the trace of the next dlt pipeline run.
    client_id = source_secret(SOURCE, "client_id")
    client_secret = source_secret(SOURCE, "client_secret")
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
    """API → landing for the region's commodities and each configured connected realm.

    A snapshot whose request still fails after its retries is a failure of the fetch
    (``report.failures``, the first names the request); the other snapshots are still
    asked for. Without an access token nothing can be asked: that FetchError is raised."""
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
            try:
                response = client.get(
                    path, params={"namespace": f"dynamic-{reg}", "locale": "en_US"}, headers=headers
                )
            except FetchError as exc:  # this snapshot failed: the others are still asked for
                report.fail(exc)
                continue
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


def missed_after() -> timedelta:
    """How far apart two landed snapshots of one auction house may be before one between
    them counts as missed: ``sources.wow_auctions.snapshot_gap_minutes``, default 100 (a
    snapshot about every 60 minutes, whose ``Last-Modified`` wanders by some minutes).
    Less than 60 makes :func:`gaps` raise ValueError (recorded as a warning, not a gap)."""
    return timedelta(minutes=float(source_config(SOURCE, "snapshot_gap_minutes", 100)))


def gaps(root: Path | None = None) -> list[Gap]:
    """The snapshots of each auction house (the region's commodities, each connected
    realm) that were never landed and never can be, since the API serves only the
    current one: per endpoint, one :class:`~ingestion.gaps.Gap` per stretch between two
    landed snapshots more than :func:`missed_after` apart (ingestion/gaps.py
    ``snapshot_gaps``). From the landing zone alone, as every source's gaps. A realm
    added to ``connected_realms`` later has no gap before its first snapshot; one taken
    out and put back has one for the time it was out."""
    found: list[Gap] = []
    served = (
        "the API serves only each auction house's current snapshot"
        " (sources.wow_auctions.snapshot_gap_minutes)"
    )
    for endpoint in GAP_ENDPOINTS:
        landed: dict[str, set[datetime]] = defaultdict(set)
        for f in iter_landing_files(SOURCE, [endpoint], root):
            if isinstance(f, LandingFile):
                landed[f.key or endpoint].add(f.captured_at)
        found += snapshot_gaps(SOURCE, endpoint, landed, SNAPSHOT_EVERY, missed_after(), served)
    return found
