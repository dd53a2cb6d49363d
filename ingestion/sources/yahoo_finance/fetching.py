"""Yahoo Finance, API → landing: one chart call per tracked symbol with anything new to
ask for, from the day after the newest bar landed to the last session that has closed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingestion import assets
from ingestion.http import FetchError, FetchReport, SourceClient, source_config
from ingestion.landing import newest_per_key, now_utc, write_atomic
from ingestion.sources.yahoo_finance.tables import SOURCE

DEFAULT_BASE_URL = "https://query1.finance.yahoo.com"
SESSION_DONE = timedelta(hours=7)


def base_url() -> str:
    """The chart API's base URL: ``sources.yahoo_finance.base_url``, else
    https://query1.finance.yahoo.com."""
    return str(source_config(SOURCE, "base_url", DEFAULT_BASE_URL))


def make_client() -> SourceClient:
    """The run's client: 5 requests/s unless configured, 5 attempts."""
    return SourceClient.configured(SOURCE, base_url(), per_second=5.0, max_attempts=5)


def _cursors_from_landing(root: Path | None) -> dict[str, int]:
    """Next ``period1`` per symbol: a second after the newest bar landed."""
    cursors = {}
    for key, f in newest_per_key(SOURCE, "chart", root).items():
        try:
            stamps = json.loads(f.read_text())["chart"]["result"][0]["timestamp"] or []
        except (ValueError, TypeError, KeyError, IndexError):
            continue  # an error answer (chart.error) or unreadable: no bars to continue from
        stamps = [t for t in stamps if isinstance(t, int) and not isinstance(t, bool)]
        if stamps:
            cursors[key] = max(stamps) + 1
    return cursors


def fetch(
    *,
    root: Path | None = None,
    client: SourceClient | None = None,
    now: datetime | None = None,
    assets_file: Path | None = None,
) -> FetchReport:
    """API → landing, one chart call per tracked symbol with anything new to ask for: from
    a second after the newest bar landed (however long the pause), or ``history_days``
    back for a symbol with none, to the last session that has closed."""
    client = client or make_client()
    now = now or now_utc()
    report, tracked = assets.begin_fetch(SOURCE, now, root, assets_file)
    cursors = _cursors_from_landing(root)
    history = assets.history_days(SOURCE)
    period2 = int((now - SESSION_DONE).timestamp())
    default_start = int((now - timedelta(days=history)).timestamp())
    try:
        for asset in tracked:
            symbol = asset["provider_symbol"]
            # from the day after the newest bar landed, however long ago; a first fetch
            # reaches history_days back
            period1 = cursors.get(symbol, default_start)
            if period1 > period2:
                report.skipped.append(f"{symbol}: up to date")
                continue
            params = {
                "period1": period1,
                "period2": period2,
                "interval": "1d",
                "events": "div,splits",
            }
            try:
                body = client.get(f"v8/finance/chart/{symbol}", params=params).content
            except FetchError as exc:
                if exc.body:  # Yahoo's own error answer: archive it, the loader says why
                    written = write_atomic(SOURCE, "chart", now, exc.body, key=symbol, root=root)
                    report.files.append(written.relative)
                report.skipped.append(f"{symbol}: {exc}")
                if exc.outage:  # Yahoo did not serve: the fetch failed (the others go on)
                    report.fail(exc)
                continue
            try:
                stamps = json.loads(body)["chart"]["result"][0].get("timestamp") or []
                first = min(int(t) for t in stamps) if stamps else None
            except (ValueError, TypeError, KeyError, IndexError):
                first = None
            if first is None and b'"error":null' in body.replace(b" ", b""):
                report.skipped.append(f"{symbol}: no new bars")
                continue
            at = datetime.fromtimestamp(first, UTC) if first is not None else now
            written = write_atomic(SOURCE, "chart", at, body, key=symbol, root=root)
            report.files.append(written.relative)
    finally:
        report.count(client)
    return report


def config_file() -> Path:
    """The tracked-assets CSV this source reads (``sources.yahoo_finance.assets_file``, else
    ``config/tracked_assets.csv``); a missing one is a UserMistake."""
    return assets.config_file(SOURCE)
