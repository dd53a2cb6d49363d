"""What a dbt materialization tells the UI besides "done" (docs/architecture.md): rows, the time
window it covers, a preview of a mart's first rows, and for the main marts their recent
history as Dagster tables and numbers (the UI charts numbers across materializations).

Costs follow the run, not the history: an incremental fact reports the rows and time
window of its newest load (through its load-id index), other incremental models the
planner's row estimate; a mart, rebuilt whole anyway, is counted and previewed; views
report nothing (they hold no rows), but for the few in ``LISTS``, small lists a person
reads (the profile lines the catalogue does not know), which report what they list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from dagster import (
    AssetMaterialization,
    MetadataValue,
    Output,
    TableColumn,
    TableRecord,
    TableSchema,
)
from psycopg import sql

from orchestration import charts, warehouse

# Incremental facts: their time column, and the column naming the load a row came from.
FACT_WINDOWS: dict[str, tuple[str, str]] = {
    "fct_price_observations": ("observed_at", "load_id"),
    "fct_prices_hourly": ("bucket_start", "max_load_id"),
    "fct_prices_daily": ("bucket_start", "max_load_id"),
    "fct_prices_weekly": ("bucket_start", "max_load_id"),
    "fct_prices_monthly": ("bucket_start", "max_load_id"),
}
PREVIEW_ROWS = 5


@cache
def _nodes(manifest: str) -> dict[str, dict[str, Any]]:
    nodes = json.loads(Path(manifest).read_text())["nodes"]
    return {
        uid: {
            "schema": n["schema"],
            "name": n.get("alias") or n["name"],
            "materialized": n["config"].get("materialized"),
        }
        for uid, n in nodes.items()
        if n["resource_type"] in ("model", "seed")
    }


def enrich(
    events: Iterator[Any],
    manifest: Path,
    info: warehouse.ConnectionInfo | None = None,
    last_metadata: Callable[[str], Mapping[str, Any] | None] | None = None,
) -> Iterator[Any]:
    """Pass dagster-dbt's events through, adding our metadata to each materialization.
    A failure to describe a table never fails the build: the step log says why.

    ``last_metadata(unique_id)``: the metadata of the node's previous materialization
    (None if none), which tells whether ``mart_market_index`` has a new day and so a new
    chart (:func:`index_chart`); without it, no chart."""
    nodes = _nodes(str(manifest))
    conn = None
    try:
        for event in events:
            if isinstance(event, Output | AssetMaterialization):
                uid = event.metadata.get("unique_id")
                node = nodes.get(getattr(uid, "value", uid) or "")
                if node and (
                    node["materialized"] in ("table", "incremental", "seed")
                    or node["name"] in LISTS
                ):
                    conn = conn or warehouse.connect(info, autocommit=True)
                    try:
                        extra = describe(conn, node)
                        if node["name"] == "mart_market_index" and last_metadata is not None:
                            extra.update(index_chart(conn, extra, last_metadata(uid_text(uid))))
                    except Exception as exc:  # noqa: BLE001 - metadata is best effort
                        extra = {"metadata_error": str(exc)[:300]}
                    event = event.with_metadata({**event.metadata, **extra})
            yield event
    finally:
        if conn is not None:
            conn.close()


def describe(conn: Any, node: dict[str, Any]) -> dict[str, Any]:
    """Metadata for one materialized dbt node: an incremental fact's rows and time window of
    its newest load; another incremental model's planner row estimate and preview; a table
    or seed's row count, preview, the time window of its first time column, and the
    series of a main mart. Queries run on ``conn``; errors propagate (``enrich`` catches
    them)."""
    table = sql.Identifier(node["schema"], node["name"])
    name = node["name"]
    if name in LISTS:
        return LISTS[name](conn)
    if name in FACT_WINDOWS:
        time_col, load_col = (sql.Identifier(c) for c in FACT_WINDOWS[name])
        rows, first, last = conn.execute(
            sql.SQL(
                "select count(*), min({t}), max({t}) from {tbl}"
                " where {l} = (select max({l}) from {tbl})"
            ).format(t=time_col, l=load_col, tbl=table)
        ).fetchone()
        return {
            "rows_in_newest_load": rows,
            "time_window": f"{first:%F %H:%M} → {last:%F %H:%M} UTC" if first else "empty",
        }
    cur = conn.execute(sql.SQL("select * from {} limit %s").format(table), (PREVIEW_ROWS,))
    columns = [d.name for d in cur.description]
    out: dict[str, Any] = {"preview": MetadataValue.md(_markdown(columns, cur.fetchall()))}
    if node["materialized"] == "incremental":
        # other incremental models grow with history: the planner's estimate, no scan
        estimate = conn.execute(
            "select reltuples::bigint from pg_class where oid = %s::regclass",
            (f'"{node["schema"]}"."{name}"',),
        ).fetchone()[0]
        out["rows_estimate"] = max(int(estimate), 0)
        return out
    out["rows"] = conn.execute(sql.SQL("select count(*) from {}").format(table)).fetchone()[0]
    for column in ("as_of", "updated_at", "day", "bucket_start"):
        if column in columns:
            first, last = conn.execute(
                sql.SQL("select min({c}), max({c}) from {t}").format(
                    c=sql.Identifier(column), t=table
                )
            ).fetchone()
            out["time_window"] = f"{first} → {last}" if first is not None else "empty"
            break
    series = SERIES.get(name)
    if series:
        out.update(series(conn))
    return out


def _markdown(columns: list[str], rows: list[tuple]) -> str:
    def cell(v: Any) -> str:
        return ("" if v is None else str(v)).replace("|", "\\|")[:40]

    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(cell(v) for v in r) + " |\n" for r in rows)


# --------------------------------------------------------------------------- series
# Dagster's own types, which the UI draws itself: a table (with its schema) of the recent
# history, and numbers, which the asset's Plots tab charts across materializations, dated.

MAX_MARKETS = 5  # columns of the market index table and numbers, first markets by id
INDEX_DAYS = 60
MOVER_DAYS = 7


def _index_rows(conn: Any) -> list[tuple]:
    """(market_id, day, index_value) of every market's last INDEX_DAYS days, by market
    and day."""
    return conn.execute(
        """select m.market_id, m.day, m.index_value from marts.mart_market_index as m
        where m.day >= (select max(i.day) - %s::int from marts.mart_market_index as i)
        order by m.market_id, m.day""",
        (INDEX_DAYS,),
    ).fetchall()


def _market_index(conn: Any) -> dict[str, Any]:
    """The index of each market, last INDEX_DAYS days (a table, a column per market), and
    each market's newest value (a number per market)."""
    rows = _index_rows(conn)
    markets = sorted({market for market, _, _ in rows})[:MAX_MARKETS]
    by_day: dict[Any, dict[str, float]] = {}
    newest: dict[str, float] = {}
    for market, day, value in rows:
        if market in markets and value is not None:
            by_day.setdefault(day, {})[market] = float(value)
            newest[market] = float(value)  # rows come by day within a market
    if not by_day:
        return {}
    schema = TableSchema(
        columns=[
            TableColumn("day", "date"),
            *(TableColumn(m, "float", description=f"index of {m}") for m in markets),
        ]
    )
    records = [
        TableRecord({"day": day.isoformat(), **{m: values.get(m) for m in markets}})
        for day, values in sorted(by_day.items())
    ]
    out: dict[str, Any] = {
        "index_history": MetadataValue.table(records=records, schema=schema),
        "index_newest_day": MetadataValue.text(max(by_day).isoformat()),
    }
    for market, value in newest.items():
        out[f"index_{market}"] = MetadataValue.float(value)
    return out


def uid_text(uid: Any) -> str:
    """A ``unique_id`` metadata entry (a text value or plain text) as text."""
    return str(getattr(uid, "value", uid))


def index_chart(
    conn: Any, current: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``index_chart``: the indexes of every market over the last INDEX_DAYS days, as a
    PNG in Markdown (``orchestration.charts``, the chart code of the API's pages), when
    the newest index day differs from the previous materialization's: once a UTC day,
    not at every tick (a chart is ≈ 90 kB of event log). {} otherwise."""
    day = current.get("index_newest_day")
    before = (previous or {}).get("index_newest_day")
    if day is None or (before is not None and uid_text(before) == uid_text(day)):
        return {}
    rows = _index_rows(conn)
    data = [{"market_id": m, "day": d, "index_value": v} for m, d, v in rows]
    chart = charts.index_chart(data, f"Price index by market, to {uid_text(day)}")
    return {"index_chart": MetadataValue.md(charts.png_markdown(chart, "price index by market"))}


def _top_mover(conn: Any) -> dict[str, Any]:
    """The item that moved most in a day: its name, its move (a number), and its hourly
    closes over the last MOVER_DAYS days (a table)."""
    top = conn.execute(
        """select t.market_id, t.item_id, t.change_1d_pct from marts.mart_item_trends as t
        where t.change_1d_pct is not null order by abs(t.change_1d_pct) desc limit 1"""
    ).fetchone()
    if top is None:
        return {}
    market, item, change = top
    rows = conn.execute(
        """select h.bucket_start, h.close from marts.fct_prices_hourly as h
        where h.market_id = %s and h.item_id = %s
            and h.bucket_start >= (
                select max(l.bucket_start) - make_interval(days => %s::int)
                from marts.fct_prices_hourly as l
                where l.market_id = %s and l.item_id = %s)
        order by h.bucket_start""",
        (market, item, MOVER_DAYS, market, item),
    ).fetchall()
    schema = TableSchema(
        columns=[TableColumn("bucket_start", "timestamp"), TableColumn("close", "float")]
    )
    records = [
        TableRecord({"bucket_start": t.isoformat(), "close": float(c)})
        for t, c in rows
        if c is not None
    ]
    return {
        "top_mover": MetadataValue.text(f"{market}/{item}"),
        "top_mover_change_1d_pct": MetadataValue.float(float(change)),
        "top_mover_hourly_close": MetadataValue.table(records=records, schema=schema),
    }


SERIES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "mart_market_index": _market_index,
    "mart_item_trends": _top_mover,
}


# --------------------------------------------------------------------------- lists

REJECTED_LINES_SHOWN = 200  # the lines listed; the count is all of them


def _rejected_profile_lines(conn: Any) -> dict[str, Any]:
    """The loaded profile lines the catalogue does not know (a view): how many, and each
    one's reason, "<file> line <n>: …" (the CLI prints them, the UI lists them)."""
    from orchestration import user_state

    rejects = user_state.catalogue_rejects(conn)
    return {
        "rows": len(rejects),
        "rejected_lines": MetadataValue.json(
            [{"line": pointer, "reason": reason} for pointer, reason in rejects][
                :REJECTED_LINES_SHOWN
            ]
        ),
    }


# Views that report what they hold: model name → its metadata.
LISTS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "int_user_state__rejected_lines": _rejected_profile_lines,
}
