"""The tracked-assets config shared by the exchange sources (``config/tracked_assets.csv``),
and the tick they share (``EXCHANGES_JOB``, the ``TICK.job`` of Binance and Yahoo).

One line per asset: ``symbol,name,asset_type,provider,provider_symbol,currency``.
Each exchange source archives its own provider's lines as a ``tracked_assets`` landing
file whenever they change, so the warehouse knows what was tracked when.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ingestion.http import FetchReport, config_path, source_config
from ingestion.landing import LandingFile, archive_if_changed
from ingestion.sources import Job, Schedule

ASSET_TYPES = ("crypto", "stock", "etf")
PROVIDERS = ("binance", "yahoo_finance")
COLUMNS = ("symbol", "name", "asset_type", "provider", "provider_symbol", "currency")

EXCHANGES_JOB = Job(
    name="exchanges_tick",
    description="Binance klines and tickers, Yahoo daily bars for config/tracked_assets.csv;"
    " load, rebuild the exchange marts.",
    schedule=Schedule(
        name="exchanges_every_5_minutes",
        cron="*/5 * * * *",
        description="Assets from config/tracked_assets.csv; budgets per provider"
        " (SOURCES__BINANCE__REQUESTS_PER_MINUTE, SOURCES__YAHOO_FINANCE__...).",
    ),
)


def history_days(source: str) -> int:
    """How far back a first fetch of a symbol reaches (``sources.<source>.history_days``)."""
    return int(source_config(source, "history_days", 3650))


def config_file(source: str) -> Path:
    """The source's tracked-assets CSV: ``sources.<source>.assets_file``, else
    ``config/tracked_assets.csv`` in the repository."""
    return config_path(source, "assets_file", "tracked_assets.csv", must_exist=True)


def read_assets(text: str, provider: str | None = None) -> list[dict[str, Any]]:
    """The config's rows (of one provider); a bad line is a ValueError naming it."""
    rows, seen = [], set()
    for n, rec in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        row = {k: (rec.get(k) or "").strip() for k in COLUMNS}
        if not row["symbol"] or not row["provider_symbol"]:
            raise ValueError(f"line {n}: symbol and provider_symbol are required")
        if row["asset_type"] not in ASSET_TYPES:
            raise ValueError(f"line {n}: asset_type {row['asset_type']!r} not in {ASSET_TYPES}")
        if row["provider"] not in PROVIDERS:
            raise ValueError(f"line {n}: provider {row['provider']!r} not in {PROVIDERS}")
        if (row["provider"], row["provider_symbol"]) in seen:
            raise ValueError(f"line {n}: {row['provider_symbol']} is listed twice")
        seen.add((row["provider"], row["provider_symbol"]))
        if provider is None or row["provider"] == provider:
            rows.append(row)
    return rows


def archive_assets(
    source: str, at: Any, root: Path | None = None, path: Path | None = None
) -> tuple[list[dict], str | None]:
    """The source's tracked assets, archived when they differ from the newest archived copy."""
    rows = read_assets((path or config_file(source)).read_text(), provider=source)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    text = out.getvalue()
    written = archive_if_changed(source, "tracked_assets", at, text.encode(), ext="csv", root=root)
    return rows, written.relative if written else None


def begin_fetch(
    source: str, at: Any, root: Path | None = None, path: Path | None = None
) -> tuple[FetchReport, list[dict]]:
    """Every exchange fetch starts alike: a report that already lists the archived config
    (when it changed), and the tracked assets to ask about."""
    report = FetchReport(source)
    tracked, archived = archive_assets(source, at, root, path)
    if archived:
        report.files.append(archived)
    return report, tracked


def parse_assets(file: LandingFile):
    """Parser of a ``tracked_assets`` landing file: its rows, one dict per asset with the
    COLUMNS as keys (all text); a bad line is a ValueError naming it, which rejects the file."""
    yield from read_assets(file.read_text())
