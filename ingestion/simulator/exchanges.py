"""Deterministic crypto and stock prices, as Binance and Yahoo Finance serve them.

Every asset's daily candles are a pure function of (seed, symbol): a random walk with
the asset's drift and volatility, generated once per asset and cached, so any day of
ten years is one array lookup. Minute candles (Binance ``1m``) are a bridge from the
day's open to its close, kept inside the day's high and low, generated only for the
days asked about. Crypto trades every day; stocks and ETFs on weekdays, with the odd
null row, dividends and a split (Yahoo's quirks).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

DAY = 86_400
SESSION_CLOSE = 21 * 3600  # 16:00 New York in winter: when Yahoo restamps the newest bar
QUIRK_SPLIT_SYMBOL, QUIRK_SPLIT_RATIO = "AAPL", 4
MINUTE = 60
HISTORY_START = datetime(2014, 1, 1, tzinfo=UTC)  # ten years and more of daily history
STOCK_OPEN = 14 * 3600 + 30 * 60  # Yahoo stamps US daily bars at the 14:30 UTC open

NAMED = [
    ("BTC", "Bitcoin", "crypto", "binance", "BTCUSDT", "USDT", 30_000.0),
    ("ETH", "Ether", "crypto", "binance", "ETHUSDT", "USDT", 2_000.0),
    ("SOL", "Solana", "crypto", "binance", "SOLUSDT", "USDT", 100.0),
    ("AAPL", "Apple Inc.", "stock", "yahoo_finance", "AAPL", "USD", 150.0),
    ("MSFT", "Microsoft Corporation", "stock", "yahoo_finance", "MSFT", "USD", 300.0),
    ("SPY", "SPDR S&P 500 ETF Trust", "etf", "yahoo_finance", "SPY", "USD", 400.0),
]


@dataclass(frozen=True)
class Asset:
    """One simulated tradable, as a line of config/tracked_assets.csv plus the price its walk
    starts from (``base_price``, in ``currency`` units)."""

    symbol: str
    name: str
    asset_type: str  # crypto, stock, etf
    provider: str  # binance, yahoo_finance
    provider_symbol: str
    currency: str
    base_price: float

    @property
    def trades_weekends(self) -> bool:
        """Whether it trades on Saturdays and Sundays: crypto does, stocks and ETFs do not."""
        return self.asset_type == "crypto"


def assets(n: int = len(NAMED)) -> list[Asset]:
    """The first ``n`` simulated assets: the named ones, then SIMnnnn (about a third
    crypto on Binance, the rest stocks and ETFs on Yahoo)."""
    out = [Asset(*row) for row in NAMED[:n]]
    for i in range(len(out), n):
        kind = "crypto" if i % 3 == 0 else ("etf" if i % 6 == 5 else "stock")
        if kind == "crypto":
            out.append(
                Asset(f"S{i:04d}", f"Simcoin {i}", kind, "binance", f"S{i:04d}USDT", "USDT", 1.0)
            )
        else:
            out.append(
                Asset(
                    f"SIM{i:04d}",
                    f"Sim Corp {i}",
                    kind,
                    "yahoo_finance",
                    f"SIM{i:04d}",
                    "USD",
                    50.0,
                )
            )
    return out


def tracked_assets_csv(chosen: list[Asset]) -> str:
    """The tracked-assets config (``ingestion/assets.py``'s columns) listing ``chosen``, header
    included, one line per asset."""
    lines = ["symbol,name,asset_type,provider,provider_symbol,currency"]
    lines += [
        f"{a.symbol},{a.name},{a.asset_type},{a.provider},{a.provider_symbol},{a.currency}"
        for a in chosen
    ]
    return "\n".join(lines) + "\n"


class Exchanges:
    """The simulated price history of every asset, any day since HISTORY_START."""

    def __init__(
        self, seed: int = 42, n_assets: int = len(NAMED), *, quirks: bool = False,
        anchor_day: int | None = None,
    ) -> None:  # fmt: skip
        """``quirks``: Yahoo's two reported quirks besides the ones always on. The
        newest session of some symbols (``repeats_newest_session``) is sent twice, at
        the open and again at the close with the day's final volume; and
        ``QUIRK_SPLIT_SYMBOL`` splits 4:1 on the last weekday before ``anchor_day``
        (epoch days, default today), so a fetch before that day sees its old scale and
        a fetch after it sees history already adjusted, as Yahoo serves it."""
        self.seed = seed
        self.assets = {a.provider_symbol: a for a in assets(n_assets)}
        self.start_day = int(HISTORY_START.timestamp()) // DAY
        self._daily: dict[str, np.ndarray] = {}
        self.quirks = quirks
        day = anchor_day if anchor_day is not None else int(datetime.now(UTC).timestamp()) // DAY
        day -= 1
        while datetime.fromtimestamp(day * DAY, UTC).weekday() >= 5:
            day -= 1
        self.quirk_split_day = day

    def _rng(self, asset: Asset, *salt: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(asset.symbol.encode()), *salt])

    def daily(self, asset: Asset, until_day: int) -> np.ndarray:
        """Rows (open, high, low, close, volume) for days start_day..until_day."""
        have = self._daily.get(asset.symbol)
        need = until_day - self.start_day + 1
        if have is None or len(have) < need:
            n = max(need, 4_000)
            rng = self._rng(asset, 1)
            vol = 0.035 if asset.asset_type == "crypto" else 0.015
            returns = rng.normal(0.0001, vol, n)
            close = asset.base_price * np.exp(np.cumsum(returns))
            open_ = np.concatenate([[asset.base_price], close[:-1]])
            wick = np.abs(rng.normal(0, vol / 2, (2, n)))
            high = np.maximum(open_, close) * (1 + wick[0])
            low = np.minimum(open_, close) * (1 - wick[1])
            volume = rng.lognormal(10, 0.6, n)
            have = np.stack([open_, high, low, close, volume], axis=1)
            self._daily[asset.symbol] = have
        return have[: max(need, 0)]

    def day(self, asset: Asset, day: int) -> np.ndarray:
        """One day's candle (open, high, low, close, volume) of ``asset``; ``day`` in days since
        the epoch (UTC), not before HISTORY_START (an IndexError)."""
        return self.daily(asset, day)[day - self.start_day]

    def minutes(self, asset: Asset, day: int) -> np.ndarray:
        """1,440 rows (open, high, low, close, volume) for one UTC day, inside its candle."""
        o, h, lo, c, v = self.day(asset, day)
        rng = self._rng(asset, 2, day)
        steps = rng.normal(0, 1, 1440).cumsum()
        bridge = steps - np.linspace(0, 1, 1440) * steps[-1]  # ends where it began
        span = (h - lo) / 4
        path = np.linspace(o, c, 1441)[1:] + bridge / (np.abs(bridge).max() or 1) * span
        path = np.clip(path, lo, h)
        path[-1] = c
        opens = np.concatenate([[o], path[:-1]])
        highs = np.minimum(np.maximum(opens, path) * (1 + rng.uniform(0, 0.0005, 1440)), h)
        lows = np.maximum(np.minimum(opens, path) * (1 - rng.uniform(0, 0.0005, 1440)), lo)
        vols = rng.dirichlet(np.ones(1440)) * v
        return np.stack([opens, highs, lows, path, vols], axis=1)

    # ------------------------------------------------------------------- Binance

    def klines(self, symbol: str, interval: str, start_ms: int, end_ms: int | None, limit: int,
               now: int) -> list[list] | None:  # fmt: skip
        """Binance ``/api/v3/klines`` rows, oldest first; None for an unknown symbol. The
        last row may still be open (close time >= now): its close is the price now."""
        asset = self.assets.get(symbol)
        if asset is None or asset.provider != "binance":
            return None
        width = DAY if interval == "1d" else MINUTE
        first = max(start_ms // 1000, self.start_day * DAY)
        first = -(-first // width) * width  # the first kline opening at or after start
        last = min((end_ms // 1000) if end_ms is not None else now, now)
        rows: list[list] = []
        t = first
        while t <= last and len(rows) < limit:
            rows.append(self._kline(asset, t, width, now))
            t += width
        return rows

    def _kline(self, asset: Asset, t: int, width: int, now: int) -> list:
        day = t // DAY
        if width == DAY:
            o, h, lo, c, v = self.day(asset, day)
            trades = int(v / 3)
            if t + DAY > now:  # still open: what it looks like now
                done = (now - t) // MINUTE + 1
                m = self.minutes(asset, day)[:done]
                o, h, lo, c, v = m[0, 0], m[:, 1].max(), m[:, 2].min(), m[-1, 3], m[:, 4].sum()
                trades = int(v / 3)
        else:
            o, h, lo, c, v = self.minutes(asset, day)[(t - day * DAY) // MINUTE]
            trades = max(1, int(v / 3))
        quote = v * (o + c) / 2
        return [
            t * 1000, f"{o:.8f}", f"{h:.8f}", f"{lo:.8f}", f"{c:.8f}", f"{v:.8f}",
            (t + width) * 1000 - 1, f"{quote:.8f}", trades, f"{v / 2:.8f}", f"{quote / 2:.8f}", "0",
        ]  # fmt: skip

    def ticker_24hr(self, symbols: list[str], now: int) -> list[dict] | None:
        """``/api/v3/ticker/24hr?symbols=[...]``: None when any symbol is unknown (Binance
        rejects the whole call)."""
        out = []
        for symbol in symbols:
            asset = self.assets.get(symbol)
            if asset is None or asset.provider != "binance":
                return None
            minute = now // MINUTE * MINUTE
            last = self._kline(asset, minute, MINUTE, now)
            before = self._kline(asset, minute - DAY, MINUTE, now)
            price, prev = float(last[4]), float(before[4])
            out.append(
                {
                    "symbol": symbol,
                    "lastPrice": f"{price:.8f}",
                    "prevClosePrice": f"{prev:.8f}",
                    "priceChange": f"{price - prev:.8f}",
                    "priceChangePercent": f"{(price - prev) / prev * 100:.3f}",
                    "openTime": (now - DAY) * 1000,
                    "closeTime": now * 1000,
                    "volume": f"{float(self.day(asset, now // DAY)[4]):.8f}",
                }
            )
        return out

    # ------------------------------------------------------------------- Yahoo

    @staticmethod
    def _newest_session(now: int) -> int:
        """The epoch day of the newest weekday session opened by ``now``."""
        day = (now - STOCK_OPEN) // DAY
        while datetime.fromtimestamp(day * DAY, UTC).weekday() >= 5:
            day -= 1
        return day

    def repeats_newest_session(self, symbol: str) -> bool:
        """With quirks, whether Yahoo sends this symbol's newest session twice (about a
        quarter of the symbols, MSFT always)."""
        return self.quirks and (symbol == "MSFT" or zlib.crc32(symbol.encode()) % 4 == 0)

    def chart(self, symbol: str, period1: int, period2: int, now: int) -> tuple[int, dict]:
        """``/v8/finance/chart/{symbol}``: (status, body). Weekday bars stamped 14:30 UTC,
        a null row now and then, quarterly dividends, one 2:1 split per asset; with
        ``quirks`` the newest session twice and a recent 4:1 split (see ``__init__``)."""
        asset = self.assets.get(symbol)
        if asset is None or asset.provider != "yahoo_finance":
            error = {"code": "Not Found", "description": "No data found, symbol may be delisted"}
            return 404, {"chart": {"result": None, "error": error}}
        period2 = min(period2, now)
        first_day = max(period1 // DAY, self.start_day)
        last_day = period2 // DAY
        stamps, cols = [], {k: [] for k in ("open", "high", "low", "close", "volume")}
        adj, dividends, splits = [], {}, {}
        split_day = self.start_day + 1_000 + zlib.crc32(symbol.encode()) % 1_500
        quirk_split = self.quirks and symbol == QUIRK_SPLIT_SYMBOL
        split_known = now >= self.quirk_split_day * DAY + STOCK_OPEN
        for day in range(first_day, last_day + 1):
            ts = day * DAY + STOCK_OPEN
            if datetime.fromtimestamp(ts, UTC).weekday() >= 5 or ts < period1 or ts > period2:
                continue
            o, h, lo, c, v = self.day(asset, day)
            # prices before the split are shown split-adjusted, as Yahoo does
            factor = 0.5 if day < split_day else 1.0
            if quirk_split and day < self.quirk_split_day and not split_known:
                # fetched before the recent split: the old scale (Yahoo adjusts history
                # only once the split has happened), volumes ÷ ratio
                factor *= QUIRK_SPLIT_RATIO
                v = v / QUIRK_SPLIT_RATIO
            stamps.append(ts)
            if zlib.crc32(f"{symbol}{day}".encode()) % 97 == 0:  # a row Yahoo leaves empty
                for k in cols:
                    cols[k].append(None)
                adj.append(None)
                continue
            for k, val in zip(("open", "high", "low", "close"), (o, h, lo, c), strict=True):
                cols[k].append(round(float(val) * factor, 4))
            cols["volume"].append(int(v))
            adj.append(round(float(c) * factor * 0.98, 4))
            if day % 91 == 0:
                dividends[str(ts)] = {"amount": round(float(c) * 0.004, 4), "date": ts}
            if day == split_day:
                splits[str(ts)] = {
                    "date": ts,
                    "numerator": 2,
                    "denominator": 1,
                    "splitRatio": "2:1",
                }
            if quirk_split and day == self.quirk_split_day:
                ratio = QUIRK_SPLIT_RATIO
                splits[str(ts)] = {
                    "date": ts,
                    "numerator": ratio,
                    "denominator": 1,
                    "splitRatio": f"{ratio}:1",
                }
        if self.repeats_newest_session(symbol) and stamps and cols["close"][-1] is not None:
            # the newest session again, restamped at its close with the day's final
            # volume; the bar at the open holds the volume seen earlier (18/19 of it)
            close_ts = stamps[-1] - STOCK_OPEN + SESSION_CLOSE
            if stamps[-1] // DAY == self._newest_session(now) and close_ts <= now:
                stamps.append(close_ts)
                for k in cols:
                    cols[k].append(cols[k][-1])
                adj.append(adj[-1])
                cols["volume"][-2] = cols["volume"][-1] * 18 // 19
        o, h, lo, c, v = self.day(asset, min(last_day, now // DAY))
        result = {
            "meta": {
                "currency": asset.currency,
                "symbol": symbol,
                "exchangeName": "NMS" if asset.asset_type == "stock" else "PCX",
                "instrumentType": "EQUITY" if asset.asset_type == "stock" else "ETF",
                "regularMarketPrice": round(float(c), 4),
                "regularMarketTime": min(now, last_day * DAY + 21 * 3600),
                "gmtoffset": -18000,
                "timezone": "EST",
                "exchangeTimezoneName": "America/New_York",
            },
            "timestamp": stamps,
            "indicators": {"quote": [cols], "adjclose": [{"adjclose": adj}]},
        }
        events = {}
        if dividends:
            events["dividends"] = dividends
        if splits:
            events["splits"] = splits
        if events:
            result["events"] = events
        return 200, {"chart": {"result": [result], "error": None}}
