"""Charts of the marts as Vega-Lite specs (Vega-Altair), rendered on the server to SVG
(vl-convert: no browser, no network) for the API's pages, and to PNG for Dagster's
asset metadata (Markdown with an inline image, the pattern of Dagster's docs): one chart
code for both.

Every chart takes rows as the marts hold them (dicts of column → value: datetimes,
dates, Decimals, floats) and says its units: the x axis is UTC time or days, the y axis
names the currency or unit (``price (gp)``, ``xp``, ``USD``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import altair as alt
import vl_convert

# times on the axes in UTC, whatever the renderer's zone (every time in snapmart is UTC)
UTC_TIME = alt.Scale(type="utc")
# the price chart's series, named as its legend shows them
CLOSE = "daily close"
MA_7D = "7-day moving average"
MA_30D = "30-day moving average"
WIDTH = 640
HEIGHT = 260


def _plain(value: Any) -> Any:
    """A value Vega can read: ISO text for times and days, floats for Decimals."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _data(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> alt.Data:
    """Inline data (no pandas, no file): only ``columns`` of each row."""
    return alt.Data(values=[{c: _plain(row.get(c)) for c in columns} for row in rows])


def price_chart(
    closes: Sequence[Mapping[str, Any]],
    currency: str,
    title: str,
    trend: Mapping[str, Any] | None = None,
) -> alt.LayerChart:
    """An item's daily closes in one market with their 7- and 30-day moving averages
    (means over the days present, as ``mart_item_trends.ma_7d`` / ``ma_30d``), and, from
    its ``mart_item_trends`` row when given: the next day's forecast with its ~95 % band
    (``forecast_price_1d``, ``forecast_low_1d``, ``forecast_high_1d``) and the market
    value (``market_value``, a dashed rule; snapshot sources only).

    ``closes``: rows with ``day`` (UTC date) and ``close`` (price in ``currency``),
    oldest first. Raises ValueError when there are none."""
    if not closes:
        raise ValueError("no daily closes to chart")
    y_title = f"price ({currency})"
    # the series are named in words (the legend's labels): window outputs and a copy of
    # the close under its own name, folded into one line per series
    window = {"sort": [alt.SortField("day")], "ignorePeers": False}
    series = (
        alt.Chart(_data(closes, ("day", "close")))
        .transform_window(**{MA_7D: "mean(close)"}, frame=[-6, 0], **window)
        .transform_window(**{MA_30D: "mean(close)"}, frame=[-29, 0], **window)
        .transform_calculate(**{CLOSE: "datum.close"})
        .transform_fold([CLOSE, MA_7D, MA_30D], as_=["series", "price"])
        .mark_line()
        .encode(
            x=alt.X("day:T", title="UTC day", scale=UTC_TIME),
            y=alt.Y("price:Q", title=y_title, scale=alt.Scale(zero=False)),
            # the close first: the first colour and a solid line
            color=alt.Color(
                "series:N", title=None, sort=[CLOSE, MA_7D, MA_30D], legend=alt.Legend(orient="top")
            ),
            strokeDash=alt.StrokeDash("series:N", sort=[CLOSE, MA_7D, MA_30D], legend=None),
        )
    )
    layers: list[alt.Chart] = [series]
    if trend and trend.get("forecast_price_1d") is not None and trend.get("as_of") is not None:
        as_of = trend["as_of"]
        next_day = (as_of.date() if isinstance(as_of, datetime) else as_of).toordinal() + 1
        point = {
            "day": date.fromordinal(next_day),
            "forecast": trend["forecast_price_1d"],
            "low": trend.get("forecast_low_1d"),
            "high": trend.get("forecast_high_1d"),
        }
        data = _data([point], ("day", "forecast", "low", "high"))
        layers.append(
            alt.Chart(data)
            .mark_errorbar(ticks=True)
            .encode(x=alt.X("day:T", scale=UTC_TIME), y=alt.Y("low:Q", title=y_title), y2="high:Q")
        )
        layers.append(
            alt.Chart(data)
            .mark_point(shape="diamond", filled=True, size=60)
            .encode(
                x=alt.X("day:T", scale=UTC_TIME),
                y="forecast:Q",
                tooltip=["forecast:Q", "low:Q", "high:Q"],
            )
        )
    if trend and trend.get("market_value") is not None:
        layers.append(
            alt.Chart(_data([{"market_value": trend["market_value"]}], ("market_value",)))
            .mark_rule(strokeDash=[2, 4])
            .encode(y="market_value:Q", tooltip=["market_value:Q"])
        )
    return alt.layer(*layers).properties(title=title, width=WIDTH, height=HEIGHT)


def index_chart(rows: Sequence[Mapping[str, Any]], title: str) -> alt.Chart:
    """Price indexes (``mart_market_index``: ``day``, ``index_value``, points, 100 on the
    market's first day), oldest first: one market's, or, when the rows carry
    ``market_id``, a line per market. Raises ValueError when empty."""
    if not rows:
        raise ValueError("no index days to chart")
    by_market = "market_id" in rows[0]
    columns = ("market_id", "day", "index_value") if by_market else ("day", "index_value")
    encoding: dict[str, Any] = {
        "x": alt.X("day:T", title="UTC day", scale=UTC_TIME),
        "y": alt.Y("index_value:Q", title="index (points, first day = 100)").scale(zero=False),
        "tooltip": [*(["market_id:N"] if by_market else []), "day:T", "index_value:Q"],
    }
    if by_market:
        encoding["color"] = alt.Color("market_id:N", title="market")
    return (
        alt.Chart(_data(rows, columns))
        .mark_line(point=len(rows) < 40)
        .encode(**encoding)
        .properties(title=title, width=WIDTH, height=HEIGHT)
    )


def gains_chart(rows: Sequence[Mapping[str, Any]], metric: str, unit: str) -> alt.Chart:
    """One metric of one player over time (``fct_hiscore_snapshots``: ``captured_at``,
    ``value``; unranked values (-1) left out), as a step line: a snapshot holds until
    the next. ``unit``: xp, score or kc. Raises ValueError when nothing is ranked."""
    ranked = [r for r in rows if r.get("value") is not None and r["value"] >= 0]
    if not ranked:
        raise ValueError(f"no ranked {metric} snapshot to chart")
    return (
        alt.Chart(_data(ranked, ("captured_at", "value")))
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X(
                "captured_at:T",
                title="snapshot (UTC)",
                scale=UTC_TIME,
                axis=alt.Axis(format="%b %d %H:%M", labelOverlap="greedy", labelAngle=0),
            ),
            y=alt.Y("value:Q", title=f"{metric} ({unit})").scale(zero=False),
            tooltip=["captured_at:T", "value:Q"],
        )
        .properties(title=f"{metric}", width=WIDTH, height=HEIGHT)
    )


def event_price_chart(rows: Sequence[Mapping[str, Any]], currency: str, title: str) -> alt.Chart:
    """Get-in and median price of an event's sections against days to the event
    (``mart_event_prices_daily`` joined to the event date: ``days_to_event``,
    ``section``, ``get_in_price``, ``median_price``), the x axis reversed so the event
    is on the right. Raises ValueError when empty."""
    if not rows:
        raise ValueError("no event prices to chart")
    columns = ("days_to_event", "section", "get_in_price", "median_price")
    return (
        alt.Chart(_data(rows, columns))
        .transform_fold(["get_in_price", "median_price"], as_=["measure", "price"])
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "days_to_event:Q",
                title="days to the event",
                scale=alt.Scale(reverse=True),
                axis=alt.Axis(tickMinStep=1, format="d"),
            ),
            y=alt.Y("price:Q", title=f"price ({currency})"),
            color=alt.Color("section:N", title="section"),
            strokeDash=alt.StrokeDash("measure:N", title=None),
            tooltip=["section:N", "measure:N", "days_to_event:Q", "price:Q"],
        )
        .properties(title=title, width=WIDTH, height=HEIGHT)
    )


def svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG document (text), rendered here by vl-convert."""
    return vl_convert.vegalite_to_svg(chart.to_dict())


def png_markdown(chart: alt.TopLevelMixin, alt_text: str) -> str:
    """The chart as Markdown holding an inline PNG (base64): what Dagster's UI shows for
    a ``MetadataValue.md`` (it renders no SVG or Vega-Lite of its own)."""
    png = vl_convert.vegalite_to_png(chart.to_dict(), scale=1)
    return f"![{alt_text}](data:image/png;base64,{base64.b64encode(png).decode()})"
