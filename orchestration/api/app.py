"""``create_app``: the FastAPI application of `snapmart api` (docs/api.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestration.api import auth, pages, paging, problems
from orchestration.api.db import Marts, profile_pool
from orchestration.api.routes import (
    events,
    games,
    health,
    ingest,
    items,
    leaderboards,
    market_signals,
    markets,
    osrs,
    player_gains,
    players,
    prices,
    profiles,
)

PROBLEM = {
    "description": "A problem (RFC 9457), as application/problem+json.",
    "content": {
        problems.MEDIA_TYPE: {
            "example": {
                "type": problems.BAD_PARAMETER,
                "title": "Bad parameter",
                "status": 400,
                "detail": "limit: Input should be greater than or equal to 1",
                "parameter": "limit",
            }
        }
    },
}
RESPONSES: dict[int | str, dict] = {
    304: {"description": "Not modified: If-None-Match named the current ETag."},
    400: PROBLEM,
    404: PROBLEM,
    503: PROBLEM,
}

DESCRIPTION = """
Read-only answers from snapmart's marts, as the `snapmart_analyst` role.

* JSON by default (an envelope: `data`, `as_of`, `next_cursor`); `?format=csv` on every
  list gives `text/csv` with a header row.
* Times are UTC, ISO 8601. Prices are in the unit the `currency` field names (the smallest
  unit for games: gp, copper, kamas; the quote currency for exchanges); `_pct` fields are
  percentages.
* Lists page with `limit` and the opaque `cursor` of `next_cursor` (also a `Link: rel="next"`
  header).
* `ETag` / `Last-Modified` follow the data's as-of time; `If-None-Match` answers 304;
  `Cache-Control: max-age` runs to the next 5-minute tick boundary.
* Errors are `application/problem+json`: a bad parameter is 400 and names it, an unknown
  market 404.
"""


class ListsAndHead:
    """ASGI middleware: binds each request's paging cursors to its list (path and filters,
    ``paging.bind``), and answers ``HEAD`` on every GET route and page as that GET would,
    headers only (RFC 9110 §9.3.2; FastAPI registers GET alone)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection (HTTP requests as above, anything else untouched)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        paging.bind(scope["path"], query)
        if scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def create_app(marts: Marts) -> FastAPI:
    """The API over ``marts`` (a pool, not yet open: the app opens it as it starts and
    closes it as it stops). Routes under ``/v1``; OpenAPI at ``/openapi.json``, its docs
    page at ``/docs``. The per-profile routes read schema ``profiles`` through a pool of
    their own, as a role that reads nothing else (docs/roles.md)."""
    profile_reader = profile_pool(marts.info)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        marts.open()
        profile_reader.open(wait=False)
        try:
            yield
        finally:
            profile_reader.close()
            marts.close()

    app = FastAPI(
        title="snapmart API",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
        # no OpenTelemetry: nothing about requests leaves the process
        telemetry={
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        },
    )
    app.state.marts = marts
    app.state.profiles = profile_reader
    problems.install(app)
    auth.install(app, auth.IngestSettings.from_config())  # bearer tokens: ingest, profiles
    for router in (
        health.router,
        markets.router,
        market_signals.router,
        items.router,
        osrs.router,
        prices.router,
        events.router,
        games.router,
        players.router,
        player_gains.router,
        leaderboards.router,
        ingest.router,
        profiles.router,
    ):
        app.include_router(router, prefix="/v1", responses=RESPONSES)
    app.include_router(pages.router)  # HTML for people: /, /markets/…, /items/…, …
    app.add_middleware(ListsAndHead)
    app.openapi = _without_422(app.openapi)  # type: ignore[method-assign]
    return app


def _without_422(build: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """FastAPI's OpenAPI document without the 422 it declares on every route with
    parameters: a bad parameter here is a 400 problem (``problems.install``), which
    ``RESPONSES`` declares; a generated client should not expect a 422."""

    def openapi() -> dict[str, Any]:
        schema = build()  # FastAPI's own, cached on the app after the first call
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if "HTTPValidationError" in str(responses.get("422", "")):
                    del responses["422"]  # a route's own 422 (ingest: an invalid batch) stays
        return schema

    return openapi
