"""Binance's raw tables (schema ``raw_binance``): one per landing endpoint."""

from __future__ import annotations

from datetime import date

from ingestion import assets
from ingestion.loader import TableSpec

SOURCE = "binance"
# no crypto asset has a price before Bitcoin's genesis block (2009-01-03);
# Binance itself opened on 2017-07-14, but its klines stand in for older history here
FIRST_DAY = date(2009, 1, 3)

COMMON = {"landing_file": "text", "captured_at": "timestamp"}
ASSET_COLUMNS = {c: "text" for c in assets.COLUMNS}

TRACKED_ASSETS = TableSpec(
    "tracked_assets",
    ("captured_at", "symbol"),
    {**ASSET_COLUMNS, **COMMON},
    observed=("captured_at",),
    first_day=FIRST_DAY,
)

KLINES = TableSpec(
    "klines",
    ("symbol", "kline_interval", "open_time"),
    {
        "symbol": "text",
        "kline_interval": "text",
        "open_time": "timestamp",
        "close_time": "timestamp",
        "open": "decimal",
        "high": "decimal",
        "low": "decimal",
        "close": "decimal",
        "volume": "decimal",
        "quote_volume": "decimal",
        "trades": "bigint",
        **COMMON,
    },
    nullable=frozenset({"trades"}),
    observed=("open_time", "captured_at"),
    first_day=FIRST_DAY,
)

TICKER_24HR = TableSpec(
    "ticker_24hr",
    ("captured_at", "symbol"),
    {
        "symbol": "text",
        "last_price": "decimal",
        "price_change_pct": "double",
        "open_time": "timestamp",
        "close_time": "timestamp",
        "volume": "decimal",
        **COMMON,
    },
    observed=("captured_at",),
    first_day=FIRST_DAY,
)
