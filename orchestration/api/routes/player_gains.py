"""``/v1/players/{username}/gains``: what a player gained per metric over a period
(``marts.mart_player_gains``) or over any window, computed here from
``marts.fct_hiscore_snapshots`` by the mart's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from orchestration.api.db import Marts, marts_of
from orchestration.api.problems import bad_parameter
from orchestration.api.respond import respond
from orchestration.api.routes import FormatParam
from orchestration.api.routes.players import (
    ORDER,
    PERIODS,
    UNIT,
    Period,
    Username,
    gains_as_of,
    plain,
    player_of,
)

router = APIRouter(prefix="/players", tags=["players"])

GAIN_COLUMNS = (
    "metric_kind",
    "metric",
    "unit",
    "start_value",
    "end_value",
    "gained",
    "start_rank",
    "end_rank",
    "rank_change",
    "start_level",
    "end_level",
    "level_change",
    "started_at",
    "ended_at",
)
# the level of a skill absent from a snapshot: what an account starts with (dbt macro
# skill_floor_level); none for Overall
FLOOR = (
    "case coalesce(e.metric, s.metric) when 'Overall' then null when 'Hitpoints' then 10 else 1 end"
)


def _instant(raw: str, parameter: str) -> datetime:
    """An ISO 8601 date (its 00:00 UTC) or time (UTC unless it says its offset); a 400
    naming ``parameter`` for anything else."""
    try:
        at = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise bad_parameter(
            parameter, f"{raw[:40]!r} is not an ISO 8601 date or time (2026-11-21T12:00:00Z)"
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# The window's ends, chosen as mart_player_gains chooses them (dbt macro
# hiscore_window_start), from what the marts hold; then the gain of each metric in either
# end's snapshot, by the mart's rules (macros hiscore_window_gains, hiscore_progress_columns).
WINDOW_SQL = f"""
with bounds as (
    select
        (select max(captured_at) from marts.fct_hiscore_snapshots
            where player_id = %(player)s and captured_at <= %(start)s) as in_force,
        (select min(captured_at) from marts.fct_hiscore_snapshots
            where player_id = %(player)s and captured_at > %(start)s) as first_after,
        (select max(captured_at) from marts.fct_hiscore_snapshots
            where player_id = %(player)s) as newest,
        (select max(captured_at) from marts.fct_hiscore_snapshots
            where player_id = %(player)s and captured_at <= %(end)s) as end_at,
        (select last_found_at from marts.dim_players where player_id = %(player)s)
            as last_found_at
),

chosen as (
    select
        end_at,
        case
            when in_force is not null
                and (in_force < newest or greatest(in_force, last_found_at) >= %(start)s)
                then in_force
            else first_after
        end as start_at
    from bounds
    where end_at is not null
),

w as (
    -- nothing seen inside the window: it is its end alone (no gain)
    select
        end_at,
        case when start_at is null or start_at > end_at then end_at else start_at end as start_at
    from chosen
),

s as (
    select f.* from marts.fct_hiscore_snapshots as f, w
    where f.player_id = %(player)s and f.captured_at = w.start_at
),

e as (
    select f.* from marts.fct_hiscore_snapshots as f, w
    where f.player_id = %(player)s and f.captured_at = w.end_at
),

ends as (
    select
        coalesce(e.metric_kind, s.metric_kind) as metric_kind,
        coalesce(e.metric, s.metric) as metric,
        e.metric_position,
        coalesce(s.value, -1) as start_value,
        coalesce(e.value, -1) as end_value,
        coalesce(s.rank, -1) as start_rank,
        coalesce(e.rank, -1) as end_rank,
        -- a skill missing from one end is at its floor there (Hitpoints 10, others 1)
        case when coalesce(e.metric_kind, s.metric_kind) = 'skill' then coalesce(
            s.level, {FLOOR}
        ) end as start_level,
        case when coalesce(e.metric_kind, s.metric_kind) = 'skill' then coalesce(
            e.level, {FLOOR}
        ) end as end_level
    from s full join e on s.metric_kind = e.metric_kind and s.metric = e.metric
)

select
    g.metric_kind,
    g.metric,
    {UNIT.format(t="g")} as unit,
    g.start_value,
    g.end_value,
    case
        when g.end_value < 0 then 0
        when g.metric_kind = 'skill' and g.metric = 'Overall' and g.start_value < 0 then 0
        else greatest(0, g.end_value - greatest(g.start_value, 0))
    end as gained,
    g.start_rank,
    g.end_rank,
    case when g.start_rank > 0 and g.end_rank > 0 then g.end_rank - g.start_rank end
        as rank_change,
    g.start_level,
    g.end_level,
    g.end_level - g.start_level as level_change,
    w.start_at as started_at,
    w.end_at as ended_at
from ends as g cross join w
order by {ORDER.format(t="g")}
"""

PERIOD_SQL = f"""
select
    g.metric_kind, g.metric, {UNIT.format(t="g")} as unit, g.start_value, g.end_value,
    g.gained, g.start_rank, g.end_rank, g.rank_change, g.start_level, g.end_level,
    g.level_change, g.started_at, g.ended_at
from marts.mart_player_gains as g
left join marts.fct_hiscore_snapshots as f
    on
        f.player_id = g.player_id
        and f.captured_at = g.ended_at
        and f.metric_kind = g.metric_kind
        and f.metric = g.metric
where g.player_id = %(player)s and g.period = %(period)s
order by g.metric_kind <> 'skill', f.metric_position nulls last, g.metric
"""


@router.get("/{username}/gains", summary="A player's gains over a period or any window")
def gains(
    request: Request,
    username: Username,
    marts: Annotated[Marts, Depends(marts_of)],
    period: Annotated[
        Period | None,
        Query(description="day, week (7 days), month (31) or year (365); default week."),
    ] = None,
    start: Annotated[
        str | None,
        Query(description="Window start, ISO 8601 (a date is its 00:00 UTC).", max_length=64),
    ] = None,
    end: Annotated[
        str | None,
        Query(description="Window end, ISO 8601; default: now.", max_length=64),
    ] = None,
    fmt: FormatParam = "json",
) -> Response:
    """What the player gained per metric (every metric of the window's two snapshots),
    as Wise Old Man reports it: ``start_value`` / ``end_value`` in ``unit`` (xp or score;
    -1 unranked or absent), ``gained`` = max(0, end − max(start, 0)) — 0 when the end is
    unranked (a rollback never shows as a negative gain) and for Overall from an unranked
    start (a total that dropped off the table is not new xp); ``rank_change`` = end −
    start rank (negative = climbed; null when unranked at either end); ``level_change``
    (skills; Overall on the total level); ``started_at`` / ``ended_at``: the snapshots
    the window runs between.

    ``period`` (default week): the rows of mart_player_gains — the window ends at the
    player's latest snapshot and starts at the first state seen inside the period, which
    runs back from ``as_of`` (the newest fetch); ``period_start`` in the envelope.

    ``start`` (and ``end``, default now) instead: any window, computed from
    fct_hiscore_snapshots by the same rules. It ends at the latest snapshot at or before
    ``end`` and starts at the first state seen at or after ``start``: the snapshot in
    force at ``start`` (the latest at or before it) when it was still seen then, else the
    first snapshot after ``start``; when nothing was seen inside, the window is its end
    alone (gain 0), and with no snapshot at or before ``end`` there are no rows. The
    marts store only changed snapshots and do not hold when an older one was last seen
    unchanged (mart_player_gains reads that from ``intermediate``, which the API's role
    cannot read): a snapshot followed by a later one is taken as still seen at ``start``
    (true whenever the player was fetched between ``start`` and their next change); the
    newest one was seen until the player's last successful fetch (dim_players
    ``last_found_at``). So a player not fetched at all between ``start`` and a change can
    show that change's progress here where the mart would not.

    400 for a bad ``period``, a date that is not one, ``start`` after ``end``, or
    ``period`` with ``start`` / ``end``; 404 for an unknown player. ``as_of``: the newest
    fetch of any player."""
    if period is not None and (start is not None or end is not None):
        raise bad_parameter("period", "give either period or start/end, not both")
    if start is None and end is not None:
        raise bad_parameter("start", "a window with an end needs its start")
    who = player_of(marts, username)
    as_of = gains_as_of(marts)
    extra: dict[str, Any] = {"player_id": who["player_id"], "username": who["username"]}
    if start is None:
        period = period or "week"
        rows = marts.fetch(PERIOD_SQL, {"player": who["player_id"], "period": period})
        extra |= {
            "period": period,
            "period_start": as_of - timedelta(days=PERIODS[period]) if as_of else None,
        }
    else:
        window_start = _instant(start, "start")
        window_end = _instant(end, "end") if end is not None else datetime.now(UTC)
        if window_start > window_end:
            raise bad_parameter("start", "the window's start is after its end")
        rows = marts.fetch(
            WINDOW_SQL, {"player": who["player_id"], "start": window_start, "end": window_end}
        )
        extra |= {"start": window_start, "end": window_end}
    return respond(request, rows, columns=GAIN_COLUMNS, fmt=fmt, as_of=as_of, extra=plain(extra))
