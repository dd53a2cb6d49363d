"""What a dbt materialization tells the UI besides "done" (docs/architecture.md): rows, the time
window it covers, a preview of a mart's first rows, and for the main marts a picture.

Costs follow the run, not the history: an incremental fact reports the rows and time
window of its newest load (through its load-id index), other incremental models the
planner's row estimate; a mart, rebuilt whole anyway, is counted and previewed; views
report nothing (they hold no rows).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from dagster import AssetMaterialization, MetadataValue, Output
from psycopg import sql

from orchestration import warehouse

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


def enrich(events: Iterator[Any], manifest: Path) -> Iterator[Any]:
    """Pass dagster-dbt's events through, adding our metadata to each materialization.
    A failure to describe a table never fails the build: the step log says why."""
    nodes = _nodes(str(manifest))
    conn = None
    try:
        for event in events:
            if isinstance(event, Output | AssetMaterialization):
                uid = event.metadata.get("unique_id")
                node = nodes.get(getattr(uid, "value", uid) or "")
                if node and node["materialized"] in ("table", "incremental", "seed"):
                    conn = conn or warehouse.connect(autocommit=True)
                    try:
                        extra = describe(conn, node)
                    except Exception as exc:  # noqa: BLE001 - metadata is best effort
                        extra = {"metadata_error": str(exc)[:300]}
                    event = event.with_metadata({**event.metadata, **extra})
            yield event
    finally:
        if conn is not None:
            conn.close()


def describe(conn: Any, node: dict[str, Any]) -> dict[str, Any]:
    table = sql.Identifier(node["schema"], node["name"])
    name = node["name"]
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
    plot = PLOTS.get(name)
    if plot:
        picture = plot(conn)
        if picture:
            out["plot"] = MetadataValue.md(picture)
    return out


def _markdown(columns: list[str], rows: list[tuple]) -> str:
    def cell(v: Any) -> str:
        return ("" if v is None else str(v)).replace("|", "\\|")[:40]

    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(cell(v) for v in r) + " |\n" for r in rows)


# --------------------------------------------------------------------------- plots


def svg_line_chart(
    series: dict[str, list[tuple[Any, float]]], title: str, width: int = 640, height: int = 220
) -> str:
    """A dependency-free line chart (SVG) of one or more series of (x label, y)."""
    colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"]
    ys = [y for points in series.values() for _, y in points]
    if not ys:
        return ""
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or 1.0
    pad = 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        ' font-family="sans-serif" font-size="11">',
        f'<text x="{pad}" y="14">{_esc(title)}</text>',
        f'<text x="2" y="{pad}">{hi:,.1f}</text><text x="2" y="{height - 6}">{lo:,.1f}</text>',
    ]
    for i, (label, points) in enumerate(series.items()):
        n = max(len(points) - 1, 1)
        coords = " ".join(
            f"{pad + 30 + (width - pad - 40) * k / n:.1f},"
            f"{height - pad + 10 - (height - pad - 20) * (y - lo) / span:.1f}"
            for k, (_, y) in enumerate(points)
        )
        color = colors[i % len(colors)]
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{coords}"/>'
        )
        parts.append(
            f'<text x="{width - 150}" y="{14 + 13 * i}" fill="{color}">{_esc(label)}</text>'
        )
    parts.append("</svg>")
    encoded = base64.b64encode("".join(parts).encode()).decode()
    return f"![{_esc(title)}](data:image/svg+xml;base64,{encoded})"


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plot_market_index(conn: Any) -> str:
    rows = conn.execute(
        """select m.market_id, m.day, m.index_value from marts.mart_market_index as m
        where m.day >= (select max(i.day) - 60 from marts.mart_market_index as i)
        order by m.market_id, m.day"""
    ).fetchall()
    series: dict[str, list[tuple[Any, float]]] = {}
    for market, day, value in rows:
        series.setdefault(market, []).append((day, float(value)))
    return svg_line_chart(dict(list(series.items())[:5]), "Market index (last 60 days)")


def _plot_top_mover(conn: Any) -> str:
    top = conn.execute(
        """select t.market_id, t.item_id from marts.mart_item_trends as t
        where t.change_1d_pct is not null order by abs(t.change_1d_pct) desc limit 1"""
    ).fetchone()
    if top is None:
        return ""
    rows = conn.execute(
        """select h.bucket_start, h.close from marts.fct_prices_hourly as h
        where h.market_id = %s and h.item_id = %s
            and h.bucket_start >= (
                select max(l.bucket_start) - interval '7 days' from marts.fct_prices_hourly as l
                where l.market_id = %s and l.item_id = %s)
        order by h.bucket_start""",
        (top[0], top[1], top[0], top[1]),
    ).fetchall()
    points = [(t, float(c)) for t, c in rows if c is not None]
    return svg_line_chart({top[1]: points}, f"Top mover {top[1]}: hourly close, 7 days")


PLOTS: dict[str, Callable[[Any], str]] = {
    "mart_market_index": _plot_market_index,
    "mart_item_trends": _plot_top_mover,
}
