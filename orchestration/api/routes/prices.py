"""``/v1/prices``: exchange assets' latest price and 24-hour change
(``marts.mart_latest_prices``), for the symbols asked, the unknown ones listed."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from orchestration.api.db import Marts, marts_of
from orchestration.api.problems import bad_parameter
from orchestration.api.respond import newest, respond
from orchestration.api.routes import FormatParam

router = APIRouter(prefix="/prices", tags=["prices"])

MAX_SYMBOLS = 100
# Our symbols (config/tracked_assets.csv): letters, digits and . - _ ^ = / (BRK.B, ^GSPC)
SYMBOL = re.compile(r"^[A-Za-z0-9.\-_^=/]{1,32}$")

COLUMNS = (
    "symbol",
    "asset_name",
    "asset_type",
    "source",
    "market_id",
    "currency",
    "price",
    "change_24h_pct",
    "updated_at",
    "is_tracked",
)

SQL = f"""
select {", ".join(COLUMNS)}
from marts.mart_latest_prices
where upper(symbol) = any(%s)
order by upper(symbol), is_tracked desc, source
"""


class SymbolsBody(BaseModel):
    """The body of ``POST /v1/prices/batch``."""

    symbols: list[str] = Field(
        min_length=1,
        max_length=MAX_SYMBOLS,
        description=f"Symbols (BTC, AAPL), 1 to {MAX_SYMBOLS}, matched ignoring case.",
    )


def _symbols(asked: list[str], parameter: str) -> list[str]:
    """The symbols asked, trimmed, each once, in the order asked; a 400 naming
    ``parameter`` for none, too many, or one that cannot be a symbol."""
    seen: dict[str, str] = {}
    for raw in asked:
        symbol = raw.strip()
        if not symbol:
            continue  # "BTC,,ETH" and a trailing comma ask for nothing more
        if not SYMBOL.match(symbol):
            raise bad_parameter(parameter, f"{symbol[:40]!r} is not a symbol")
        seen.setdefault(symbol.upper(), symbol)
    if not seen:
        raise bad_parameter(parameter, "name at least one symbol")
    if len(seen) > MAX_SYMBOLS:
        raise bad_parameter(parameter, f"at most {MAX_SYMBOLS} symbols")
    return list(seen.values())


def _answer(request: Request, marts: Marts, symbols: list[str], fmt: str) -> Response:
    """The latest prices of ``symbols`` in the order asked, and those not found."""
    rows = marts.fetch(SQL, ([s.upper() for s in symbols],))
    by_symbol: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_symbol.setdefault(row["symbol"].upper(), []).append(row)
    found = [row for s in symbols for row in by_symbol.get(s.upper(), [])]
    unknown = [s for s in symbols if s.upper() not in by_symbol]
    return respond(
        request,
        found,
        columns=COLUMNS,
        fmt=fmt,  # type: ignore[arg-type]
        as_of=newest(found, "updated_at"),
        extra={"unknown": unknown},
        # CSV has no envelope: the unknown symbols ride in a header
        headers={"Snapmart-Unknown-Symbols": ",".join(unknown)} if fmt == "csv" else None,
    )


@router.get("/latest", summary="Latest price and 24 h change of the symbols asked")
def latest(
    request: Request,
    marts: Annotated[Marts, Depends(marts_of)],
    symbols: Annotated[
        list[str],
        Query(
            description=f"Comma-separated symbols (BTC,ETH,AAPL), at most {MAX_SYMBOLS};"
            " the parameter may also repeat (symbols=BTC&symbols=ETH).",
            max_length=4000,
        ),
    ],
    fmt: FormatParam = "json",
) -> Response:
    """For each symbol asked (ignoring case, in the order asked): ``price`` in the quote
    ``currency`` (USDT, USD: the exchange's own decimal, not cents), ``change_24h_pct``
    (%, for stocks the last session over the one before), ``updated_at`` (when the price
    was observed, UTC); ``unknown`` lists the symbols with no price (in CSV: the header
    ``Snapmart-Unknown-Symbols``). ``as_of``: the newest ``updated_at``."""
    asked = [symbol for part in symbols for symbol in part.split(",")]
    return _answer(request, marts, _symbols(asked, "symbols"), fmt)


@router.post("/batch", summary="Latest prices of a list of symbols (JSON body)")
def batch(
    request: Request,
    body: SymbolsBody,
    marts: Annotated[Marts, Depends(marts_of)],
    fmt: FormatParam = "json",
) -> Response:
    """As ``GET /v1/prices/latest``, the symbols in the body: ``{"symbols": ["BTC", …]}``."""
    return _answer(request, marts, _symbols(body.symbols, "symbols"), fmt)
