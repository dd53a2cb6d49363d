"""``/v1/osrs``: Old School RuneScape's Grand Exchange flips (``marts.mart_flips``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from orchestration.api import lookup, paging
from orchestration.api.db import Marts, marts_of
from orchestration.api.respond import respond
from orchestration.api.routes import FormatParam
from orchestration.api.routes.markets import Cursor

router = APIRouter(prefix="/osrs", tags=["osrs"])

FLIPS_LIMIT = 50
FLIPS_MAX = 1000
# mart_flips is the Grand Exchange's alone: every price in it is in coins (dim_markets
# osrs-ge's currency)
CURRENCY = "gp"

FLIP_COLUMNS = (
    "item_id",
    "source_item_id",
    "item_name",
    "buy_price",
    "sell_price",
    "tax",
    "margin",
    "roi_pct",
    "currency",
    "buy_limit",
    "max_profit",
    "volume_1h",
    "volume_24h",
    "hours_since_trade",
    "as_of",
)


@router.get("/flips", summary="Grand Exchange flips after tax, best return first")
def flips(
    request: Request,
    marts: Annotated[Marts, Depends(marts_of)],
    min_roi_pct: Annotated[
        float | None,
        Query(description="Least roi_pct (100 × margin / buy_price), %.", allow_inf_nan=False),
    ] = None,
    min_volume_24h: Annotated[
        int | None, Query(ge=0, description="Least volume_24h (units traded in 24 hours).")
    ] = None,
    limit: Annotated[
        int,
        Query(ge=1, le=FLIPS_MAX, description=f"Rows per page (default 50, max {FLIPS_MAX})."),
    ] = FLIPS_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """Flips from the newest ``/latest`` snapshot (``mart_flips``): buy at the latest
    insta-sell price (``buy_price``), sell at the latest insta-buy price (``sell_price``),
    pay the GE ``tax`` in force on the snapshot's day (2 %, rounded down, none under 50
    gp, at most 5m; some items exempt); ``margin`` = sell_price − tax − buy_price and
    ``roi_pct`` = 100 × margin / buy_price (%); ``max_profit`` = margin × ``buy_limit``
    (the GE's 4-hour limit; null when unknown); ``volume_1h`` / ``volume_24h`` units
    traded in the newest 12 / 288 five-minute buckets; ``hours_since_trade`` from the
    item's later last trade to the snapshot; ``as_of`` the snapshot's capture (UTC).
    Prices in ``currency`` gp (coins). Filters: ``min_roi_pct`` (roi_pct ≥),
    ``min_volume_24h`` (volume_24h ≥). Biggest ``roi_pct`` first (then ``item_id``;
    items without one last). Pages of ``limit`` (default 50) with ``cursor``."""
    after = paging.decode(cursor, "flips", lookup.DESC_TYPES)
    columns = ", ".join(
        f"%(currency)s::text as {c}" if c == "currency" else c for c in FLIP_COLUMNS
    )
    rows = marts.fetch(
        f"""
        select {columns}
        from marts.mart_flips
        where
            (%(min_roi)s::numeric is null or roi_pct >= %(min_roi)s)
            and (%(min_volume)s::numeric is null or volume_24h >= %(min_volume)s)
            and {lookup.desc_after("roi_pct")}
        order by {lookup.desc_order("roi_pct")}
        limit %(limit)s
        """,
        {
            "currency": CURRENCY,
            "min_roi": lookup.exact(min_roi_pct),
            "min_volume": min_volume_24h,
            "limit": limit + 1,
            **lookup.desc_params(after),
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = (
        paging.encode("flips", lookup.desc_key(rows[-1]["roi_pct"], rows[-1]["item_id"]))
        if more
        else None
    )
    as_of = marts.fetch("select max(as_of) as as_of from marts.mart_flips")[0]["as_of"]
    return respond(
        request,
        rows,
        columns=FLIP_COLUMNS,
        fmt=fmt,
        as_of=as_of,
        extra={"currency": CURRENCY},
        next_cursor=next_cursor,
    )
