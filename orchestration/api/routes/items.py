"""``/v1/items``: find items by name (``marts.dim_items``), an item's latest state in each
market it trades in (``marts.mart_item_trends``), and its price history (OHLCV from the
``fct_prices_*`` tier that fits the range, as ``mart_asset_history`` picks it)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from orchestration.api import lookup, paging
from orchestration.api.db import Marts, marts_of
from orchestration.api.respond import newest, respond
from orchestration.api.routes import FormatParam
from orchestration.api.routes.market_signals import TREND_FIELDS
from orchestration.api.routes.markets import Cursor, market_row

router = APIRouter(prefix="/items", tags=["items"])

ITEMS_LIMIT = 50
ITEMS_MAX = 1000
HISTORY_RANGE = "1m"

ITEM_COLUMNS = ("item_id", "item_name", "source", "source_item_id", "category", "is_tracked")
ITEM_TREND_COLUMNS = ("market_id", "market_name", *TREND_FIELDS)
HISTORY_COLUMNS = (
    "market_id",
    "currency",
    "bucket_start",
    "open",
    "high",
    "low",
    "close",
    "volume",
)
# mart_asset_history's rule (dbt_project/models/marts/exchanges/mart_asset_history.sql):
# range → (tier, its table, span back from the item's newest candle in that tier; None:
# all of it). The table name comes from here, never from the client.
RANGES: dict[str, tuple[str, str, str | None]] = {
    "1d": ("hour", "fct_prices_hourly", "1 day"),
    "7d": ("day", "fct_prices_daily", "7 days"),
    "1m": ("day", "fct_prices_daily", "1 month"),
    "3m": ("day", "fct_prices_daily", "3 months"),
    "6m": ("day", "fct_prices_daily", "6 months"),
    "1y": ("day", "fct_prices_daily", "1 year"),
    "3y": ("week", "fct_prices_weekly", "3 years"),
    "5y": ("week", "fct_prices_weekly", "5 years"),
    "10y": ("month", "fct_prices_monthly", "10 years"),
    "all": ("month", "fct_prices_monthly", None),
}
Range = Literal["1d", "7d", "1m", "3m", "6m", "1y", "3y", "5y", "10y", "all"]
MarketFilter = Annotated[
    str | None,
    Query(
        description="dim_markets.market_id, e.g. osrs-ge (default: every market).",
        max_length=200,
    ),
    lookup.NoNul,
]


@router.get("", summary="Find items by name")
def items(
    request: Request,
    marts: Annotated[Marts, Depends(marts_of)],
    q: Annotated[
        str | None,
        Query(
            description="Part of the name, any case (`dragon` finds Dragon bones); empty or "
            "left out: every item.",
            max_length=200,
        ),
        lookup.NoNul,
    ] = None,
    market_id: MarketFilter = None,
    limit: Annotated[
        int,
        Query(ge=1, le=ITEMS_MAX, description=f"Rows per page (default 50, max {ITEMS_MAX})."),
    ] = ITEMS_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """Items of ``dim_items`` whose ``item_name`` holds ``q`` (case-insensitive
    substring), by ``item_name`` then ``item_id``: ``item_id`` (``<source>:<id>``, what
    the other item routes take), ``item_name``, ``source``, ``source_item_id``,
    ``category``, ``is_tracked`` (the source still fetches it). ``market_id`` keeps the
    items with prices in that market (any month of ``fct_prices_monthly``); 404 for an
    unknown market. dim_items has no time: no ``Last-Modified``. Pages of ``limit``
    (default 50) with ``cursor``."""
    if market_id is not None:
        market_row(marts, market_id)
    needle = (q or "").strip() or None
    kind = f"items:{needle or ''}:{market_id or ''}"
    after = paging.decode(cursor, kind, (str, str))
    rows = marts.fetch(
        f"""
        select {", ".join(ITEM_COLUMNS)}
        from marts.dim_items as i
        where
            (%(q)s::text is null or strpos(lower(i.item_name), lower(%(q)s::text)) > 0)
            and (
                %(market)s::text is null
                or exists (
                    select 1 from marts.fct_prices_monthly as p
                    where p.market_id = %(market)s::text and p.item_id = i.item_id
                )
            )
            and (
                %(after_id)s::text is null
                or (i.item_name, i.item_id) > (%(after_name)s::text, %(after_id)s::text)
            )
        order by i.item_name, i.item_id
        limit %(limit)s
        """,
        {
            "q": needle,
            "market": market_id,
            "after_name": after[0] if after else None,
            "after_id": after[1] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = (
        paging.encode(kind, [rows[-1]["item_name"], rows[-1]["item_id"]]) if more else None
    )
    return respond(
        request,
        rows,
        columns=ITEM_COLUMNS,
        fmt=fmt,
        extra={"q": needle, "market_id": market_id},
        next_cursor=next_cursor,
    )


@router.get("/{item_id}", summary="An item and its latest state in each market")
def item(
    request: Request,
    item_id: lookup.ItemId,
    marts: Annotated[Marts, Depends(marts_of)],
    fmt: FormatParam = "json",
) -> Response:
    """The item (``dim_items``: the envelope's ``item`` member — ``item_name``,
    ``source``, ``source_item_id``, ``category``, ``is_tracked``, ``attributes``, the
    source's own facts such as OSRS ``buy_limit``) and one row per market it has a
    ``mart_item_trends`` row in (observed in the last ``trend_lookback_days``), by
    ``market_id``: ``price`` (latest, in the market's ``currency``), ``change_1d_pct`` /
    ``7d`` / ``30d`` (%), ``ma_7d`` / ``ma_30d`` (mean daily close over the 7 / 30 UTC
    days to ``as_of``'s day), ``ema_7d``, ``volatility_30d`` (%), ``zscore_30d``,
    ``trend_state``, ``market_value`` (listing-snapshot sources such as WoW; null
    elsewhere), ``days_observed_30d``, the next day's ``forecast_price_1d`` and its ~95 %
    band ``forecast_low_1d`` … ``forecast_high_1d`` (null with fewer than 5 day-over-day
    changes), ``as_of`` (the item's latest observation there, UTC). 404 for an unknown
    item; a known item not traded lately has no rows. Not paged (a row per market). In
    CSV the ``item`` member is left out."""
    found = lookup.item(marts, item_id)
    fields = ", ".join(f"t.{c}" for c in TREND_FIELDS if c != "currency")
    rows = marts.fetch(
        f"""
        select t.market_id, m.market_name, m.currency, {fields}
        from marts.mart_item_trends as t
        left join marts.dim_markets as m on m.market_id = t.market_id
        where t.item_id = %s
        order by t.market_id
        """,
        (item_id,),
    )
    return respond(
        request,
        rows,
        columns=ITEM_TREND_COLUMNS,
        fmt=fmt,
        as_of=newest(rows, "as_of"),
        extra={"item_id": item_id, "item": found},
    )


@router.get("/{item_id}/history", summary="An item's OHLCV candles over a range")
def history(
    request: Request,
    item_id: lookup.ItemId,
    marts: Annotated[Marts, Depends(marts_of)],
    market_id: MarketFilter = None,
    range_: Annotated[
        Range,
        Query(
            alias="range",
            description="1d (hourly candles), 7d, 1m, 3m, 6m, 1y (daily), 3y, 5y (weekly), "
            "10y, all (monthly). Default 1m.",
        ),
    ] = HISTORY_RANGE,
    fmt: FormatParam = "json",
) -> Response:
    """The item's candles over ``range``, each range from the tier that fits it, as
    ``mart_asset_history`` picks it: ``1d`` → hourly (``fct_prices_hourly``); ``7d``,
    ``1m``, ``3m``, ``6m``, ``1y`` → daily (``fct_prices_daily``); ``3y``, ``5y`` →
    weekly (``fct_prices_weekly``, weeks from Monday); ``10y``, ``all`` → monthly
    (``fct_prices_monthly``). A range ends at the item's newest candle of that tier in
    that market and reaches back its span (``bucket_start`` > newest − span; ``all``:
    everything the tier keeps). One row per market × candle, by ``market_id`` then
    ``bucket_start`` (UTC): ``open``, ``high``, ``low``, ``close`` in the market's
    ``currency``, ``volume`` (units traded; null where the source has none). The
    envelope names the ``range`` and its ``tier`` (hour, day, week, month). ``market_id``
    keeps one market (default every market the item trades in). ``as_of``: the newest
    observation in the candles. 404 for an unknown item or market. Not paged (a range is
    at most a few hundred candles per market)."""
    lookup.item(marts, item_id)
    if market_id is not None:
        market_row(marts, market_id)
    tier, table, span = RANGES[range_]
    rows = marts.fetch(
        f"""
        with newest as (
            select market_id, max(bucket_start) as last_bucket
            from marts.{table}
            where item_id = %(item)s and (%(market)s::text is null or market_id = %(market)s)
            group by market_id
        )
        select
            c.market_id, m.currency, c.bucket_start, c.open, c.high, c.low, c.close,
            c.volume, c.last_observed_at
        from newest as n
        inner join marts.{table} as c
            on c.market_id = n.market_id and c.item_id = %(item)s
        left join marts.dim_markets as m on m.market_id = c.market_id
        where %(span)s::interval is null or c.bucket_start > n.last_bucket - %(span)s::interval
        order by c.market_id, c.bucket_start
        """,
        {"item": item_id, "market": market_id, "span": span},
    )
    extra = {"item_id": item_id, "market_id": market_id, "range": range_, "tier": tier}
    return respond(
        request,
        rows,
        columns=HISTORY_COLUMNS,
        fmt=fmt,
        as_of=newest(rows, "last_observed_at"),
        extra=extra,
    )
