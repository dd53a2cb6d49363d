"""Deterministic, random-access noise and mean-reverting price paths shared by the markets.

Every value is a pure function of (seed, stream, key, step): any window can be
generated on its own and agrees with every other window, which is what lets a
simulator serve "the snapshot at time T" and write N days of files that match.
"""

from __future__ import annotations

import numpy as np

BLOCK = 2048


def normals(seed: int, stream: int, key: int, start: int, n: int) -> np.ndarray:
    """Standard normals for steps [start, start + n), identical whatever window is asked."""
    first, last = start // BLOCK, (start + n - 1) // BLOCK
    parts = [
        np.random.default_rng([seed, stream, key, b % (2**63)]).standard_normal(BLOCK)
        for b in range(first, last + 1)
    ]
    flat = np.concatenate(parts)
    offset = start - first * BLOCK
    return flat[offset : offset + n]


def ar1(seed: int, stream: int, key: int, start: int, n: int, phi: float, lags: int) -> np.ndarray:
    """A unit-innovation AR(1) path over steps [start, start + n), via its truncated
    moving-average form (phi**lags is the truncation error), so windows agree."""
    eps = normals(seed, stream, key, start - lags + 1, n + lags - 1)
    return np.convolve(eps, phi ** np.arange(lags), mode="valid")


def log_price_path(
    seed: int,
    key: int,
    start_hour: int,
    n_hours: int,
    *,
    hourly_vol: float = 0.01,
    daily_vol: float = 0.03,
) -> np.ndarray:
    """Log deviation from an item's base level on an hourly grid: a slow (weeks) AR(1)
    on days plus a fast (hours) AR(1), both mean-reverting, plus a daily cycle."""
    hours = np.arange(start_hour, start_hour + n_hours)
    fast = ar1(seed, 11, key, start_hour, n_hours, 0.9, 80) * hourly_vol
    days = hours // 24
    d0, d1 = int(days[0]), int(days[-1])
    slow = ar1(seed, 12, key, d0, d1 - d0 + 1, 0.85, 60)[days - d0] * daily_vol
    cycle = 0.01 * np.sin(2 * np.pi * ((hours % 24) - 14) / 24)
    return slow + fast + cycle
