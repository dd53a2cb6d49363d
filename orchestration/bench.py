"""`snapmart bench`: measured performance, each figure against a baseline from the same run.

Runs in a database of its own (``snapmart_bench_<stamp>`` on the same server, dropped
afterwards unless ``keep``), with its own landing zone and dlt working directory, so
it never touches the demo's data. Results go to ``bench/results/<stamp>.json`` and a
table on stdout (DESIGN §7; issue 9 adds the build, tick, query and storage suites).

ingest/wow_commodities
    One region commodity snapshot of N listings, landing file → ``raw_wow_auctions``
    through the real load path (``ingest.load_source``: pending-file bookkeeping,
    Arrow JSON parse and validation, dlt parquet + ADBC COPY), in a warm process.
    Baselines on the same rows: a plain psycopg ``COPY`` of the already-parsed rows
    into an identical empty table (what the machine can do at best), and dlt's
    row-dict path (the same rows as Python dicts, dlt's default normalizer and
    loader file format).
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration import warehouse

SCALES: dict[str, dict[str, int]] = {
    # listings in the timed WoW commodity snapshot; exchange assets × years of daily
    # history; ticket events × days of 15-minute snapshots × listings per snapshot
    "tiny": {
        "wow_listings": 5_000, "assets": 12, "years": 2,
        "events": 3, "event_days": 1, "event_listings": 200,
    },
    "small": {
        "wow_listings": 300_000, "assets": 100, "years": 10,
        "events": 10, "event_days": 7, "event_listings": 1_000,
    },
    "full": {
        "wow_listings": 300_000, "assets": 1_000, "years": 10,
        "events": 100, "event_days": 7, "event_listings": 1_000,
    },
}  # fmt: skip
# The shape issue 6 sizes the tickets source at, and the raw storage its original
# design expected for it: the tickets suite projects its measured costs onto this.
TICKETS_TARGET = {"events": 100, "days": 120, "listings": 1_000, "raw_gb": 20.0}
SUITES = ("ingest", "exchanges", "tickets")
RESULTS_DIR = Path(__file__).resolve().parents[1] / "bench" / "results"


@dataclass
class Measure:
    suite: str
    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value


@dataclass
class BenchRun:
    scale: str
    started_at: str
    machine: dict[str, Any]
    measures: list[Measure] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for m, raw in zip(self.measures, out["measures"], strict=True):
            raw["ratio"] = m.ratio
        return out


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


@contextmanager
def bench_environment(keep: bool = False) -> Iterator[warehouse.ConnectionInfo]:
    """A fresh database, landing zone and dlt directory for one bench run."""
    base = warehouse.ensure_warehouse()
    name = f"snapmart_bench_{datetime.now(UTC):%Y%m%d%H%M%S}_{uuid.uuid4().hex[:6]}"
    scratch = Path(tempfile.mkdtemp(prefix="snapmart-bench-"))
    saved = {
        k: os.environ.get(k)
        for k in ("SNAPMART_DATABASE_URL", "SNAPMART_LANDING_DIR", "SNAPMART_DLT_DIR")
    }
    os.environ["SNAPMART_DATABASE_URL"] = warehouse.ConnectionInfo(
        base.host, base.port, base.user, base.password, name
    ).url()
    os.environ["SNAPMART_LANDING_DIR"] = str(scratch / "landing")
    os.environ["SNAPMART_DLT_DIR"] = str(scratch / "dlt")
    warehouse._READY.clear()
    info = warehouse.ensure_warehouse()
    try:
        yield info
    finally:
        warehouse._READY.clear()
        if not keep:
            warehouse.drop_database(info)
        shutil.rmtree(scratch, ignore_errors=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        warehouse._READY.clear()


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _write_commodities(listings: int, hour: int, seed: int = 7) -> Any:
    """One commodity snapshot of about ``listings`` listings, in the landing zone."""
    from ingestion.landing import write_atomic
    from ingestion.simulator.wow import WowMarket

    base = WowMarket(seed=seed)
    per_scale = sum(item.listings for item in base.commodities)  # expected listings at scale 1
    market = WowMarket(seed=seed, listings_scale=max(listings / per_scale, 0.05))
    ts = hour * 3600
    modified = market.last_modified(ts)
    body = json.dumps(market.commodities_snapshot("us", modified)).encode()
    return write_atomic(
        "wow_auctions",
        "commodities",
        datetime.fromtimestamp(modified, UTC),
        body,
        key="us",
        durable=False,
    )


def bench_ingest_wow(info: warehouse.ConnectionInfo, listings: int, log: Callable[[str], None]):
    """Landing → raw for one commodity snapshot, and its two baselines."""
    import dlt
    import pyarrow.csv as pacsv

    from ingestion.sources import wow_auctions as wow
    from orchestration import ingest

    hour = int(datetime(2026, 11, 22, 6, tzinfo=UTC).timestamp()) // 3600
    # warm-up: imports, pipeline, raw tables and indexes exist (a tick's steady state)
    _write_commodities(200, hour - 1)
    ingest.load_source("wow_auctions")
    landed = _write_commodities(listings, hour)
    log(f"ingest: WoW commodity snapshot of {landed.path.stat().st_size / 1e6:.1f} MB")
    seconds, summary = _timed(lambda: ingest.load_source("wow_auctions"))
    rows = summary.rows.get("commodity_auctions", 0)
    log(f"ingest: load_source {rows:,} rows in {seconds:.2f} s")

    # Baseline 1: plain COPY of the same rows, already parsed, into an empty twin table.
    table, _ = wow.commodities_columns(landed)
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False))
    payload = buf.getvalue()
    with warehouse.connect(info) as conn:
        conn.execute(
            "create table public.bench_copy (region text, auction_id bigint, item_id bigint,"
            " quantity bigint, unit_price bigint, time_left text)"
        )
        conn.commit()

        def copy() -> None:
            with (
                conn.cursor() as cur,
                cur.copy("copy public.bench_copy from stdin with (format csv)") as cp,
            ):
                cp.write(payload)
            conn.commit()

        copy_seconds, _ = _timed(copy)
        conn.execute("drop table public.bench_copy")
        conn.commit()
    log(f"ingest: plain COPY of the same rows in {copy_seconds:.2f} s")

    # Baseline 2: dlt's row-dict path (default normalizer and file format).
    dicts = [r for r in wow.parse_commodities(landed) if isinstance(r, dict)]
    pipeline = dlt.pipeline(
        pipeline_name="bench_row_dicts",
        destination=dlt.destinations.postgres(credentials=info.url()),
        dataset_name="bench_row_dicts",
        pipelines_dir=os.environ["SNAPMART_DLT_DIR"],
    )
    dict_seconds, _ = _timed(
        lambda: pipeline.run(dicts, table_name="commodity_auctions", write_disposition="append")
    )
    log(f"ingest: dlt row dicts in {dict_seconds:.2f} s")

    detail = {
        "rows": rows,
        "file_bytes": landed.path.stat().st_size,
        "seconds": round(seconds, 3),
        "copy_seconds": round(copy_seconds, 3),
        "row_dict_seconds": round(dict_seconds, 3),
        "row_dict_rows_per_s": round(len(dicts) / dict_seconds),
        "vs_row_dicts": round(dict_seconds / seconds, 2),
    }
    ours = round(rows / seconds)
    return [
        Measure(
            "ingest",
            "wow_commodities rows/s (landing → raw)",
            ours,
            "rows/s",
            "plain psycopg COPY of the parsed rows",
            round(len(table) / copy_seconds),
            detail,
        ),
        Measure(
            "ingest",
            "wow_commodities rows/s (landing → raw)",
            ours,
            "rows/s",
            "dlt row-dict path (rows pre-parsed)",
            round(len(dicts) / dict_seconds),
            detail,
        ),
    ]


def bench_exchanges(
    info: warehouse.ConnectionInfo, n_assets: int, years: int, log: Callable[[str], None]
) -> list[Measure]:
    """``n_assets`` simulated assets (a third crypto on Binance, the rest on Yahoo) with
    ``years`` of daily history and a day of minutes: fetched from the simulator on
    loopback, loaded, and built (``dbt build`` of what the two sources feed). Reports
    wall times and bytes per asset-year, raw and marts."""
    from ingestion.simulator.exchanges import assets, tracked_assets_csv
    from ingestion.simulator.writer import write_exchanges
    from orchestration import ingest, transform

    config = Path(os.environ["SNAPMART_LANDING_DIR"]).parent / "tracked_assets.csv"
    config.write_text(tracked_assets_csv(assets(n_assets)))
    saved = {
        k: os.environ.get(k)
        for k in ("SOURCES__BINANCE__HISTORY_DAYS", "SOURCES__YAHOO_FINANCE__HISTORY_DAYS")
    }
    for k in saved:
        os.environ[k] = str(years * 365)
    end = datetime(2026, 11, 22, 6, tzinfo=UTC)
    try:
        fetch_s, fetched = _timed(
            lambda: write_exchanges(seed=11, end=end, assets_file=config, n_assets=n_assets)
        )
        log(f"exchanges: fetched {fetched.files:,} files from the simulator in {fetch_s:.1f} s")
        load_s = 0.0
        rows = 0
        for source in ("binance", "yahoo_finance"):
            seconds, summary = _timed(lambda source=source: ingest.load_source(source))
            load_s += seconds
            rows += sum(summary.rows.values())
        log(f"exchanges: loaded {rows:,} rows in {load_s:.1f} s")
        build_s, built = _timed(
            lambda: transform.run_dbt("build", "@source:binance @source:yahoo_finance")
        )
        if not built.success:
            raise RuntimeError(
                f"dbt build failed in the bench: {built.error or [n.name for n in built.failed()]}"
            )
        log(f"exchanges: dbt build in {build_s:.1f} s")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    with warehouse.connect(info) as conn:
        sizes = dict(
            conn.execute(
                """
                select n.nspname, sum(pg_total_relation_size(c.oid))
                from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
                where c.relkind in ('r', 'p') and n.nspname in
                      ('raw_binance', 'raw_yahoo_finance', 'marts', 'staging', 'intermediate')
                group by n.nspname
                """
            ).fetchall()
        )
        observations = conn.execute("select count(*) from marts.fct_price_observations").fetchone()[
            0
        ]
        daily = conn.execute("select count(*) from marts.fct_prices_daily").fetchone()[0]
    raw_bytes = int(sizes.get("raw_binance", 0) + sizes.get("raw_yahoo_finance", 0))
    mart_bytes = int(sizes.get("marts", 0))
    asset_years = n_assets * years
    detail = {
        "assets": n_assets,
        "years": years,
        "files": fetched.files,
        "raw_rows": rows,
        "observations": observations,
        "daily_candles": daily,
        "fetch_seconds": round(fetch_s, 1),
        "load_seconds": round(load_s, 1),
        "build_seconds": round(build_s, 1),
        "raw_bytes": raw_bytes,
        "mart_bytes": mart_bytes,
    }
    log(
        f"exchanges: {raw_bytes / asset_years / 1e3:.0f} kB raw and "
        f"{mart_bytes / asset_years / 1e3:.0f} kB marts per asset-year"
    )
    return [
        Measure(
            "exchanges", "load + build wall time", round(load_s + build_s, 1), "s", detail=detail
        ),
        Measure(
            "exchanges",
            "raw bytes per asset-year",
            round(raw_bytes / asset_years),
            "bytes",
            detail=detail,
        ),
        Measure(
            "exchanges",
            "marts bytes per asset-year",
            round(mart_bytes / asset_years),
            "bytes",
            detail=detail,
        ),
    ]


def bench_tickets(
    info: warehouse.ConnectionInfo,
    n_events: int,
    days: int,
    listings: int,
    log: Callable[[str], None],
) -> list[Measure]:
    """``n_events`` events × ``days`` of 15-minute Vivid Seats snapshots of about
    ``listings`` listings each, written to the landing zone, loaded (``load_source``)
    and built (``dbt build`` of what the source feeds); then one more tick (a new
    snapshot of every event) loaded and built incrementally. Reports wall times, rows/s,
    raw bytes per listing snapshot (table + indexes), and the raw size and load time this
    projects to at 100 events × 4 months × 1,000 listings, against the 20 GB the
    original design expected."""
    from datetime import timedelta

    from ingestion.simulator.writer import write_vividseats_history
    from orchestration import ingest, transform

    end = datetime(2026, 11, 22, 6, tzinfo=UTC)
    # about half the slots are on sale at any moment (sold, not yet relisted, closing)
    slots = listings * 2
    write_s, written = _timed(
        lambda: write_vividseats_history(
            days, n_events=n_events, n_listings=slots, end=end - timedelta(minutes=15)
        )
    )
    log(f"tickets: wrote {written.files:,} landing files in {write_s:.1f} s")
    load_s, summary = _timed(lambda: ingest.load_source("vividseats"))
    rows = summary.rows.get("listings", 0)
    log(f"tickets: loaded {rows:,} listing rows in {load_s:.1f} s ({rows / load_s:,.0f} rows/s)")
    build_s, built = _timed(lambda: transform.run_dbt("build", "@source:vividseats"))
    if not built.success:
        raise RuntimeError(
            f"dbt build failed in the bench: {built.error or [n.name for n in built.failed()]}"
        )
    log(f"tickets: dbt build in {build_s:.1f} s")
    # one more tick on top of that history: what a scheduled run costs
    write_vividseats_history(0, n_events=n_events, n_listings=slots, end=end)
    tick_load_s, tick = _timed(lambda: ingest.load_source("vividseats"))
    tick_build_s, built = _timed(lambda: transform.run_dbt("build", "@source:vividseats"))
    if not built.success:
        raise RuntimeError("dbt build of the tick failed in the bench")
    log(f"tickets: one tick ({tick.rows.get('listings', 0):,} rows) loaded in "
        f"{tick_load_s:.1f} s, built in {tick_build_s:.1f} s")  # fmt: skip
    with warehouse.connect(info) as conn:
        raw_rows, raw_bytes = conn.execute(
            """
            select (select count(*) from raw_vividseats.listings),
                   (select sum(pg_total_relation_size(i.inhrelid))
                    from pg_inherits as i
                    where i.inhparent = 'raw_vividseats.listings'::regclass)
            """
        ).fetchone()
        snapshots = conn.execute(
            "select count(*) from staging.stg_vividseats__listing_snapshots"
        ).fetchone()[0]
        mart_bytes = conn.execute(
            """
            select coalesce(sum(pg_total_relation_size(c.oid)), 0)
            from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
            where c.relkind = 'r' and n.nspname in ('marts', 'intermediate')
              and (c.relname like '%event%' or c.relname like '%ticket%')
            """
        ).fetchone()[0]
    raw_bytes, mart_bytes = int(raw_bytes or 0), int(mart_bytes or 0)
    landing_dir = Path(os.environ["SNAPMART_LANDING_DIR"]) / "vividseats" / "listings"
    landing_bytes = sum(f.stat().st_size for f in landing_dir.iterdir())
    per_row = raw_bytes / raw_rows
    target = TICKETS_TARGET
    target_rows = target["events"] * target["days"] * 96 * target["listings"]
    projected_gb = per_row * target_rows / 1e9
    rate = rows / load_s
    detail = {
        "events": n_events,
        "days": days,
        "snapshots": snapshots,
        "listings_per_snapshot": round(raw_rows / snapshots),
        "listing_rows": raw_rows,
        "files": written.files,
        "write_seconds": round(write_s, 1),
        "load_seconds": round(load_s, 1),
        "build_seconds": round(build_s, 1),
        "tick_load_seconds": round(tick_load_s, 1),
        "tick_build_seconds": round(tick_build_s, 1),
        "raw_listings_bytes": int(raw_bytes),
        "landing_listings_bytes_gz": landing_bytes,
        "projected_landing_gb": round(landing_bytes / raw_rows * target_rows / 1e9, 1),
        "tickets_marts_bytes": int(mart_bytes),
        "target": target,
        "target_listing_rows": target_rows,
        "projected_raw_gb": round(projected_gb, 1),
        "projected_load_hours": round(target_rows / rate / 3600, 1),
    }
    log(
        f"tickets: {per_row:.0f} bytes per listing snapshot (raw, with indexes); at "
        f"{target['events']} events × {target['days']} days × {target['listings']:,} listings "
        f"({target_rows / 1e9:.2f} bn rows) that is {projected_gb:.0f} GB raw against the "
        f"{target['raw_gb']:.0f} GB expected, loaded in {detail['projected_load_hours']} h; "
        f"the gzipped landing files {detail['projected_landing_gb']:.0f} GB"
    )
    return [
        Measure("tickets", "load rows/s (listings)", round(rate), "rows/s", detail=detail),
        Measure("tickets", "full build wall time", round(build_s, 1), "s", detail=detail),
        Measure(
            "tickets",
            "tick (load + build) vs full build",
            round(tick_load_s + tick_build_s, 1),
            "s",
            baseline="full build",
            baseline_value=round(build_s, 1),
            detail=detail,
        ),
        Measure(
            "tickets",
            "raw bytes per listing snapshot",
            round(per_row, 1),
            "bytes",
            detail=detail,
        ),
        Measure(
            "tickets",
            "projected raw at 100 events × 4 months",
            round(projected_gb, 1),
            "GB",
            baseline="original design's expectation",
            baseline_value=target["raw_gb"],
            detail=detail,
        ),
    ]


def run(
    scale: str = "small",
    out_dir: Path | None = None,
    keep: bool = False,
    log: Callable[[str], None] = print,
    suites: list[str] | None = None,
) -> tuple[BenchRun, Path]:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    params = SCALES[scale]
    stamp = datetime.now(UTC)
    result = BenchRun(scale, stamp.isoformat(timespec="seconds"), _machine())
    wanted = set(suites or SUITES)
    if "ingest" in wanted:
        with bench_environment(keep=keep) as info:
            result.measures += bench_ingest_wow(info, params["wow_listings"], log)
    if "exchanges" in wanted:
        with bench_environment(keep=keep) as info:
            result.measures += bench_exchanges(info, params["assets"], params["years"], log)
    if "tickets" in wanted:
        with bench_environment(keep=keep) as info:
            result.measures += bench_tickets(
                info, params["events"], params["event_days"], params["event_listings"], log
            )
    out = out_dir or RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stamp:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    return result, path
