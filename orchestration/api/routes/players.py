"""``/v1/players/{username}``: an OSRS player (``marts.dim_players``) and their latest
hiscores snapshot (``marts.fct_hiscore_snapshots``), their records
(``marts.mart_player_records``) and achievements (``marts.mart_player_achievements``).
Also what ``player_gains`` and ``leaderboards`` share: the periods, the player's name and
the metric names. Gains are in ``player_gains``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from orchestration.api.db import Marts, marts_of
from orchestration.api.problems import bad_parameter, not_found
from orchestration.api.respond import json_value, respond
from orchestration.api.routes import FormatParam

router = APIRouter(prefix="/players", tags=["players"])

# Wise Old Man's periods, as the marts measure them (dbt macro hiscore_periods)
PERIODS = {"day": 1, "week": 7, "month": 31, "year": 365}
Period = Literal["day", "week", "month", "year"]

# the characters the game allows in a display name (the players config's check)
USERNAME = r"^[A-Za-z0-9 _-]+$"
# dbt macro player_id: case folded, '-', '_' and spaces alike, ends trimmed
PLAYER_ID = "'osrs:' || lower(regexp_replace(btrim(%(name)s::text), '[-_[:space:]]+', ' ', 'g'))"

PLAYER_FIELDS = (
    "player_id",
    "username",
    "account_type",
    "group_names",
    "is_tracked",
    "last_fetched_at",
    "last_changed_at",
    "last_fetch_status",
    "last_http_status",
    "last_detail",
    "last_found_at",
    "fetch_count",
    "total_level",
    "overall_xp",
    "last_fetch_source",
)
STAT_COLUMNS = ("metric_kind", "metric", "unit", "rank", "level", "value", "captured_at")
RECORD_COLUMNS = ("period", "metric_kind", "metric", "unit", "gained", "started_at", "ended_at")
ACHIEVEMENT_COLUMNS = (
    "achievement_id",
    "achievement_name",
    "measure",
    "metric",
    "threshold",
    "measured_value",
    "achieved_at",
    "first_seen_at",
    "is_date_known",
)
# skills are counted in xp, activities (bosses, clues, minigames) in their score
UNIT = "case when {t}.metric_kind = 'skill' then 'xp' else 'score' end"
# hiscores order: skills (Overall first) then activities, as the newest answer lists them
ORDER = "{t}.metric_kind <> 'skill', {t}.metric_position nulls last, {t}.metric"

Username = Annotated[
    str,
    Path(
        description=(
            "The OSRS name, any spelling of it: case, spaces, '_' and '-' alike "
            "(`lynx_titan` is Lynx Titan)."
        ),
        max_length=64,
        pattern=USERNAME,
    ),
]
MetricParam = Annotated[
    str | None,
    Query(
        description=(
            "A skill or activity, as the hiscores name it (`Attack`, `Clue Scrolls (all)`) "
            "or as Wise Old Man does (`clue_scrolls_all`): case and punctuation ignored."
        ),
        max_length=100,
    ),
]


def plain(values: dict[str, Any]) -> dict[str, Any]:
    """Envelope members as the JSON holds them (``respond`` converts ``data`` only)."""
    return {k: json_value(v) for k, v in values.items()}


def _fold(name: str) -> str:
    """A metric name reduced to letters and digits, lower case: the hiscores' "Clue
    Scrolls (all)" and Wise Old Man's "clue_scrolls_all" fold alike."""
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def metric_of(marts: Marts, asked: str, parameter: str = "metric") -> tuple[str, str]:
    """(metric_kind, metric) the name ``asked`` means, among the metrics of every player's
    newest snapshot; a 400 naming ``parameter`` for a name the hiscores do not have."""
    rows = marts.fetch(
        """
        select distinct f.metric_kind, f.metric
        from marts.dim_players as p
        cross join lateral (
            select s.metric_kind, s.metric
            from marts.fct_hiscore_snapshots as s
            where s.player_id = p.player_id and s.captured_at = p.last_changed_at
        ) as f
        order by f.metric_kind desc, f.metric
        """
    )
    for row in rows:  # skills first: a name both kinds had would mean the skill
        if _fold(row["metric"]) == _fold(asked) and _fold(asked):
            return row["metric_kind"], row["metric"]
    problem = bad_parameter(parameter, f"{asked[:40]!r} is not a skill or activity of the hiscores")
    problem.extra["allowed"] = [row["metric"] for row in rows]
    raise problem


def player_of(marts: Marts, username: str) -> dict[str, Any]:
    """The player's dim_players row, whatever spelling of the name was asked; a 404
    Problem when the marts know no such player."""
    rows = marts.fetch(
        f"select {', '.join(PLAYER_FIELDS)} from marts.dim_players where player_id = {PLAYER_ID}",
        {"name": username},
    )
    if not rows:
        raise not_found(f"player {username.strip()!r}")
    return rows[0]


def gains_as_of(marts: Marts) -> datetime | None:
    """The time gains are measured at: the newest fetch of any player (mart_player_gains'
    ``as_of``: dim_players' newest ``last_fetched_at``)."""
    return marts.fetch("select max(last_fetched_at) as as_of from marts.dim_players")[0]["as_of"]


@router.get("/{username}", summary="A player and their latest hiscores stats")
def player(
    request: Request,
    username: Username,
    marts: Annotated[Marts, Depends(marts_of)],
    fmt: FormatParam = "json",
) -> Response:
    """The player (``player``: dim_players — ``player_id``, ``username`` as configured,
    ``account_type``, ``group_names``, ``is_tracked``, ``last_fetched_at``,
    ``last_changed_at``, ``last_fetch_status`` changed / unchanged / not_found / failed,
    ``total_level``, ``overall_xp``, …) and ``data``: each metric of their newest snapshot
    (``captured_at``), skills first in the hiscores' order: ``rank`` (-1 unranked),
    ``level`` (skills: 1 where unranked, Hitpoints 10; Overall the total level recomputed
    from the skills; null for activities), ``value`` in ``unit`` (``xp`` for skills,
    ``score`` — kills, clues, points — for activities; -1 unranked). A player fetched but
    never found (404 on the hiscores) has no stats: empty ``data``. The marts hold no EHP
    or EHB. ``as_of``: the player's newest fetch. 404 for a name the marts do not know."""
    who = player_of(marts, username)
    rows = marts.fetch(
        f"""
        select f.metric_kind, f.metric, {UNIT.format(t="f")} as unit, f.rank, f.level, f.value,
            f.captured_at
        from marts.fct_hiscore_snapshots as f
        where f.player_id = %(player)s and f.captured_at = %(at)s
        order by {ORDER.format(t="f")}
        """,
        {"player": who["player_id"], "at": who["last_changed_at"]},
    )
    return respond(
        request,
        rows,
        columns=STAT_COLUMNS,
        fmt=fmt,
        as_of=who["last_fetched_at"],
        extra={"player": plain(who)},
        headers={"Snapmart-Player-Id": who["player_id"]} if fmt == "csv" else None,
    )


@router.get("/{username}/records", summary="A player's best gain per period and metric")
def records(
    request: Request,
    username: Username,
    marts: Annotated[Marts, Depends(marts_of)],
    period: Annotated[Period | None, Query(description="Only this period.")] = None,
    metric: MetricParam = None,
    fmt: FormatParam = "json",
) -> Response:
    """The player's records (mart_player_records): per ``period`` × metric the best
    ``gained`` (in ``unit``) of any window the mart measured — one ending at each
    snapshot, starting at the first state seen inside the period before it — with the
    snapshots it ran between (``started_at``, ``ended_at``: the earliest if tied). Only
    positive gains are records; a metric the hiscores added late (Collections Logged,
    Spindel, Calvar'ion, Artio) has none from its unranked start. Periods day → year,
    then skills before activities. ``as_of``: the player's newest fetch. 400 for a bad
    ``period`` or ``metric``, 404 for an unknown player."""
    who = player_of(marts, username)
    kind, name = metric_of(marts, metric) if metric is not None else (None, None)
    rows = marts.fetch(
        f"""
        select r.period, r.metric_kind, r.metric, {UNIT.format(t="r")} as unit, r.gained,
            r.started_at, r.ended_at
        from marts.mart_player_records as r
        where
            r.player_id = %(player)s
            and (%(period)s::text is null or r.period = %(period)s::text)
            and (%(metric)s::text is null or (r.metric_kind, r.metric) = (%(kind)s, %(metric)s))
        order by
            array_position(array['day', 'week', 'month', 'year'], r.period::text),
            r.metric_kind <> 'skill', r.metric
        """,
        {"player": who["player_id"], "period": period, "kind": kind, "metric": name},
    )
    extra = {"player_id": who["player_id"], "username": who["username"]}
    return respond(
        request, rows, columns=RECORD_COLUMNS, fmt=fmt, as_of=who["last_fetched_at"], extra=extra
    )


@router.get("/{username}/achievements", summary="A player's achievements")
def achievements(
    request: Request,
    username: Username,
    marts: Annotated[Marts, Depends(marts_of)],
    fmt: FormatParam = "json",
) -> Response:
    """The player's achievements (mart_player_achievements; thresholds from the
    achievement_thresholds seed: 99s, 50m / 200m xp, base and total levels, overall xp,
    100 / 500 / 1,000 kills or clues), newest first: ``measure`` (skill_level, skill_xp,
    base_level, total_level, overall_xp, activity_score) of ``metric`` reached
    ``threshold`` (``measured_value`` in the snapshot that first met it).
    ``achieved_at``: that snapshot's time, null when it was met already in the player's
    first snapshot (or by a late-added metric's first ranked value): the date is
    unknown, ``is_date_known`` false; ``first_seen_at`` is that first snapshot either
    way. ``as_of``: the player's newest fetch. 404 for an unknown player."""
    who = player_of(marts, username)
    rows = marts.fetch(
        f"""
        select {", ".join(ACHIEVEMENT_COLUMNS)}
        from marts.mart_player_achievements
        where player_id = %s
        order by first_seen_at desc, achievement_id, metric
        """,
        (who["player_id"],),
    )
    extra = {"player_id": who["player_id"], "username": who["username"]}
    return respond(
        request,
        rows,
        columns=ACHIEVEMENT_COLUMNS,
        fmt=fmt,
        as_of=who["last_fetched_at"],
        extra=extra,
    )
