"""``GET /v1/leaderboards``: tracked players ranked by what they gained in a metric over a
period, within a group of the players config (``marts.mart_leaderboards``) or across all
tracked players (``marts.mart_player_gains``, ranked the same way)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from orchestration.api import paging
from orchestration.api.db import Marts, marts_of
from orchestration.api.problems import not_found
from orchestration.api.respond import respond
from orchestration.api.routes import FormatParam
from orchestration.api.routes.players import PERIODS, Period, gains_as_of, metric_of, plain

router = APIRouter(tags=["players"])

LIMIT = 20
MAX_LIMIT = 500

COLUMNS = (
    "position",
    "player_id",
    "username",
    "gained",
    "start_value",
    "end_value",
    "rank_change",
    "level_change",
    "started_at",
    "ended_at",
)
FIELDS = ", ".join(f"b.{c}" for c in COLUMNS[1:])

# one group's board, as the mart ranks it
GROUP_SQL = f"""
select b.position, {FIELDS}
from marts.mart_leaderboards as b
where
    b.group_name = %(group)s
    and b.period = %(period)s
    and b.metric_kind = %(kind)s
    and b.metric = %(metric)s
    and (%(position)s::bigint is null or (b.position, b.player_id) > (%(position)s, %(player)s))
order by b.position, b.player_id
limit %(limit)s
"""

# every tracked player once, ranked by the mart's rule (ties share a position)
ALL_SQL = f"""
select b.position, {FIELDS}
from (
    select rank() over (order by g.gained desc) as position, g.*
    from marts.mart_player_gains as g
    inner join marts.dim_players as p on g.player_id = p.player_id
    where p.is_tracked and g.period = %(period)s and g.metric_kind = %(kind)s
        and g.metric = %(metric)s
) as b
where %(position)s::bigint is null or (b.position, b.player_id) > (%(position)s, %(player)s)
order by b.position, b.player_id
limit %(limit)s
"""


def _group(marts: Marts, asked: str) -> str:
    """The group of the players config ``asked`` names (ignoring case), as configured; a
    404 Problem for a group no tracked player is in."""
    rows = marts.fetch(
        """
        select distinct g.group_name
        from marts.dim_players as p
        cross join lateral unnest(p.group_names) as g (group_name)
        where p.is_tracked and lower(g.group_name) = lower(btrim(%s::text))
        order by g.group_name
        """,
        (asked,),
    )
    if not rows:
        raise not_found(f"group {asked.strip()!r} in the players config")
    return rows[0]["group_name"]


@router.get("/leaderboards", summary="Players ranked by their gains in a metric")
def leaderboards(
    request: Request,
    marts: Annotated[Marts, Depends(marts_of)],
    metric: Annotated[
        str,
        Query(
            description=(
                "A skill or activity (`Overall`, `Attack`, `Zulrah`, Wise Old Man's "
                "`clue_scrolls_all`): case and punctuation ignored; default Overall."
            ),
            max_length=100,
        ),
    ] = "Overall",
    period: Annotated[
        Period, Query(description="day, week (7 days), month (31) or year (365).")
    ] = "week",
    group: Annotated[
        str | None,
        Query(
            description="A group of the players config (ignoring case); default: every "
            "tracked player.",
            max_length=200,
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page (max {MAX_LIMIT}).")
    ] = LIMIT,
    cursor: Annotated[
        str | None,
        Query(description="next_cursor of the page before (opaque).", max_length=1000),
    ] = None,
    fmt: FormatParam = "json",
) -> Response:
    """Tracked players ranked by ``gained`` in ``metric`` over ``period`` (as
    ``/v1/players/{username}/gains?period=`` measures it: up to their latest snapshot,
    from the first state seen inside the period back from ``as_of``, the newest fetch).
    ``position`` 1 gained most; ties share a position and are ordered by ``player_id``.
    ``gained``, ``start_value``, ``end_value`` in the envelope's ``unit`` (xp for skills,
    score for activities; -1 unranked), ``rank_change`` (negative = climbed; null when
    unranked at either end), ``level_change``, ``started_at`` / ``ended_at`` (the
    window's snapshots). ``group``: a group of the players config (mart_leaderboards: a
    player in several groups is on each board); without it, every tracked player once.
    Pages of ``limit`` (default 20) with ``cursor``. 400 for a bad ``metric`` or
    ``period``, 404 for a group no tracked player is in."""
    kind, name = metric_of(marts, metric)
    group_name = _group(marts, group) if group is not None else None
    ordering = f"leaderboard:{group_name or ''}:{period}:{kind}:{name}"
    after = paging.decode(cursor, ordering, (int, str))
    rows = marts.fetch(
        GROUP_SQL if group_name is not None else ALL_SQL,
        {
            "group": group_name,
            "period": period,
            "kind": kind,
            "metric": name,
            "position": after[0] if after else None,
            "player": after[1] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = (
        paging.encode(ordering, [rows[-1]["position"], rows[-1]["player_id"]]) if more else None
    )
    as_of = gains_as_of(marts)
    extra: dict[str, Any] = {
        "group": group_name,
        "period": period,
        "period_start": as_of - timedelta(days=PERIODS[period]) if as_of else None,
        "metric_kind": kind,
        "metric": name,
        "unit": "xp" if kind == "skill" else "score",
    }
    return respond(
        request,
        rows,
        columns=COLUMNS,
        fmt=fmt,
        as_of=as_of,
        extra=plain(extra),
        next_cursor=next_cursor,
    )
