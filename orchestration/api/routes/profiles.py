"""``/v1/profiles/{profile}/…``: one profile's own data from schema ``profiles``, for that
profile's bearer token only (orchestration/api/auth.py): its watchlists
(``profile_watchlist``), what its bank can craft (``profile_bank_craft_opportunities``)
and how its price alerts did (``profile_alert_effectiveness``).

Read through the profile pool, as ``snapmart_profile_reader``: a role that reads
``profiles`` and nothing else (docs/roles.md), every query filtered to the authenticated
profile. What a route needs from ``marts`` (a market's currency) it asks the analyst pool."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from orchestration.api import paging
from orchestration.api.auth import profile_owner
from orchestration.api.db import Marts, marts_of, profiles_of
from orchestration.api.problems import not_found
from orchestration.api.respond import respond, seconds_to_next_tick
from orchestration.api.routes import FormatParam

router = APIRouter(prefix="/profiles/{profile}", tags=["profiles"])

LIST_LIMIT = 100
LIST_MAX = 1000

WATCHLIST_COLUMNS = (
    "watchlist_name",
    "market_id",
    "item_id",
    "item_name",
    "currency",
    "price",
    "change_1d_pct",
    "change_7d_pct",
    "change_30d_pct",
    "ma_7d",
    "ma_30d",
    "volatility_30d",
    "zscore_30d",
    "trend_state",
    "forecast_price_1d",
    "as_of",
)
CRAFT_COLUMNS = (
    "rank",
    "recipe_id",
    "recipe_name",
    "source",
    "profession",
    "market_id",
    "currency",
    "result_item_id",
    "crafts_from_bank",
    "crafts_with_purchase",
    "ingredients",
    "ingredients_in_bank",
    "units_to_buy",
    "missing_cost",
    "result_units",
    "result_price",
    "sale_value",
    "fees",
    "profit",
    "bank_stock_value",
    "profit_over_selling_stock",
    "as_of",
)
ALERT_COLUMNS = (
    "rule_type",
    "alerts",
    "evaluated_24h",
    "held_24h",
    "share_held_24h",
    "avg_move_24h_pct",
    "evaluated_7d",
    "held_7d",
    "share_held_7d",
    "avg_move_7d_pct",
    "first_triggered_at",
    "last_triggered_at",
)

Owner = Annotated[str, Depends(profile_owner)]
Limit = Annotated[int, Query(ge=1, le=LIST_MAX, description=f"Rows per page (max {LIST_MAX}).")]
Cursor = Annotated[
    str | None,
    Query(description="next_cursor of the page before (opaque).", max_length=1000),
]


def _private() -> dict[str, str]:
    """One profile's answer is for its token's holder: no shared cache keeps it."""
    return {"Cache-Control": f"private, max-age={seconds_to_next_tick()}"}


def _currencies(marts: Marts, market_ids: list[str]) -> dict[str, str]:
    """market_id → currency (``marts.dim_markets``), for the markets a profile's rows name."""
    if not market_ids:
        return {}
    rows = marts.fetch(
        "select market_id, currency from marts.dim_markets where market_id = any(%s)",
        (sorted(set(market_ids)),),
    )
    return {r["market_id"]: r["currency"] for r in rows}


@router.get("/watchlist", summary="A profile's watchlists and favorites, with trends")
def watchlist(
    request: Request,
    profile: Owner,
    db: Annotated[Marts, Depends(profiles_of)],
    name: Annotated[
        str | None,
        Query(
            alias="watchlist",
            description="Only this watchlist (`favorites` for the favorites).",
            max_length=200,
        ),
    ] = None,
    limit: Limit = LIST_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """The profile's watchlist entries (``profiles.profile_watchlist``; its favorites are
    the watchlist ``favorites``), by ``watchlist_name``, ``market_id``, ``item_id``, each
    with the item's trend row: ``price`` (latest, in ``currency``, the market's: gp,
    copper, kamas…; null before the item has one), ``change_1d_pct`` / ``7d`` / ``30d``
    (%), ``ma_7d`` / ``ma_30d`` (mean daily close, in ``currency``), ``volatility_30d``
    (%), ``zscore_30d`` (standard deviations from the 30-day mean), ``trend_state``,
    ``forecast_price_1d`` (in ``currency``) and ``as_of`` (the latest observation).
    ``watchlist`` keeps one list (404 when the profile has none of that name). Pages of
    ``limit`` (default 100) with ``cursor``. ``as_of`` of the answer: the newest of the
    profile's entries (of that list)."""
    if name is not None and not db.fetch(
        """select 1 from profiles.profile_watchlist
        where profile_id = %s and watchlist_name = %s limit 1""",
        (profile, name),
    ):
        raise not_found(f"watchlist {name!r} in profile {profile!r}")
    after = paging.decode(cursor, "profile-watchlist", (str, str, str))
    rows = db.fetch(
        f"""
        select {", ".join(WATCHLIST_COLUMNS)}
        from profiles.profile_watchlist
        where
            profile_id = %(profile)s
            and (%(name)s::text is null or watchlist_name = %(name)s::text)
            and (
                %(w)s::text is null
                or (watchlist_name, market_id, item_id) > (%(w)s::text, %(m)s::text, %(i)s::text)
            )
        order by watchlist_name, market_id, item_id
        limit %(limit)s
        """,
        {
            "profile": profile,
            "name": name,
            "w": after[0] if after else None,
            "m": after[1] if after else None,
            "i": after[2] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    last = rows[-1] if rows else {}
    next_cursor = (
        paging.encode(
            "profile-watchlist", [last["watchlist_name"], last["market_id"], last["item_id"]]
        )
        if more
        else None
    )
    as_of = db.fetch(
        """select max(as_of) as as_of from profiles.profile_watchlist
        where profile_id = %s and (%s::text is null or watchlist_name = %s::text)""",
        (profile, name, name),
    )[0]["as_of"]
    return respond(
        request,
        rows,
        columns=WATCHLIST_COLUMNS,
        fmt=fmt,
        as_of=as_of,
        extra={"profile": profile, "watchlist": name},
        next_cursor=next_cursor,
        headers=_private(),
    )


@router.get("/bank/crafts", summary="What a profile's bank can craft, best first")
def bank_crafts(
    request: Request,
    profile: Owner,
    db: Annotated[Marts, Depends(profiles_of)],
    marts: Annotated[Marts, Depends(marts_of)],
    market_id: Annotated[
        str | None,
        Query(
            description="Only crafts sold in this market (dim_markets.market_id).", max_length=200
        ),
    ] = None,
    limit: Limit = LIST_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """Per recipe × market the result sells in (``profiles.profile_bank_craft_opportunities``,
    recipes the bank holds an ingredient of), best first: ``profit_over_selling_stock``
    descending (unknown last), then ``recipe_id``, ``market_id``; ``rank`` is that order.
    ``crafts_from_bank``: crafts with nothing bought; ``crafts_with_purchase``: crafts that
    use up the most plentiful ingredient, buying ``units_to_buy`` more for
    ``missing_cost``; ``result_units`` made, ``sale_value`` after ``fees``, ``profit`` =
    sale_value − fees − missing_cost; ``bank_stock_value``: the stock used, sold as it is;
    ``profit_over_selling_stock`` = profit − bank_stock_value (positive: crafting beats
    selling the ingredients). Every amount is in ``currency`` (the market's: gp, copper,
    kamas…); ``as_of`` when the result price was observed. ``market_id`` keeps one market
    (404 for one ``dim_markets`` does not know). Pages of ``limit`` with ``cursor``."""
    if market_id is not None and not _currencies(marts, [market_id]):
        raise not_found(f"market {market_id!r}")
    after = paging.decode(cursor, "profile-crafts", (int,))
    rows = db.fetch(
        """
        select * from (
            select
                row_number() over (
                    order by profit_over_selling_stock desc nulls last, recipe_id, market_id
                ) as rank,
                c.*
            from profiles.profile_bank_craft_opportunities as c
            where
                profile_id = %(profile)s
                and (%(market)s::text is null or market_id = %(market)s::text)
        ) as ranked
        where %(after)s::bigint is null or rank > %(after)s::bigint
        order by rank
        limit %(limit)s
        """,
        {
            "profile": profile,
            "market": market_id,
            "after": after[0] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    currency = _currencies(marts, [r["market_id"] for r in rows])
    for row in rows:
        row["currency"] = currency.get(row["market_id"])
    next_cursor = paging.encode("profile-crafts", [rows[-1]["rank"]]) if more else None
    as_of = db.fetch(
        """select max(as_of) as as_of from profiles.profile_bank_craft_opportunities
        where profile_id = %s and (%s::text is null or market_id = %s::text)""",
        (profile, market_id, market_id),
    )[0]["as_of"]
    return respond(
        request,
        rows,
        columns=CRAFT_COLUMNS,
        fmt=fmt,
        as_of=as_of,
        extra={"profile": profile, "market_id": market_id},
        next_cursor=next_cursor,
        headers=_private(),
    )


@router.get("/alerts", summary="How a profile's price alerts did, per rule type")
def alerts(
    request: Request,
    profile: Owner,
    db: Annotated[Marts, Depends(profiles_of)],
    fmt: FormatParam = "json",
) -> Response:
    """Per rule type (``profiles.profile_alert_effectiveness``): ``alerts`` fired
    (backtests included), ``evaluated_24h`` (of those, the ones whose 24 h horizon has
    passed in the data), ``held_24h`` (of those, the ones whose price kept moving the
    alert's way), ``share_held_24h`` (held / evaluated, a fraction 0–1, null before any is
    evaluated), ``avg_move_24h_pct`` (mean move the alert's way, % of the trigger price);
    the same for 7 days; ``first_triggered_at`` / ``last_triggered_at``. By
    ``rule_type``; not paged (one row per rule type). ``as_of``: the newest alert."""
    rows = db.fetch(
        f"""
        select {", ".join(ALERT_COLUMNS)}
        from profiles.profile_alert_effectiveness
        where profile_id = %s
        order by rule_type
        """,
        (profile,),
    )
    as_of = max((r["last_triggered_at"] for r in rows if r["last_triggered_at"]), default=None)
    return respond(
        request,
        rows,
        columns=ALERT_COLUMNS,
        fmt=fmt,
        as_of=as_of,
        extra={"profile": profile},
        headers=_private(),
    )
