"""Serve the simulated APIs over HTTP on loopback, under the real APIs' paths.

Point a source at it with ``SOURCES__OSRS_PRICES__BASE_URL=http://127.0.0.1:PORT/api/v1/osrs``.
Faults can be queued (``faults=[(429, {"Retry-After": "1"}), (503, {})]`` or
``POST /_sim/faults``) so retry paths are exercised against a real socket.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ingestion.simulator.exchanges import Exchanges
from ingestion.simulator.hiscores import Hiscores, to_legacy_csv
from ingestion.simulator.osrs_ge import STEP, GEMarket
from ingestion.simulator.tickets import Tickets
from ingestion.simulator.wow import WowMarket

OSRS_PREFIX = "/api/v1/osrs/"
HISCORE_BOARDS = {  # path suffix of each account type's hiscores
    "regular": "",
    "ironman": "_ironman",
    "hardcore": "_hardcore_ironman",
    "ultimate": "_ultimate",
}
BOARD_SHOWS = {  # which account types each board lists
    "regular": {"regular", "ironman", "hardcore", "ultimate"},
    "ironman": {"ironman", "hardcore", "ultimate"},
    "hardcore": {"hardcore"},
    "ultimate": {"ultimate"},
}
TICKETS_PREFIX = "/hermes/api/v1/"
WOW_CLIENT = ("sim-client", "sim-secret")  # what the simulated OAuth server accepts
WOW_TOKEN = "sim-token-0123456789"


class SimulatorServer:
    """Every simulated API behind one loopback HTTP server; ``start()`` or ``with`` runs it on
    a thread.

    Answers follow ``clock`` (epoch seconds). Beyond the data, it can fail on purpose:
    ``faults`` answered in order before anything else, ``outages`` (start, end, status) on
    the clock, ``path_outages`` (path → status: one endpoint down), Binance's per-minute
    limit (429 with Retry-After), production ids behind bot protection (403 with an HTML
    page), and WoW requests without the token (401). The WoW OAuth endpoint accepts the
    client ``wow_client`` (id, secret) and hands out ``wow_token``: a test can plant secrets
    of its own. ``requests`` records every path asked for. ``osrs_history`` (seconds)
    limits the past OSRS buckets served to those of the last ``osrs_history`` seconds
    counted back from the newest one. Only loopback hosts are accepted (ValueError).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 42,
        n_items: int = 300,
        faults: list[tuple[int, dict[str, str]]] | None = None,
        clock: Any = time.time,
        n_assets: int = 1_000,
        binance_per_minute: int | None = None,
        n_events: int = 12,
        n_listings: int = 160,
        blocked_productions: tuple[int, ...] = (),
        tickets_anchor: datetime | None = None,
        quirks: bool = False,
        wow_client: tuple[str, str] = WOW_CLIENT,
        wow_token: str = WOW_TOKEN,
        osrs_history: int | None = None,
    ) -> None:
        if not host.startswith("127.") and host not in ("localhost", "::1"):
            raise ValueError("the simulator only listens on loopback")
        self.market = GEMarket(seed=seed, n_items=n_items)
        self.wow = WowMarket(seed=seed)
        day = int(clock()) // 86_400 * 86_400  # the hiscores story is anchored on the clock's day
        self.hiscores = Hiscores(seed=seed, anchor=datetime.fromtimestamp(day, UTC))
        self.exchanges = Exchanges(
            seed=seed, n_assets=n_assets, quirks=quirks, anchor_day=day // 86_400
        )
        # events are placed around the clock's day unless told otherwise
        self.tickets = Tickets(
            seed=seed,
            n_events=n_events,
            n_listings=n_listings,
            anchor=tickets_anchor or datetime.fromtimestamp(day, UTC),
            quirks=quirks,
        )
        # the OAuth client (id, secret) the token endpoint accepts, and the token it hands out
        self.wow_client, self.wow_token = wow_client, wow_token
        self.blocked_productions = set(blocked_productions)  # answer these with a 403
        self.binance_per_minute = binance_per_minute  # answer 429 past this many a minute
        self._binance_minute: tuple[int, int] = (0, 0)
        self.faults: deque[tuple[int, dict[str, str]]] = deque(faults or [])
        # (start, end, status): every request while the clock is in [start, end) fails so
        self.outages: list[tuple[float, float, int]] = []
        # path (query aside) → status: one endpoint down while the others answer
        self.path_outages: dict[str, int] = {}
        # seconds of past 5m/1h buckets served back from the newest one (None: all); an
        # older ``?timestamp=`` is a 404, as an API with a limited memory would answer
        self.osrs_history = osrs_history
        self.clock = clock
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's base URL, ``http://<host>:<port>`` (the port bound, when 0 was asked)."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def osrs_base_url(self) -> str:
        """The base URL of the OSRS prices API (``…/api/v1/osrs``), for
        ``SOURCES__OSRS_PRICES__BASE_URL``."""
        return self.url + OSRS_PREFIX.rstrip("/")

    @property
    def wow_oauth_url(self) -> str:
        """The simulated Battle.net OAuth token endpoint (client credentials ``wow_client``)."""
        return self.url + "/oauth/token"

    def start(self) -> SimulatorServer:
        """Serve on a daemon thread; returns the server, so ``SimulatorServer().start()`` chains."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- routes

    def respond(
        self, path: str, query: dict[str, list[str]], headers: Any = None
    ) -> tuple[int, dict[str, str], Any]:
        """The answer to one GET: (status, headers, body), the body a JSON-able value, bytes or
        None. A queued fault or an outage answers first; else the path picks the API (WoW,
        hiscores, Binance, Vivid Seats, Yahoo chart, OSRS prices), and anything else is a 404.
        Every request is recorded in ``requests``."""
        headers = headers or {}
        with self._lock:
            self.requests.append(
                path + ("?" + "&".join(f"{k}={v[0]}" for k, v in query.items()) if query else "")
            )
            if self.faults:
                status, headers = self.faults.popleft()
                return status, headers, {"error": f"simulated {status}"}
        if path in self.path_outages:
            status = self.path_outages[path]
            return status, {}, {"error": f"simulated outage of {path} ({status})"}
        now = int(self.clock())
        for start, end, status in self.outages:
            if start <= now < end:
                return status, {}, {"error": f"simulated outage ({status})"}
        if path.startswith("/data/wow/"):
            return self._wow(path, query, headers, now)
        if path.startswith("/m=hiscore_oldschool"):
            return self._hiscores(path, query, now)
        if path.startswith("/api/v3/"):
            return self._binance(path, query, now)
        if path.startswith(TICKETS_PREFIX):
            return self._tickets(path[len(TICKETS_PREFIX) :], query, now)
        if path.startswith("/v8/finance/chart/"):
            symbol = path.removeprefix("/v8/finance/chart/").strip("/")
            try:
                period1 = int(query.get("period1", ["0"])[0])
                period2 = int(query.get("period2", [str(now)])[0])
            except ValueError:
                why = {"code": "Bad Request", "description": "period1, period2: epoch seconds"}
                return 400, {}, {"chart": {"result": None, "error": why}}
            status, body = self.exchanges.chart(symbol, period1, period2, now)
            return status, {}, body
        if not path.startswith(OSRS_PREFIX):
            return 404, {}, {"error": "not found"}
        endpoint = path[len(OSRS_PREFIX) :]
        if endpoint == "mapping":
            return 200, {}, self.market.mapping()
        if endpoint == "latest":
            return 200, {}, self.market.latest(now)
        if endpoint in ("5m", "1h"):
            width = STEP if endpoint == "5m" else 3600
            newest = now - now % width - width  # the newest complete bucket
            if "timestamp" in query:
                try:
                    ts = int(query["timestamp"][0])
                except ValueError:
                    return 400, {}, {"error": "timestamp must be an integer"}
            else:
                ts = newest
            if ts % width:
                return 400, {}, {"error": f"timestamp must be a multiple of {width}"}
            if self.osrs_history is not None:
                oldest = newest - self.osrs_history // width * width + width
                if ts < oldest:
                    return 404, {}, {"error": "no data that old"}
            return 200, {}, self.market.bucket(endpoint, ts)
        return 404, {}, {"error": "not found"}

    def _binance(self, path: str, query: dict, now: int) -> tuple[int, dict, Any]:
        if self.binance_per_minute is not None:
            with self._lock:
                minute, used = self._binance_minute
                used = used + 1 if minute == now // 60 else 1
                self._binance_minute = (now // 60, used)
            if used > self.binance_per_minute:
                wait = str(60 - now % 60)
                return 429, {"Retry-After": wait}, {"code": -1003, "msg": "Too many requests."}
        if path == "/api/v3/klines":
            interval = query.get("interval", [""])[0]
            if interval not in ("1m", "1d"):
                return 400, {}, {"code": -1120, "msg": "Invalid interval."}
            try:
                start = int(query.get("startTime", ["0"])[0])
                end = int(query["endTime"][0]) if "endTime" in query else None
                limit = min(int(query.get("limit", ["500"])[0]), 1000)
            except ValueError:
                return 400, {}, {"code": -1100, "msg": "Illegal characters found in parameter."}
            symbol = query.get("symbol", [""])[0]
            rows = self.exchanges.klines(symbol, interval, start, end, limit, now)
            if rows is None:
                return 400, {}, {"code": -1121, "msg": "Invalid symbol."}
            return 200, {}, rows
        if path == "/api/v3/ticker/24hr":
            try:
                symbols = json.loads(query["symbols"][0]) if "symbols" in query else None
            except ValueError:
                return 400, {}, {"code": -1100, "msg": "Illegal characters found in parameter."}
            if symbols is None:
                symbols = query.get("symbol", [])
            tickers = self.exchanges.ticker_24hr(list(symbols), now)
            if tickers is None:
                return 400, {}, {"code": -1121, "msg": "Invalid symbol."}
            return 200, {}, tickers
        return 404, {}, {"code": -1, "msg": "not found"}

    def _tickets(self, path: str, query: dict, now: int) -> tuple[int, dict, Any]:
        at = datetime.fromtimestamp(now, UTC)
        if path == "productions":
            return 200, {}, self.tickets.search(query.get("performerName", [""])[0], at)
        if path.startswith("productions/"):
            raw_id = path.removeprefix("productions/").strip("/")
            kind = "production"
        elif path == "listings":
            raw_id = query.get("productionId", [""])[0]
            kind = "listings"
        else:
            return 404, {}, {"message": "Not Found"}
        if not raw_id.isdigit():
            return 400, {}, {"message": "productionId must be a number"}
        if int(raw_id) in self.blocked_productions:  # bot protection: an HTML wall
            return 403, {}, b"<html><body>Access denied</body></html>"
        if kind == "production":
            body = self.tickets.production(int(raw_id), at)
        else:
            body = self.tickets.listings(int(raw_id), at)
        return (404, {}, {"message": "Not Found"}) if body is None else (200, {}, body)

    def _hiscores(self, path: str, query: dict, now: int) -> tuple[int, dict, Any]:
        board_part, _, page = path.strip("/").partition("/")
        suffix = board_part.removeprefix("m=hiscore_oldschool")
        board = next((b for b, sfx in HISCORE_BOARDS.items() if sfx == suffix), None)
        if board is None or page not in ("index_lite.json", "index_lite.ws"):
            return 404, {}, b"Page not found"
        name = query.get("player", [""])[0]
        player = self.hiscores.player(name)
        payload = self.hiscores.lookup(name, datetime.fromtimestamp(now, UTC))
        if payload is None or player is None or player.account_type not in BOARD_SHOWS[board]:
            return 404, {}, b"Page not found"
        if page == "index_lite.ws":
            return 200, {}, to_legacy_csv(payload).encode()
        return 200, {}, payload

    def _wow(self, path: str, query: dict, headers: Any, now: int) -> tuple[int, dict, Any]:
        if headers.get("Authorization") != f"Bearer {self.wow_token}":
            return 401, {}, {"code": 401, "type": "BLZWEBAPI00000401", "detail": "Unauthorized"}
        region = query.get("namespace", ["dynamic-us"])[0].removeprefix("dynamic-")
        modified = self.wow.last_modified(now)
        if modified > now:  # this hour's snapshot is not out yet: serve the previous one
            modified = self.wow.last_modified(now - 3600)
        stamp = formatdate(modified, usegmt=True)
        since = headers.get("If-Modified-Since")
        if since and parsedate_to_datetime(since).timestamp() >= modified:
            return 304, {"Last-Modified": stamp}, None
        parts = path.strip("/").split("/")
        if parts[2:] == ["auctions", "commodities"]:
            return 200, {"Last-Modified": stamp}, self.wow.commodities_snapshot(region, modified)
        if len(parts) == 5 and parts[2] == "connected-realm" and parts[4] == "auctions":
            try:
                realm = int(parts[3])
            except ValueError:
                return 404, {}, {"error": "not found"}
            return 200, {"Last-Modified": stamp}, self.wow.realm_snapshot(realm, modified)
        return 404, {}, {"error": "not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                status, headers, payload = sim.respond(
                    parts.path, parse_qs(parts.query), self.headers
                )
                self._send(status, headers, payload)

            def _send(self, status: int, headers: dict, payload: Any) -> None:
                if isinstance(payload, bytes):  # text answers (CSV, "Page not found")
                    body, kind = payload, "text/plain"
                else:
                    body = (
                        b""
                        if payload is None
                        else json.dumps(payload, separators=(",", ":")).encode()
                    )
                    kind = "application/json"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                if self.path == "/oauth/token":
                    self.rfile.read(length)
                    client = ":".join(sim.wow_client).encode()
                    expected = "Basic " + base64.b64encode(client).decode()
                    with sim._lock:
                        sim.requests.append("POST /oauth/token")
                    if self.headers.get("Authorization") != expected:
                        self._send(401, {}, {"error": "invalid_client"})
                    else:
                        token = {
                            "access_token": sim.wow_token,
                            "token_type": "bearer",
                            "expires_in": 86399,
                        }
                        self._send(200, {}, token)
                    return
                if self.path != "/_sim/faults":
                    self.send_error(404)
                    return
                faults = json.loads(self.rfile.read(length) or b"[]")
                with sim._lock:
                    sim.faults.extend(
                        (int(f["status"]), dict(f.get("headers", {}))) for f in faults
                    )
                self.send_response(204)
                self.end_headers()

            def log_message(self, fmt: str, *args: Any) -> None:
                pass

        return Handler
