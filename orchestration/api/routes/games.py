"""``/v1/arbitrage`` and ``/v1/crafting``: trades between the markets of one game that
pay after fees and the cost of moving the goods (``marts.mart_arbitrage``: WoW realms of
one region, Dofus servers), and what each recipe earns where its result sells
(``marts.mart_craft_profitability``). Prices are per unit in the market's ``currency``,
the game's smallest unit (WoW copper, Dofus kamas, OSRS gp)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from orchestration.api import lookup, paging
from orchestration.api.db import Marts, marts_of
from orchestration.api.problems import bad_parameter, not_found
from orchestration.api.respond import respond
from orchestration.api.routes import FormatParam

router = APIRouter(tags=["games"])

LIMIT = 50
MAX_LIMIT = 1000


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


ARBITRAGE_COLUMNS = _columns(
    "item_id item_name source buy_market_id buy_market_name sell_market_id sell_market_name "
    "currency buy_price sell_price fees transfer_cost net_profit roi_pct buy_as_of sell_as_of"
)
CRAFT_COLUMNS = _columns(
    "recipe_id recipe_name source profession skill_level market_id currency result_item_id "
    "result_item_name result_quantity result_price result_value ingredient_cost fees profit "
    "margin_pct ingredients missing_ingredients as_of oldest_ingredient_as_of"
)
# the column each sort orders by (biggest first, nulls last): never the client's text
ARBITRAGE_SORTS = {"profit": "a.net_profit", "roi": "a.roi_pct"}
CRAFT_SORTS = {"profit": "c.profit", "margin": "c.margin_pct"}

ItemId = Annotated[
    str | None,
    Query(
        description="Only this item (dim_items.item_id, e.g. wow_auctions:210930).", max_length=300
    ),
    lookup.NoNul,
]
MarketId = Annotated[
    str | None,
    Query(description="dim_markets.market_id, e.g. wow-realm-3676.", max_length=200),
    lookup.NoNul,
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page (max {MAX_LIMIT}).")]
Cursor = Annotated[
    str | None,
    Query(description="next_cursor of the page before (opaque).", max_length=1000),
]


def _market(marts: Marts, market_id: str | None) -> None:
    """A 404 Problem when ``market_id`` is given and dim_markets has no such market."""
    if market_id is None:
        return
    if not marts.fetch("select 1 from marts.dim_markets where market_id = %s", (market_id,)):
        raise not_found(f"market {market_id!r}")


def _after(sort_column: str, keys: tuple[str, ...]) -> str:
    """The SQL condition for rows after the cursor in the order ``sort_column`` desc nulls
    last, then ``keys`` (text columns) ascending. Parameters: ``after_set`` (a cursor was
    given), ``after_v`` (its sort value, null for a null one), ``after_k0`` … ."""
    tie = "({}) > ({})".format(
        ", ".join(keys), ", ".join(f"%(after_k{i})s::text" for i in range(len(keys)))
    )
    value = "%(after_v)s::numeric"
    return f"""(
        not %(after_set)s::boolean
        or ({value} is null and {sort_column} is null and {tie})
        or (
            {value} is not null
            and ({sort_column} is null or {sort_column} < {value}
                 or ({sort_column} = {value} and {tie}))
        )
    )"""


def _cursor_params(cursor: str | None, kind: str, n_keys: int) -> dict[str, Any]:
    """The SQL parameters of ``_after`` from ``cursor`` (a 400 naming it when it is not
    one of ``kind`` or its sort value is not a number)."""
    after = paging.decode(cursor, kind, (str,) * (1 + n_keys))
    if after and any("\x00" in v for v in after):  # text PostgreSQL cannot hold
        raise bad_parameter("cursor", "not a cursor this API handed out")
    if after is None:
        return {"after_set": False, "after_v": None} | {f"after_k{i}": None for i in range(n_keys)}
    value = after[0] or None  # "": a null sort value
    if value is not None:
        try:
            finite = Decimal(value).is_finite()
        except ArithmeticError:
            finite = False
        if not finite:
            raise bad_parameter("cursor", "not a cursor this API handed out")
    return {"after_set": True, "after_v": value} | {
        f"after_k{i}": key for i, key in enumerate(after[1:])
    }


def _next_cursor(kind: str, row: dict[str, Any], sort_key: str, keys: tuple[str, ...]) -> str:
    value = row[sort_key]
    return paging.encode(kind, ["" if value is None else str(value), *(row[k] for k in keys)])


@router.get("/arbitrage", summary="Cross-realm / cross-server trades that pay")
def arbitrage(
    request: Request,
    marts: Annotated[Marts, Depends(marts_of)],
    item_id: ItemId = None,
    market_id: MarketId = None,
    min_roi_pct: Annotated[
        float | None,
        Query(ge=0, le=1_000_000, description="Only trades returning at least this, %."),
    ] = None,
    sort: Annotated[
        Literal["profit", "roi"],
        Query(description="profit: biggest net_profit per unit first; roi: biggest roi_pct."),
    ] = "profit",
    limit: Limit = LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """Buy ``item_id`` in ``buy_market_id``, move it, sell it in ``sell_market_id`` (same
    game; ``mart_arbitrage``): only trades with ``net_profit`` > 0 per unit after the sell
    market's ``fees`` and the ``transfer_cost``. Prices per unit in ``currency`` (copper,
    kamas); ``roi_pct`` = 100 × net_profit / (buy_price + transfer_cost), %; ``buy_as_of``
    / ``sell_as_of`` when each price was observed. ``item_id`` narrows to one item,
    ``market_id`` to trades buying or selling there, ``min_roi_pct`` to the better ones.
    Biggest ``sort`` value first, then by item and markets; pages of ``limit`` (default
    50) with ``cursor``. ``as_of``: the newest price among the trades asked about. 404 for
    an unknown item or market."""
    if item_id is not None:
        lookup.item(marts, item_id)  # a 404 for an unknown one
    _market(marts, market_id)
    column = ARBITRAGE_SORTS[sort]
    keys = ("a.item_id", "a.buy_market_id", "a.sell_market_id")
    kind = f"arbitrage:{sort}"
    where = """
        (%(item)s::text is null or a.item_id = %(item)s::text)
        and (
            %(market)s::text is null
            or a.buy_market_id = %(market)s::text or a.sell_market_id = %(market)s::text
        )
        and (%(min_roi)s::numeric is null or a.roi_pct >= %(min_roi)s::numeric)
    """
    params = {"item": item_id, "market": market_id, "min_roi": lookup.exact(min_roi_pct)}
    rows = marts.fetch(
        f"""
        select
            a.item_id, a.item_name, a.source, a.buy_market_id, a.buy_market_name,
            a.sell_market_id, a.sell_market_name, m.currency, a.buy_price, a.sell_price,
            a.fees, a.transfer_cost, a.net_profit, a.roi_pct, a.buy_as_of, a.sell_as_of
        from marts.mart_arbitrage as a
        left join marts.dim_markets as m on m.market_id = a.buy_market_id
        where {where} and {_after(column, keys)}
        order by {column} desc nulls last, {", ".join(keys)}
        limit %(limit)s
        """,
        {**params, **_cursor_params(cursor, kind, len(keys)), "limit": limit + 1},
    )
    rows, more = paging.page(rows, limit)
    sort_key = column.removeprefix("a.")
    next_cursor = (
        _next_cursor(kind, rows[-1], sort_key, ("item_id", "buy_market_id", "sell_market_id"))
        if more
        else None
    )
    as_of = marts.fetch(
        f"""select max(greatest(a.buy_as_of, a.sell_as_of)) as as_of
        from marts.mart_arbitrage as a where {where}""",
        params,
    )[0]["as_of"]
    extra = {"item_id": item_id, "market_id": market_id, "sort": sort}
    return respond(
        request,
        rows,
        columns=ARBITRAGE_COLUMNS,
        fmt=fmt,
        as_of=as_of,
        extra=extra,
        next_cursor=next_cursor,
    )


@router.get("/crafting", summary="What each recipe earns where its result sells")
def crafting(
    request: Request,
    marts: Annotated[Marts, Depends(marts_of)],
    market_id: MarketId = None,
    profession: Annotated[
        str | None,
        Query(description="Only this profession, skill or job (ignoring case).", max_length=200),
        lookup.NoNul,
    ] = None,
    priced: Annotated[
        bool,
        Query(description="true: only recipes whose every ingredient has a price here."),
    ] = False,
    sort: Annotated[
        Literal["profit", "margin"],
        Query(description="profit: biggest profit per craft first; margin: biggest margin_pct."),
    ] = "profit",
    limit: Limit = LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """One row per recipe × market its result has a price in
    (``mart_craft_profitability``): ``result_value`` (result_price × result_quantity),
    ``ingredient_cost`` (Σ quantity × the ingredient's price in this market, else its
    supply market: a WoW realm buys reagents at its region's commodity house), the selling
    ``fees``, ``profit`` = result_value − fees − ingredient_cost and ``margin_pct`` = 100 ×
    profit / ingredient_cost (%), all per craft in the market's ``currency``. A recipe with
    an unpriced ingredient has ``missing_ingredients`` > 0 and no cost, profit or margin
    (listed last; ``priced=true`` leaves it out). ``market_id`` and ``profession`` narrow
    it. Biggest ``sort`` value first, then by recipe and market; pages of ``limit``
    (default 50) with ``cursor``. ``as_of``: the newest result price among the rows asked
    about. 404 for an unknown market."""
    _market(marts, market_id)
    column = CRAFT_SORTS[sort]
    keys = ("c.recipe_id", "c.market_id")
    kind = f"crafting:{sort}"
    where = """
        (%(market)s::text is null or c.market_id = %(market)s::text)
        and (%(profession)s::text is null or lower(c.profession) = lower(%(profession)s::text))
        and (not %(priced)s::boolean or c.missing_ingredients = 0)
    """
    params = {"market": market_id, "profession": profession, "priced": priced}
    rows = marts.fetch(
        f"""
        select
            c.recipe_id, c.recipe_name, c.source, c.profession, c.skill_level, c.market_id,
            m.currency, c.result_item_id, i.item_name as result_item_name, c.result_quantity,
            c.result_price, c.result_value, c.ingredient_cost, c.fees, c.profit, c.margin_pct,
            c.ingredients, c.missing_ingredients, c.as_of, c.oldest_ingredient_as_of
        from marts.mart_craft_profitability as c
        left join marts.dim_markets as m on m.market_id = c.market_id
        left join marts.dim_items as i on i.item_id = c.result_item_id
        where {where} and {_after(column, keys)}
        order by {column} desc nulls last, {", ".join(keys)}
        limit %(limit)s
        """,
        {**params, **_cursor_params(cursor, kind, len(keys)), "limit": limit + 1},
    )
    rows, more = paging.page(rows, limit)
    sort_key = column.removeprefix("c.")
    next_cursor = (
        _next_cursor(kind, rows[-1], sort_key, ("recipe_id", "market_id")) if more else None
    )
    as_of = marts.fetch(
        f"select max(c.as_of) as as_of from marts.mart_craft_profitability as c where {where}",
        params,
    )[0]["as_of"]
    extra = {"market_id": market_id, "profession": profession, "sort": sort}
    return respond(
        request,
        rows,
        columns=CRAFT_COLUMNS,
        fmt=fmt,
        as_of=as_of,
        extra=extra,
        next_cursor=next_cursor,
    )
