"""Pages a person can look at, served by `snapmart api` beside the JSON API: ``/`` (the
markets: index charts and today's movers), ``/markets/{market_id}``, ``/items/{item_id}``,
``/players/{username}``, ``/events/{production_id}``.

HTML from Jinja templates (``templates/``) with the charts inline as SVG, rendered here
from Vega-Lite (``orchestration.charts``): the browser needs no script and no network.
An unknown market, item, player or event is an HTML 404 page. The pages are left out of
the OpenAPI schema (they are for people; the same data is under ``/v1``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from orchestration import charts
from orchestration.api.db import Marts, marts_of
from orchestration.api.pages import queries as q

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

Db = Annotated[Marts, Depends(marts_of)]


def _svg(build, *args: Any) -> Markup | None:
    """A chart's SVG for inlining, or None when it has nothing to draw."""
    try:
        return Markup(charts.svg(build(*args)))  # vl-convert's own SVG, not user text
    except ValueError:
        return None


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def _not_found(request: Request, what: str) -> HTMLResponse:
    return _page(request, "not_found.html", status_code=404, title="Not found", what=what)


@router.get("/")
def home(request: Request, marts: Db) -> HTMLResponse:
    """Every market with an index: its chart over the last 90 days and the day's biggest
    movers."""
    panels = []
    for m in q.markets_with_index(marts):
        days = q.index_days(marts, m["market_id"], q.INDEX_DAYS_HOME)
        panels.append(
            {
                "market": m,
                "chart": _svg(charts.index_chart, days, f"{m['market_name']} — price index"),
                "movers": q.movers(marts, m["market_id"], "rank_abs", q.MOVERS_HOME),
            }
        )
    return _page(request, "home.html", title="Markets", panels=panels)


@router.get("/markets/{market_id}")
def market(request: Request, market_id: str, marts: Db) -> HTMLResponse:
    """A market: its index over the last year, the day's top gainers and losers."""
    m = q.market(marts, market_id)
    if m is None:
        return _not_found(request, f"market {market_id!r}")
    days = q.index_days(marts, market_id, q.INDEX_DAYS_MARKET)
    return _page(
        request,
        "market.html",
        title=m["market_name"],
        market=m,
        chart=_svg(charts.index_chart, days, f"{m['market_name']} — price index"),
        gainers=q.movers(marts, market_id, "rank_gain", q.MOVERS_MARKET),
        losers=q.movers(marts, market_id, "rank_loss", q.MOVERS_MARKET),
    )


@router.get("/items/{item_id}")
def item(request: Request, item_id: str, marts: Db) -> HTMLResponse:
    """An item: per market, its daily closes with moving averages, the next day's
    forecast band and the market value; the latest trend figures; links to its
    arbitrage and crafts in the API."""
    it = q.item(marts, item_id)
    if it is None:
        return _not_found(request, f"item {item_id!r}")
    panels = []
    for trend in q.item_trends(marts, item_id):
        closes = q.daily_closes(marts, trend["market_id"], item_id, q.CLOSES_DAYS)
        title = f"{it['item_name']} — {trend['market_name']}"
        panels.append(
            {
                "trend": trend,
                "chart": _svg(charts.price_chart, closes, trend["currency"], title, trend),
            }
        )
    return _page(request, "item.html", title=it["item_name"], item=it, panels=panels)


@router.get("/players/{username}")
def player(request: Request, username: str, marts: Db) -> HTMLResponse:
    """A player: a chart per metric gained most over the year (Overall first), the
    records and the achievements."""
    p = q.player(marts, username)
    if p is None:
        return _not_found(request, f"player {username!r}")
    gained = q.gained_metrics(marts, p["player_id"], q.GAINS_METRICS)
    history = q.metric_history(marts, p["player_id"], [g["metric"] for g in gained])
    gains = [
        {
            "metric": g,
            "chart": _svg(
                charts.gains_chart,
                history[g["metric"]],
                g["metric"],
                "xp" if g["metric_kind"] == "skill" else "score",
            ),
        }
        for g in gained
    ]
    return _page(
        request,
        "player.html",
        title=p["username"],
        player=p,
        gains=gains,
        records=q.records(marts, p["player_id"]),
        achievements=q.achievements(marts, p["player_id"]),
    )


@router.get("/events/{production_id}")
def event(request: Request, production_id: str, marts: Db) -> HTMLResponse:
    """An event: get-in and median price per section against days to the event, and
    each section's newest sell-through."""
    e = q.event(marts, production_id)
    if e is None:
        return _not_found(request, f"event {production_id!r}")
    chart = _svg(
        charts.event_price_chart, q.event_prices(marts, e), "USD", f"{e['event_name']} — prices"
    )
    return _page(
        request,
        "event.html",
        title=e["event_name"],
        event=e,
        chart=chart,
        sections=q.sellthrough(marts, e["production_id"]),
    )
