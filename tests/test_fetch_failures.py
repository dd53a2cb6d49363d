"""Every source says which request failed, in one line (issue 21, item 4).

Each HTTP source is fetched against the simulator while it answers 503 to everything
(and once more against a port nobody listens on): its fetch either raises a FetchError
or reports one in ``FetchReport.failures`` — never a silent skip — whose text is one
line naming the source, the method, the URL and the status or reason. No database.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from ingestion.http import FetchError, SourceClient, redact_url
from ingestion.simulator.server import WOW_CLIENT, SimulatorServer
from ingestion.sources import get

NOW = datetime(2026, 11, 22, 6, 0, 30, tzinfo=UTC)
ASSETS = (
    "symbol,name,asset_type,provider,provider_symbol,currency\n"
    "BTC,Bitcoin,crypto,binance,BTCUSDT,USDT\n"
    "ETH,Ether,crypto,binance,ETHUSDT,USDT\n"
    "AAPL,Apple Inc.,stock,yahoo_finance,AAPL,USD\n"
)
EVENTS = "production_id,performer,venue,note\n1001,,,\n"
HTTP_SOURCES = (
    "osrs_prices", "wow_auctions", "osrs_hiscores", "binance", "yahoo_finance", "vividseats",
)  # fmt: skip


@pytest.fixture
def configured(tmp_path, monkeypatch):
    assets = tmp_path / "tracked_assets.csv"
    assets.write_text(ASSETS)
    for source in ("BINANCE", "YAHOO_FINANCE"):
        monkeypatch.setenv(f"SOURCES__{source}__ASSETS_FILE", str(assets))
        monkeypatch.setenv(f"SOURCES__{source}__HISTORY_DAYS", "3")
    monkeypatch.setenv("SOURCES__WOW_AUCTIONS__CLIENT_ID", WOW_CLIENT[0])
    monkeypatch.setenv("SOURCES__WOW_AUCTIONS__CLIENT_SECRET", WOW_CLIENT[1])
    return tmp_path / "landing"


def _failure(source: str, base_url: str, root) -> FetchError:
    """The error the source's fetch raised or reported, whichever it did."""
    if source == "osrs_prices":
        base_url += "/api/v1/osrs"
    client = SourceClient(source, base_url, per_second=0, max_attempts=2, backoff_factor=0.01)
    kwargs: dict = {"root": root, "client": client}
    if source in ("osrs_prices", "binance", "yahoo_finance", "vividseats"):
        kwargs["now"] = NOW
    if source == "vividseats":
        kwargs["config_text"] = EVENTS
    if source == "wow_auctions":
        kwargs["realms"] = []
    try:
        report = get(source).fetch(**kwargs)
    except FetchError as exc:
        return exc
    assert report.failures, f"{source}: the fetch failed silently ({report.skipped})"
    return report.failures[0]


@pytest.mark.parametrize("source", HTTP_SOURCES)
def test_a_503_after_retries_names_the_request(source, configured, monkeypatch) -> None:
    with SimulatorServer(n_items=5, clock=lambda: NOW.timestamp()) as sim:
        sim.outages.append((0, 2**40, 503))
        monkeypatch.setenv("SOURCES__WOW_AUCTIONS__OAUTH_URL", sim.wow_oauth_url)
        error = _failure(source, sim.url, configured)
    text = str(error)
    assert "\n" not in text and text.startswith(f"{source}: GET {sim.url}/"), text
    assert text.endswith(" answered HTTP 503 after retries"), text
    assert (error.source, error.method, error.status, error.outage) == (source, "GET", 503, True)


@pytest.mark.parametrize("source", HTTP_SOURCES)
def test_no_network_names_the_request_and_why(source, configured, monkeypatch) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("SOURCES__WOW_AUCTIONS__OAUTH_URL", f"{url}/oauth/token")
    error = _failure(source, url, configured)
    text = str(error)
    method = "POST" if source == "wow_auctions" else "GET"  # WoW asks for its token first
    assert "\n" not in text and text.startswith(f"{source}: {method} {url}/"), text
    assert text.endswith("got no answer after retries (Connection refused)"), text
    assert error.status is None and error.outage


def test_an_error_shows_no_credentials() -> None:
    url = "https://user:pw@example.invalid/data?namespace=x&access_token=abc&api_key=k&symbol=A"
    assert redact_url(url) == (
        "https://example.invalid/data?namespace=x&access_token=***&api_key=***&symbol=A"
    )
    error = FetchError.answered("wow_auctions", "GET", url, 503)
    assert "abc" not in str(error) and "pw" not in str(error) and "user" not in str(error)
