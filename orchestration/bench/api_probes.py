"""What the api suite of ``snapmart bench`` (orchestration/bench/api.py) asks: the endpoint
families (each one request, and the same question asked of the marts directly in SQL),
the entities they name, and the data it adds to the prices suite's warehouse for them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

from orchestration import warehouse
from orchestration.bench.measure import time_it
from orchestration.bench.prices import T0

# orchestration/defs/transform.py's HEALTH_VIEWS (importing it would load Dagster)
HEALTH_VIEWS = ("mart_pipeline_runs", "mart_source_health", "mart_fetch_gaps")


@dataclass(frozen=True)
class Probe:
    """One endpoint family: the request (``route`` as ``/openapi.json`` names it, ``path``
    filled in, query ``params``, a JSON ``body`` for a POST) and ``sql``, the same question
    asked of the marts directly (parameters from the context); ``raw`` names the queries
    suite's on-the-fly equivalent, if any."""

    family: str
    kind: str  # "single" (one entity) or "list"
    route: str
    path: str
    sql: str
    params: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    raw: str | None = None

    @property
    def method(self) -> str:
        """``post`` for a probe with a body, else ``get`` (as ``/openapi.json`` names them)."""
        return "post" if self.body is not None else "get"


def probes(ctx: dict[str, Any]) -> list[Probe]:
    """The families measured when the server has them; ``ctx``: market, item, player,
    symbols (what the warehouse holds)."""
    m, item, player = (quote(ctx[k], safe="") for k in ("market", "item", "player"))
    return [
        Probe("health", "list", "/v1/health", "/v1/health",
              """select distinct on (source) * from marts.mart_source_health where ticks > 0
                 order by source, hour_start desc"""),
        Probe("markets list", "list", "/v1/markets", "/v1/markets",
              "select * from marts.dim_markets order by market_id limit 101"),
        Probe("market index", "single", "/v1/markets/{market_id}/index",
              f"/v1/markets/{m}/index",
              """select day, index_value, change_pct, items from marts.mart_market_index
                 where market_id = %(market)s and day > (select max(day)
                   from marts.mart_market_index where market_id = %(market)s) - 30
                 order by day""", {"days": "30"}),
        Probe("movers", "list", "/v1/markets/{market_id}/movers", f"/v1/markets/{m}/movers",
              """select mv.*, i.item_name from marts.mart_movers as mv
                 left join marts.dim_items as i using (item_id)
                 where mv.market_id = %(market)s and mv."window" = '1d'
                 order by mv.rank_abs, mv.item_id limit 21""",
              {"window": "1d", "sort": "abs", "limit": "20"}, raw="top movers of a market (1d)"),
        Probe("prices latest", "single", "/v1/prices/latest", "/v1/prices/latest",
              """select * from marts.mart_latest_prices where upper(symbol) = any(%(upper_latest)s)
                 order by upper(symbol), is_tracked desc, source""",
              {"symbols": ",".join(ctx["latest"])}),
        Probe("prices batch", "single", "/v1/prices/batch", "/v1/prices/batch",
              """select * from marts.mart_latest_prices where upper(symbol) = any(%(upper_symbols)s)
                 order by upper(symbol), is_tracked desc, source""",
              body={"symbols": ctx["symbols"]}),
        Probe("player", "single", "/v1/players/{username}", f"/v1/players/{player}",
              """select f.* from marts.fct_hiscore_snapshots as f
                 join marts.dim_players as p on p.player_id = f.player_id
                   and f.captured_at = p.last_changed_at
                 where p.username = %(player)s order by f.metric_kind <> 'skill',
                   f.metric_position nulls last, f.metric"""),
        Probe("player gains", "single", "/v1/players/{username}/gains",
              f"/v1/players/{player}/gains",
              """select g.* from marts.mart_player_gains as g
                 where g.username = %(player)s and g.period = 'week'
                 order by g.metric_kind <> 'skill', g.metric""",
              {"period": "week"}, raw="a player's gains (week)"),
        Probe("player records", "single", "/v1/players/{username}/records",
              f"/v1/players/{player}/records",
              """select r.* from marts.mart_player_records as r
                 join marts.dim_players as p using (player_id) where p.username = %(player)s
                 order by r.period, r.metric_kind <> 'skill', r.metric"""),
        Probe("player achievements", "single", "/v1/players/{username}/achievements",
              f"/v1/players/{player}/achievements",
              """select a.* from marts.mart_player_achievements as a
                 join marts.dim_players as p using (player_id) where p.username = %(player)s
                 order by a.first_seen_at desc, a.achievement_id, a.metric"""),
        Probe("leaderboard", "list", "/v1/leaderboards", "/v1/leaderboards",
              """select rank() over (order by g.gained desc) as position, g.*
                 from marts.mart_player_gains as g
                 join marts.dim_players as p using (player_id)
                 where p.is_tracked and g.period = 'week' and g.metric = 'Overall'
                 order by position, g.player_id limit 21""",
              {"metric": "Overall", "period": "week"}),
        # the item and market routes, measured once the server has them
        Probe("item", "single", "/v1/items/{item_id}", f"/v1/items/{item}",
              "select * from marts.mart_item_trends where item_id = %(item)s"),
        Probe("item history (1y)", "single", "/v1/items/{item_id}/history",
              f"/v1/items/{item}/history",
              """select bucket_start, open, high, low, close, volume from marts.fct_prices_daily
                 where market_id = %(market)s and item_id = %(item)s
                   and bucket_start >= %(since)s order by bucket_start""",
              {"market_id": ctx["market"], "range": "1y"}, raw="an item's 1-year daily history"),
        Probe("scanner", "list", "/v1/markets/{market_id}/scanner", f"/v1/markets/{m}/scanner",
              """select * from marts.mart_market_scanner where market_id = %(market)s
                   and buy_expected_profit > 10 and buy_margin_pct > 1
                 order by buy_expected_profit desc, item_id limit 51""",
              {"min_profit": "10", "min_margin_pct": "1", "limit": "50"},
              raw="the scanner filtered by profit and margin"),
        Probe("volatility", "list", "/v1/markets/{market_id}/volatility",
              f"/v1/markets/{m}/volatility",
              """select * from marts.mart_volatility_rankings where market_id = %(market)s
                 order by rank, item_id limit 21""", {"limit": "20"}),
    ]  # fmt: skip


def build_history(
    info: warehouse.ConnectionInfo, params: dict[str, int], log: Callable[[str], None]
) -> None:
    """The prices suite's history (all of it, one full build, no ticks and no measures):
    what ``--suite api`` stands on when the prices suite is not run."""
    from ingestion.simulator.writer import write_osrs_hiscores, write_osrs_prices
    from orchestration.bench.prices import load_sources, run_build, write_mapping

    write_mapping(params, T0 - timedelta(minutes=1))
    write_osrs_prices(
        params["price_days"],
        n_items=params["price_items"],
        end=T0,
        latest_every=timedelta(days=100_000),
    )
    write_osrs_hiscores(params["player_days"], end=T0, every=timedelta(days=1))
    load_s, rows = load_sources(("osrs_prices", "osrs_hiscores"))
    with warehouse.connect(info, autocommit=True) as conn:
        conn.execute("analyze")
    build_s, _ = run_build()
    log(f"api: the prices history ({rows:,} rows) loaded in {load_s:.0f} s, built in "
        f"{build_s:.0f} s")  # fmt: skip


def add_exchanges_and_ticks(
    info: warehouse.ConnectionInfo, params: dict[str, int], log: Callable[[str], None]
) -> dict[str, Any]:
    """A small exchange history (loaded and built as a tick builds it) and one recorded
    tick per source; returns what it did, for the detail."""
    from ingestion.simulator.exchanges import assets, tracked_assets_csv
    from ingestion.simulator.writer import write_exchanges
    from orchestration import ingest, metrics, transform

    config = Path(os.environ["SNAPMART_LANDING_DIR"]).parent / "tracked_assets.csv"
    config.write_text(tracked_assets_csv(assets(params["api_assets"])))
    days = str(params["api_asset_days"])
    history = {f"SOURCES__{s}__HISTORY_DAYS": days for s in ("BINANCE", "YAHOO_FINANCE")}
    started = time.time()
    with mock.patch.dict(os.environ, history):
        write_exchanges(seed=11, end=T0, assets_file=config, n_assets=params["api_assets"])
    ticks = []
    for source in ("binance", "yahoo_finance"):
        tick = metrics.SourceTick(source, "bench")
        tick.loaded(ingest.load_source(source))
        ticks.append(tick)
    # as a tick of the two sources builds; with the health views, which read staging views
    # the selection replaces (dbt drops a replaced view "cascade", and views on it with it)
    select = " ".join(("@source:binance @source:yahoo_finance", *HEALTH_VIEWS))
    build_s, built = time_it(
        lambda: transform.run_dbt("build", select, unit_tests=False, tests_since_load=started)
    )
    if not built.success:
        raise RuntimeError(f"dbt build of the api suite's exchanges failed: {built.error}")
    # the prices history's loads ran outside ticks: one tick each, so health has rows
    ticks += [metrics.SourceTick(s, "bench") for s in ("osrs_prices", "osrs_hiscores")]
    metrics.record(ticks, info)
    seconds = time.time() - started
    log(f"api: {params['api_assets']} exchange assets × {days} days added and built in "
        f"{seconds:.0f} s (build {build_s:.0f} s)")  # fmt: skip
    return {"exchange_assets": params["api_assets"], "exchange_days": params["api_asset_days"],
            "exchange_seconds": round(seconds, 1)}  # fmt: skip


def context(info: warehouse.ConnectionInfo) -> dict[str, Any]:
    """The entities asked for: the prices suite's market, its item and player (picked as
    the queries suite picks them), and every exchange symbol (up to 20)."""
    with warehouse.connect(info) as conn:
        item = conn.execute(
            "select item_id from marts.fct_prices_daily where market_id = 'osrs-ge'"
            " group by item_id order by count(*) desc, item_id limit 1"
        ).fetchone()[0]
        player = conn.execute(
            "select username from marts.mart_player_gains where period = 'week'"
            " group by username order by sum(gained) desc, username limit 1"
        ).fetchone()[0]
        symbols = [r[0] for r in conn.execute(
            "select distinct symbol from marts.mart_latest_prices order by symbol limit 20"
        )]  # fmt: skip
    # /v1/prices/latest asks for three, the batch for all of them
    latest = [s for s in ("BTC", "ETH", "AAPL") if s in symbols] or symbols[:3]
    return {"market": "osrs-ge", "item": item, "player": player, "symbols": symbols,
            "upper_symbols": [s.upper() for s in symbols], "latest": latest,
            "upper_latest": [s.upper() for s in latest],
            "since": T0 - timedelta(days=365)}  # fmt: skip
