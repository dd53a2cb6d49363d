"""``/v1/markets``: the venues (``marts.dim_markets``), a market's daily price index
(``marts.mart_market_index``) and its movers (``marts.mart_movers``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from orchestration.api import paging
from orchestration.api.db import Marts, marts_of
from orchestration.api.problems import not_found
from orchestration.api.respond import respond
from orchestration.api.routes import FormatParam

router = APIRouter(prefix="/markets", tags=["markets"])

MARKETS_LIMIT = 100
MARKETS_MAX = 1000
MOVERS_LIMIT = 20
MOVERS_MAX = 500
INDEX_DAYS = 30
INDEX_MAX_DAYS = 3660  # ten years and their leap days

MARKET_COLUMNS = (
    "market_id",
    "source",
    "market_name",
    "region",
    "market_kind",
    "currency",
    "supply_market_id",
)
INDEX_COLUMNS = ("day", "index_value", "change_pct", "items")
MOVER_COLUMNS = (
    "rank",
    "item_id",
    "item_name",
    "change_pct",
    "price",
    "currency",
    "rank_gain",
    "rank_loss",
    "rank_abs",
    "as_of",
)
# the rank column each sort reads: never the client's text in the SQL
SORT_RANKS = {"gain": "rank_gain", "loss": "rank_loss", "abs": "rank_abs"}

MarketId = Annotated[str, Path(description="dim_markets.market_id, e.g. osrs-ge.", max_length=200)]
Cursor = Annotated[
    str | None,
    Query(description="next_cursor of the page before (opaque).", max_length=1000),
]


def market_row(marts: Marts, market_id: str) -> dict:
    """The market's dim_markets row; a 404 Problem when there is none."""
    rows = marts.fetch(
        "select market_id, currency from marts.dim_markets where market_id = %s", (market_id,)
    )
    if not rows:
        raise not_found(f"market {market_id!r}")
    return rows[0]


@router.get("", summary="Markets (venues prices are observed in)")
def markets(
    request: Request,
    marts: Annotated[Marts, Depends(marts_of)],
    limit: Annotated[
        int,
        Query(ge=1, le=MARKETS_MAX, description=f"Rows per page (max {MARKETS_MAX})."),
    ] = MARKETS_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """Every market of ``dim_markets`` by ``market_id``: its source, name, region, kind
    (game, crypto, stock, tickets), ``currency`` (the unit of every price in it: gp,
    copper, kamas, USDT, USD…) and ``supply_market_id`` (where items it does not list are
    bought). Pages of ``limit`` (default 100) with ``cursor``. dim_markets has no time of
    its own: no ``Last-Modified``, the ETag follows the content."""
    after = paging.decode(cursor, "markets", (str,))
    rows = marts.fetch(
        f"""
        select {", ".join(MARKET_COLUMNS)}
        from marts.dim_markets
        where %(after)s::text is null or market_id > %(after)s::text
        order by market_id
        limit %(limit)s
        """,
        {"after": after[0] if after else None, "limit": limit + 1},
    )
    rows, more = paging.page(rows, limit)
    next_cursor = paging.encode("markets", [rows[-1]["market_id"]]) if more else None
    return respond(request, rows, columns=MARKET_COLUMNS, fmt=fmt, next_cursor=next_cursor)


@router.get("/{market_id}/index", summary="A market's daily price index")
def market_index(
    request: Request,
    market_id: MarketId,
    marts: Annotated[Marts, Depends(marts_of)],
    days: Annotated[
        int,
        Query(
            ge=1,
            le=INDEX_MAX_DAYS,
            description="UTC days ending at the market's newest index day (default 30).",
        ),
    ] = INDEX_DAYS,
    fmt: FormatParam = "json",
) -> Response:
    """The market's index (``mart_market_index``), one row per UTC ``day`` of the ``days``
    ending at its newest day, oldest first: ``index_value`` (points, 100 on the market's
    first day), ``change_pct`` (the day's volume-weighted mean item change, %; null when no
    item had two consecutive closes) and ``items`` (items that contributed). ``as_of``:
    the market's newest observation (``mart_item_trends.as_of``). 404 for an unknown
    market."""
    market = market_row(marts, market_id)
    rows = marts.fetch(
        """
        select day, index_value, change_pct, items
        from marts.mart_market_index
        where
            market_id = %(market)s
            and day > (
                select max(day) from marts.mart_market_index where market_id = %(market)s
            ) - %(days)s::int
        order by day
        """,
        {"market": market_id, "days": days},
    )
    as_of = marts.fetch(
        "select max(as_of) as as_of from marts.mart_item_trends where market_id = %s",
        (market_id,),
    )[0]["as_of"]
    extra = {"market_id": market_id, "currency": market["currency"], "days": days}
    return respond(request, rows, columns=INDEX_COLUMNS, fmt=fmt, as_of=as_of, extra=extra)


@router.get("/{market_id}/movers", summary="A market's biggest movers over a window")
def movers(
    request: Request,
    market_id: MarketId,
    marts: Annotated[Marts, Depends(marts_of)],
    window: Annotated[
        Literal["1d", "7d", "30d"], Query(description="Change window: 1d, 7d or 30d.")
    ] = "1d",
    sort: Annotated[
        Literal["gain", "loss", "abs"],
        Query(description="gain: biggest rise first; loss: biggest fall first; abs: either."),
    ] = "gain",
    limit: Annotated[
        int, Query(ge=1, le=MOVERS_MAX, description=f"Rows per page (max {MOVERS_MAX}).")
    ] = MOVERS_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """Items of the market ranked by their change over ``window`` (``mart_movers``), in
    the order ``sort`` asks; ``rank`` is that order's rank (ties share one), the three
    ranks follow. ``change_pct`` in %, ``price`` the latest price in the market's
    ``currency``, ``as_of`` the item's latest observation. Pages of ``limit`` (default 20)
    with ``cursor``; 404 for an unknown market."""
    market = market_row(marts, market_id)
    rank = SORT_RANKS[sort]
    after = paging.decode(cursor, f"movers:{window}:{sort}", (int, str))
    rows = marts.fetch(
        f"""
        select
            mv.{rank} as rank, mv.item_id, i.item_name, mv.change_pct, mv.price,
            %(currency)s::text as currency, mv.rank_gain, mv.rank_loss, mv.rank_abs, mv.as_of
        from marts.mart_movers as mv
        left join marts.dim_items as i on i.item_id = mv.item_id
        where
            mv.market_id = %(market)s
            and mv."window" = %(window)s
            and (%(rank)s::bigint is null or (mv.{rank}, mv.item_id) > (%(rank)s, %(item)s))
        order by mv.{rank}, mv.item_id
        limit %(limit)s
        """,
        {
            "market": market_id,
            "window": window,
            "currency": market["currency"],
            "rank": after[0] if after else None,
            "item": after[1] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = (
        paging.encode(f"movers:{window}:{sort}", [rows[-1]["rank"], rows[-1]["item_id"]])
        if more
        else None
    )
    as_of = marts.fetch(
        """select max(as_of) as as_of from marts.mart_movers
        where market_id = %s and "window" = %s""",
        (market_id, window),
    )[0]["as_of"]
    extra = {"market_id": market_id, "window": window, "sort": sort}
    return respond(
        request,
        rows,
        columns=MOVER_COLUMNS,
        fmt=fmt,
        as_of=as_of,
        extra=extra,
        next_cursor=next_cursor,
    )
