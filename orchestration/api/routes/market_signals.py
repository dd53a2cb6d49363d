"""``/v1/markets/{market_id}/…``: what a market's items signal, each from its mart —
volatility (``mart_volatility_rankings``), buy or sell opportunities after fees
(``mart_buy_opportunities`` / ``mart_sell_opportunities``), the screener
(``mart_market_scanner``), trend states (``mart_item_trends``) and the week's cheap and
dear hours (``mart_seasonality``). The market itself, its index and movers are in
``markets``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from orchestration.api import lookup, paging
from orchestration.api.db import Marts, marts_of
from orchestration.api.respond import respond
from orchestration.api.routes import FormatParam
from orchestration.api.routes.markets import Cursor, MarketId, market_row

router = APIRouter(prefix="/markets", tags=["markets"])

LIST_LIMIT = 50
LIST_MAX = 1000
SLOTS_LIMIT = 168  # one item's week: 7 days × 24 hours
SLOTS_MAX = 5000

VOLATILITY_COLUMNS = tuple(
    ["rank", "item_id", "item_name", "volatility_30d", "price", "currency", "as_of"]
)
# the opportunity tables share every column but the one saying how far from the mean
SIDES = {
    "buy": ("mart_buy_opportunities", "discount_pct"),
    "sell": ("mart_sell_opportunities", "premium_pct"),
}
OPPORTUNITY_COLUMNS = tuple(
    [
        "item_id",
        "item_name",
        "price",
        "reference_price",
        "{pct}",
        "expected_profit",
        "fees",
        "currency",
        "confidence",
        "volatility_30d",
        "trend_state",
        "as_of",
    ]
)
SCANNER_COLUMNS = tuple(
    [
        "item_id",
        "item_name",
        "category",
        "price",
        "currency",
        "ma_7d",
        "ma_30d",
        "change_1d_pct",
        "change_7d_pct",
        "change_30d_pct",
        "volatility_30d",
        "zscore_30d",
        "trend_state",
        "market_value",
        "buy_discount_pct",
        "buy_expected_profit",
        "buy_margin_pct",
        "sell_premium_pct",
        "sell_expected_profit",
        "confidence",
        "volume_24h",
        "days_observed_30d",
        "as_of",
        "hours_since_observed",
    ]
)
# mart_item_trends' columns after the item (also /v1/items/{item_id}'s, after the market)
TREND_FIELDS = tuple(
    [
        "trend_state",
        "price",
        "currency",
        "change_1d_pct",
        "change_7d_pct",
        "change_30d_pct",
        "ma_7d",
        "ma_30d",
        "ema_7d",
        "volatility_30d",
        "zscore_30d",
        "market_value",
        "days_observed_30d",
        "forecast_price_1d",
        "forecast_low_1d",
        "forecast_high_1d",
        "as_of",
    ]
)
TREND_COLUMNS = ("item_id", "item_name", *TREND_FIELDS)
SEASONALITY_COLUMNS = tuple(
    [
        "item_id",
        "dow",
        "day_name",
        "hour_of_day",
        "price_index",
        "slot_price",
        "average_price",
        "currency",
        "hours_observed",
        "slots_observed",
    ]
)
TrendState = Literal["spiking", "increasing", "stable", "decreasing", "crashing", "out_of_stock"]


def _limit(default: int, most: int) -> object:
    return Query(ge=1, le=most, description=f"Rows per page (default {default}, max {most}).")


def _number(description: str, ge: float | None = None) -> object:
    return Query(description=description, ge=ge, allow_inf_nan=False)


def _as_of(marts: Marts, table: str, market_id: str) -> datetime | None:
    """The newest ``as_of`` of ``marts.<table>`` (a constant, never the client's) in the
    market."""
    return marts.fetch(
        f"select max(as_of) as as_of from marts.{table} where market_id = %s", (market_id,)
    )[0]["as_of"]


@router.get("/{market_id}/volatility", summary="A market's items by 30-day volatility")
def volatility(
    request: Request,
    market_id: MarketId,
    marts: Annotated[Marts, Depends(marts_of)],
    limit: Annotated[int, _limit(LIST_LIMIT, LIST_MAX)] = LIST_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """The market's items ranked by ``volatility_30d`` (``mart_volatility_rankings``),
    most volatile first: ``rank`` (1 = most volatile; ties share one, ordered by
    ``item_id``), ``volatility_30d`` (the sample standard deviation of the day-over-day %
    changes of the last 30 daily closes, in percentage points), ``price`` (latest, in the
    market's ``currency``), ``as_of`` (the item's latest observation, UTC). Items with
    fewer than two day-over-day changes have no volatility and are not listed. Pages of
    ``limit`` (default 50) with ``cursor``; 404 for an unknown market."""
    market = market_row(marts, market_id)
    after = paging.decode(cursor, "volatility", (int, str))
    rows = marts.fetch(
        """
        select
            v.rank, v.item_id, i.item_name, v.volatility_30d, v.price,
            %(currency)s::text as currency, v.as_of
        from marts.mart_volatility_rankings as v
        left join marts.dim_items as i on i.item_id = v.item_id
        where
            v.market_id = %(market)s
            and (%(rank)s::bigint is null or (v.rank, v.item_id) > (%(rank)s, %(item)s))
        order by v.rank, v.item_id
        limit %(limit)s
        """,
        {
            "market": market_id,
            "currency": market["currency"],
            "rank": after[0] if after else None,
            "item": after[1] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = (
        paging.encode("volatility", [rows[-1]["rank"], rows[-1]["item_id"]]) if more else None
    )
    return respond(
        request,
        rows,
        columns=VOLATILITY_COLUMNS,
        fmt=fmt,
        as_of=_as_of(marts, "mart_volatility_rankings", market_id),
        extra={"market_id": market_id, "currency": market["currency"]},
        next_cursor=next_cursor,
    )


@router.get(
    "/{market_id}/opportunities",
    summary="Items below (buy) or above (sell) their 30-day mean by more than the fee",
)
def opportunities(
    request: Request,
    market_id: MarketId,
    marts: Annotated[Marts, Depends(marts_of)],
    side: Annotated[
        Literal["buy", "sell"],
        Query(
            description="buy: under the 30-day mean (buy now, sell back there); sell: over "
            "it (sell now)."
        ),
    ] = "buy",
    limit: Annotated[int, _limit(LIST_LIMIT, LIST_MAX)] = LIST_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """The market's items whose latest ``price`` is far enough from ``reference_price``
    (the 30-day mean daily close, ``ma_30d``) to pay after the market's selling fee,
    biggest ``expected_profit`` first (then ``item_id``).

    ``side=buy`` (``mart_buy_opportunities``): ``discount_pct`` = 100 × (reference −
    price) / reference, ``expected_profit`` = reference − fee(reference) − price.
    ``side=sell`` (``mart_sell_opportunities``): ``premium_pct`` = 100 × (price −
    reference) / reference, ``expected_profit`` = price − fee(price) − reference.
    Profits, prices and ``fees`` (the fee per unit the profit is after) are per unit in the
    market's ``currency``; ``confidence`` 0–1 (days observed of 30, damped by volatility);
    ``volatility_30d`` %; ``trend_state``; ``as_of`` the item's latest observation. A
    market without a fee rule (the exchanges) has none. Pages of ``limit`` (default 50)
    with ``cursor``; 404 for an unknown market."""
    market = market_row(marts, market_id)
    table, pct = SIDES[side]
    columns = tuple(c.format(pct=pct) for c in OPPORTUNITY_COLUMNS)
    kind = f"opportunities:{side}"
    after = paging.decode(cursor, kind, lookup.DESC_TYPES)
    rows = marts.fetch(
        f"""
        select
            o.item_id, i.item_name, o.price, o.reference_price, o.{pct}, o.expected_profit,
            o.fees, %(currency)s::text as currency, o.confidence, o.volatility_30d,
            o.trend_state, o.as_of
        from marts.{table} as o
        left join marts.dim_items as i on i.item_id = o.item_id
        where o.market_id = %(market)s and {lookup.desc_after("o.expected_profit", "o.item_id")}
        order by {lookup.desc_order("o.expected_profit", "o.item_id")}
        limit %(limit)s
        """,
        {
            "market": market_id,
            "currency": market["currency"],
            "limit": limit + 1,
            **lookup.desc_params(after),
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = (
        paging.encode(kind, lookup.desc_key(rows[-1]["expected_profit"], rows[-1]["item_id"]))
        if more
        else None
    )
    return respond(
        request,
        rows,
        columns=columns,
        fmt=fmt,
        as_of=_as_of(marts, table, market_id),
        extra={"market_id": market_id, "side": side, "currency": market["currency"]},
        next_cursor=next_cursor,
    )


@router.get("/{market_id}/scanner", summary="The screener: every item, filtered")
def scanner(
    request: Request,
    market_id: MarketId,
    marts: Annotated[Marts, Depends(marts_of)],
    min_profit: Annotated[
        float | None,
        _number("Least buy_expected_profit per unit, in the market's currency."),
    ] = None,
    min_margin_pct: Annotated[
        float | None, _number("Least buy_margin_pct (100 × buy profit / price), %.")
    ] = None,
    max_age_hours: Annotated[
        float | None,
        _number("Most hours_since_observed (hours from as_of to the marts' build).", ge=0),
    ] = None,
    min_volume: Annotated[
        float | None, _number("Least volume_24h (units traded in 24 hours).", ge=0)
    ] = None,
    limit: Annotated[int, _limit(LIST_LIMIT, LIST_MAX)] = LIST_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """One wide row per item of the market (``mart_market_scanner``): price and trend
    (``ma_7d``, ``ma_30d``, ``change_*_pct``, ``volatility_30d`` %, ``zscore_30d``,
    ``trend_state``, ``market_value``), the buy or sell opportunity after fees
    (``buy_discount_pct``, ``buy_expected_profit``, ``buy_margin_pct`` = 100 ×
    buy_expected_profit / price; ``sell_premium_pct``, ``sell_expected_profit``;
    ``confidence``), liquidity (``volume_24h``: units traded in the 24 hours to ``as_of``,
    null where the source has no volume) and freshness (``hours_since_observed``: hours
    from ``as_of`` to the tick that built the marts). Prices and profits per unit in
    ``currency``.

    Filters, each left out when not given: ``min_profit`` (buy_expected_profit ≥),
    ``min_margin_pct`` (buy_margin_pct ≥), so either keeps only buy opportunities;
    ``max_age_hours`` (hours_since_observed ≤); ``min_volume`` (volume_24h ≥; rows
    without a volume fail it). Biggest ``buy_expected_profit`` first, items without a buy
    opportunity after them, each group by ``item_id``. Pages of ``limit`` (default 50)
    with ``cursor``; 404 for an unknown market."""
    market = market_row(marts, market_id)
    kind = "scanner"
    after = paging.decode(cursor, kind, lookup.DESC_TYPES)
    rows = marts.fetch(
        f"""
        select {", ".join(SCANNER_COLUMNS)}
        from marts.mart_market_scanner
        where
            market_id = %(market)s
            and (%(min_profit)s::numeric is null or buy_expected_profit >= %(min_profit)s)
            and (%(min_margin)s::numeric is null or buy_margin_pct >= %(min_margin)s)
            and (%(max_age)s::numeric is null or hours_since_observed <= %(max_age)s)
            and (%(min_volume)s::numeric is null or volume_24h >= %(min_volume)s)
            and {lookup.desc_after("buy_expected_profit")}
        order by {lookup.desc_order("buy_expected_profit")}
        limit %(limit)s
        """,
        {
            "market": market_id,
            "min_profit": lookup.exact(min_profit),
            "min_margin": lookup.exact(min_margin_pct),
            "max_age": lookup.exact(max_age_hours),
            "min_volume": lookup.exact(min_volume),
            "limit": limit + 1,
            **lookup.desc_params(after),
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = (
        paging.encode(kind, lookup.desc_key(rows[-1]["buy_expected_profit"], rows[-1]["item_id"]))
        if more
        else None
    )
    return respond(
        request,
        rows,
        columns=SCANNER_COLUMNS,
        fmt=fmt,
        as_of=_as_of(marts, "mart_market_scanner", market_id),
        extra={"market_id": market_id, "currency": market["currency"]},
        next_cursor=next_cursor,
    )


@router.get("/{market_id}/trends", summary="A market's items and their trend state")
def trends(
    request: Request,
    market_id: MarketId,
    marts: Annotated[Marts, Depends(marts_of)],
    state: Annotated[
        TrendState | None,
        Query(description="Only items in this trend state (default: every item)."),
    ] = None,
    limit: Annotated[int, _limit(LIST_LIMIT, LIST_MAX)] = LIST_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """The market's items (``mart_item_trends``: those observed in the last
    ``trend_lookback_days``), by ``item_id``, each with its ``trend_state``: the 7-day
    move against σ = volatility_30d × price / 100 — spiking (> 2σ), increasing (> 0.5σ),
    stable, decreasing (< −0.5σ), crashing (< −2σ), out_of_stock (no listing at the last
    observation), null without 7 days of history. ``state`` keeps one state. Also
    ``price`` (latest, in ``currency``), ``change_1d_pct`` / ``7d`` / ``30d`` (%),
    ``ma_7d`` / ``ma_30d`` (mean daily close over the 7 / 30 UTC days to ``as_of``'s day),
    ``ema_7d``, ``volatility_30d`` (%), ``zscore_30d``, ``market_value`` (listing-snapshot
    sources; null elsewhere), ``days_observed_30d``, the next day's
    ``forecast_price_1d`` and its ~95 % band ``forecast_low_1d`` … ``forecast_high_1d``
    (null with fewer than 5 day-over-day changes), ``as_of`` (UTC). Pages of ``limit``
    (default 50) with ``cursor``; 404 for an unknown market."""
    market = market_row(marts, market_id)
    kind = f"trends:{state or ''}"
    after = paging.decode(cursor, kind, (str,))
    fields = ", ".join(f"t.{c}" for c in TREND_FIELDS if c != "currency")
    rows = marts.fetch(
        f"""
        select t.item_id, i.item_name, %(currency)s::text as currency, {fields}
        from marts.mart_item_trends as t
        left join marts.dim_items as i on i.item_id = t.item_id
        where
            t.market_id = %(market)s
            and (%(state)s::text is null or t.trend_state = %(state)s::text)
            and (%(after)s::text is null or t.item_id > %(after)s::text)
        order by t.item_id
        limit %(limit)s
        """,
        {
            "market": market_id,
            "currency": market["currency"],
            "state": state,
            "after": after[0] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = paging.encode(kind, [rows[-1]["item_id"]]) if more else None
    return respond(
        request,
        rows,
        columns=TREND_COLUMNS,
        fmt=fmt,
        as_of=_as_of(marts, "mart_item_trends", market_id),
        extra={"market_id": market_id, "state": state, "currency": market["currency"]},
        next_cursor=next_cursor,
    )


@router.get("/{market_id}/seasonality", summary="When in the week items are cheap or dear")
def seasonality(
    request: Request,
    market_id: MarketId,
    marts: Annotated[Marts, Depends(marts_of)],
    item_id: Annotated[
        str | None,
        Query(
            description="One item (dim_items.item_id); default every item.",
            max_length=300,
        ),
        lookup.NoNul,
    ] = None,
    limit: Annotated[int, _limit(SLOTS_LIMIT, SLOTS_MAX)] = SLOTS_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """One row per item × UTC weekday × hour (``mart_seasonality``, over the hourly
    candles of the 28 days to the market's newest hour), by ``item_id``, ``dow``,
    ``hour_of_day``: ``dow`` 1 = Monday … 7 = Sunday and ``day_name``, ``hour_of_day``
    0–23 (UTC), ``slot_price`` (mean hourly average price in that slot) against
    ``average_price`` (the mean of the item's slot prices), both in ``currency``,
    ``price_index`` = slot_price / average_price (0.95: 5 % cheaper than usual then),
    ``hours_observed`` (candles behind the slot, up to 4), ``slots_observed`` (of the
    week's 168). ``as_of``: the market's newest observation. Pages of ``limit`` (default
    168, one item's week) with ``cursor``; 404 for an unknown market or ``item_id``."""
    market = market_row(marts, market_id)
    if item_id is not None:
        lookup.item(marts, item_id)
    kind = f"seasonality:{item_id or ''}"
    after = paging.decode(cursor, kind, (str, int, int))
    rows = marts.fetch(
        """
        select
            item_id, dow, day_name, hour_of_day, price_index, slot_price, average_price,
            %(currency)s::text as currency, hours_observed, slots_observed
        from marts.mart_seasonality
        where
            market_id = %(market)s
            and (%(item)s::text is null or item_id = %(item)s::text)
            and (
                %(after_item)s::text is null
                or (item_id, dow, hour_of_day) > (%(after_item)s::text, %(dow)s::int, %(hour)s::int)
            )
        order by item_id, dow, hour_of_day
        limit %(limit)s
        """,
        {
            "market": market_id,
            "currency": market["currency"],
            "item": item_id,
            "after_item": after[0] if after else None,
            "dow": after[1] if after else None,
            "hour": after[2] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    last = rows[-1] if rows else {}
    next_cursor = (
        paging.encode(kind, [last["item_id"], last["dow"], last["hour_of_day"]]) if more else None
    )
    return respond(
        request,
        rows,
        columns=SEASONALITY_COLUMNS,
        fmt=fmt,
        as_of=_as_of(marts, "mart_item_trends", market_id),
        extra={"market_id": market_id, "item_id": item_id, "currency": market["currency"]},
        next_cursor=next_cursor,
    )
