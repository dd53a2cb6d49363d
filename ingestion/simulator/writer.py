"""Write N days of simulated history into the landing zone, exactly as fetch would have."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingestion import clock
from ingestion.landing import write_atomic
from ingestion.simulator.osrs_ge import STEP, GEMarket

# With ``quirks``, about one file in this many carries a quirk real answers have.
QUIRK_EVERY = 97
# With ``quirks``, Yahoo's first fetch is this long before the second, across a split.
QUIRK_YAHOO_GAP = timedelta(days=4)

SOURCE = "osrs_prices"


def _dump(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


@dataclass
class WriteReport:
    """What a writer did: files written to the landing zone, and the period they cover
    (``start`` and ``end``, UTC)."""

    files: int = 0
    start: datetime | None = None
    end: datetime | None = None


def write_osrs_prices(
    days: float,
    *,
    seed: int = 42,
    n_items: int = 300,
    end: datetime | None = None,
    root: Path | None = None,
    latest_every: timedelta = timedelta(minutes=10),
    progress: Callable[[int, int], None] | None = None,
    quirks: bool = False,
) -> WriteReport:
    """Mapping once, every 5m and 1h bucket, and a /latest snapshot every ``latest_every``.

    ``end`` defaults to now; the last bucket written is the last complete one. With
    ``quirks``, as real archives do, every 97th 5m bucket is saved a second time under
    a name 7 s later (a fetch retried across a second boundary): the loader keeps one.
    """
    market = GEMarket(seed=seed, n_items=n_items)
    end = (end or clock.now()).astimezone(UTC)
    end_ts = int(end.timestamp())
    last_step = end_ts // STEP - 1  # the newest complete 5-minute bucket
    n_steps = int(days * 86_400) // STEP + 1  # inclusive: "7 days ago" is observed too
    first_step = last_step - n_steps + 1
    start = datetime.fromtimestamp(first_step * STEP, UTC)
    report = WriteReport(start=start, end=end)
    hours = [
        s
        for s in range(first_step, last_step + 1)
        if (s * STEP) % 3600 == 0 and s + 11 <= last_step
    ]
    latest_step = max(1, int(latest_every.total_seconds()) // STEP)
    latest_steps = [s for s in range(first_step, last_step + 1) if s % latest_step == 0]
    total = 1 + n_steps + len(hours) + len(latest_steps)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        report.files += 1
        if progress and (done % 50 == 0 or done == total):
            progress(done, total)

    write_atomic(SOURCE, "mapping", start, _dump(market.mapping()), root=root, durable=False)
    tick()
    # One window over the whole span (plus /latest's lookback) and slices of it.
    pad = market.LATEST_LOOKBACK
    mid, highs, lows = market.window(first_step - pad, n_steps + pad)

    def cols(lo: int, hi: int) -> tuple:
        return (
            mid[:, lo + pad : hi + pad],
            highs[:, lo + pad : hi + pad],
            lows[:, lo + pad : hi + pad],
        )

    for i in range(n_steps):
        ts = (first_step + i) * STEP
        body = _dump(market.bucket("5m", ts, window=cols(i, i + 1)))
        write_atomic(SOURCE, "5m", datetime.fromtimestamp(ts, UTC), body, root=root, durable=False)
        tick()
        if quirks and (ts // STEP) % QUIRK_EVERY == 0:
            again = datetime.fromtimestamp(ts + 7, UTC)
            write_atomic(SOURCE, "5m", again, body, root=root, durable=False)
            report.files += 1
    for s in hours:
        i = s - first_step
        body = _dump(market.bucket("1h", s * STEP, window=cols(i, i + 12)))
        write_atomic(
            SOURCE, "1h", datetime.fromtimestamp(s * STEP, UTC), body, root=root, durable=False
        )
        tick()
    for s in latest_steps:
        i = s - first_step
        at = s * STEP + 60  # observed a minute into the bucket
        body = _dump(market.latest(at, window=cols(i - pad + 1, i + 1)))
        write_atomic(
            SOURCE, "latest", datetime.fromtimestamp(at, UTC), body, root=root, durable=False
        )
        tick()
    return report


def write_wow_auctions(
    days: float,
    *,
    seed: int = 42,
    end: datetime | None = None,
    root: Path | None = None,
    region: str = "us",
    realms: tuple[int, ...] = (3676, 57),
    listings_scale: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
) -> WriteReport:
    """Hourly commodities and realm snapshots, each named by its Last-Modified time."""
    from ingestion.simulator.wow import WowMarket

    market = WowMarket(seed=seed, listings_scale=listings_scale)
    end_ts = int((end or clock.now()).timestamp())
    last_hour = end_ts // 3600
    if market.last_modified(last_hour * 3600) > end_ts:
        last_hour -= 1
    hours = list(range(last_hour - int(days * 24), last_hour + 1))  # inclusive, as for OSRS
    report = WriteReport(start=datetime.fromtimestamp(hours[0] * 3600, UTC), end=end)
    total = len(hours) * (1 + len(realms))
    for hour in hours:
        modified = market.last_modified(hour * 3600)
        at = datetime.fromtimestamp(modified, UTC)
        body = _dump(market.commodities_snapshot(region, modified))
        write_atomic("wow_auctions", "commodities", at, body, key=region, root=root, durable=False)
        report.files += 1
        for realm in realms:
            body = _dump(market.realm_snapshot(realm, modified))
            write_atomic(
                "wow_auctions",
                "connected_realm",
                at,
                body,
                key=str(realm),
                root=root,
                durable=False,
            )
            report.files += 1
        if progress:
            progress(report.files, total)
    return report


def write_dofus_market(
    days: float,
    *,
    seed: int = 42,
    end: datetime | None = None,
    root: Path | None = None,
    servers: tuple[str, ...] = ("Draconiros", "Imagiro"),
    every: timedelta = timedelta(minutes=30),
    progress: Callable[[int, int], None] | None = None,
    quirks: bool = False,
) -> WriteReport:
    """Client batches every ``every`` per server, some re-sent 5 minutes later unchanged,
    dropped in the inbox and swept into the landing contract as a live tick would. With
    ``quirks``, every 97th batch carries one item name ending in a NUL character (a
    capture client's buffer bug): the loader rejects that observation and keeps the rest."""
    from ingestion.simulator.dofus import DofusMarket
    from ingestion.sources.dofus_market import accept_batch

    market = DofusMarket(seed=seed)
    end = (end or clock.now()).astimezone(UTC)
    step = int(every.total_seconds())
    last = int(end.timestamp()) // step * step
    first = last - int(days * 86_400)  # inclusive: "N days ago" is observed too
    times = list(range(first, last + 1, step))
    report = WriteReport(start=datetime.fromtimestamp(first, UTC), end=end)
    for n, ts in enumerate(times):
        for server in servers:
            at = datetime.fromtimestamp(ts, UTC)
            batch = market.batch(server, at)
            if quirks and (ts // step + len(server)) % QUIRK_EVERY == 0 and batch["observations"]:
                batch["observations"][0]["item_name"] += "\u0000"
            accept_batch(_dump(batch), root=root)
            report.files += 1
            if (ts // step + len(server)) % 7 == 0:  # the client re-sends the same page
                again = at + timedelta(minutes=5)
                accept_batch(_dump(market.batch(server, again)), root=root)
                report.files += 1
        if progress and n % 20 == 0:
            progress(n + 1, len(times))
    return report


def write_osrs_hiscores(
    days: float,
    *,
    seed: int = 42,
    end: datetime | None = None,
    root: Path | None = None,
    every: timedelta = timedelta(minutes=30),
    players_csv: str | None = None,
    legacy_players: tuple[str, ...] = ("Weekend Wendy",),
    anchor: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> WriteReport:
    """A fetch tick every ``every``: the players config when it changed, each player's
    answer only when it differs from their previous one, and the tick's fetch log, all
    through the source's own archive functions. ``legacy_players`` answer in the legacy
    CSV (as a deployment on ``legacy_csv = true`` would), and now and then a player's
    request fails with a 503, to be asked again next tick."""
    from ingestion.simulator.hiscores import Hiscores, to_legacy_csv
    from ingestion.sources import osrs_hiscores as src

    end = (end or clock.now()).astimezone(UTC)
    # the rollback and the new skill are placed relative to the anchor (default: end's day)
    anchor = anchor or end.replace(hour=0, minute=0, second=0, microsecond=0)
    hiscores = Hiscores(seed=seed, anchor=anchor)
    text = players_csv if players_csv is not None else src.config_file().read_text()
    players = src.read_players(text)
    step = int(every.total_seconds())
    last = int(end.timestamp()) // step * step
    first = last - int(days * 86_400)
    times = list(range(first, last + 1, step))
    report = WriteReport(start=datetime.fromtimestamp(first, UTC), end=end)
    # carry on from what is archived already, as the live fetch does
    previous = {k: f.read_bytes() for k, f in src.newest_answers(root).items()}
    for n, ts in enumerate(times):
        at = datetime.fromtimestamp(ts, UTC)
        if src.archive_players(text, at, root):
            report.files += 1
        log = []
        for player in players:
            name = player["username"]
            if (ts // step * 7 + len(name)) % 151 == 0:  # an unlucky 503 now and then
                outcome = ("failed", 503, "HTTP 503 from the hiscores")
                log.append(src.record_outcome(player, None, at, root, status_if_failed=outcome))
                continue
            payload = hiscores.lookup(name, at)
            if payload is None:
                outcome = ("not_found", 404, "not on the hiscores")
                log.append(src.record_outcome(player, None, at, root, status_if_failed=outcome))
                continue
            legacy = name in legacy_players
            body = to_legacy_csv(payload).encode() if legacy else _dump(payload)
            entry = src.record_outcome(
                player, body, at, root, previous=previous.get(name), ext="csv" if legacy else "json"
            )
            if entry["status"] == "changed":
                previous[name] = body
                report.files += 1
            log.append(entry)
        write_atomic(src.SOURCE, "fetch_log", at, _dump(log), root=root, durable=False)
        report.files += 1
        if progress and (n % 20 == 0 or n == len(times) - 1):
            progress(n + 1, len(times))
    return report


def write_exchanges(
    *,
    seed: int = 42,
    end: datetime | None = None,
    root: Path | None = None,
    assets_file: Path | None = None,
    n_assets: int = 1_000,
    progress: Callable[[int, int], None] | None = None,
    quirks: bool = False,
) -> WriteReport:
    """One Binance and one Yahoo tick at ``end`` through the sources' own fetch code,
    against the simulator on loopback: from an empty landing zone that is the full
    history (``history_days``, ten years by default) plus the last day of minutes.

    With ``quirks`` Yahoo is asked twice, ``QUIRK_YAHOO_GAP`` before ``end`` and at
    ``end``, with AAPL's 4:1 split between the two fetches and some symbols' newest
    session sent twice (``Exchanges.__init__``), as real incremental fetches meet them."""
    from ingestion.http import SourceClient
    from ingestion.simulator.server import SimulatorServer
    from ingestion.sources import binance, yahoo_finance

    end = (end or clock.now()).astimezone(UTC)
    report = WriteReport(start=None, end=end)
    ticks = [(binance, end), (yahoo_finance, end)]
    if quirks:
        ticks.insert(1, (yahoo_finance, end - QUIRK_YAHOO_GAP))
    at = end
    with SimulatorServer(
        seed=seed, clock=lambda: at.timestamp(), n_assets=n_assets, quirks=quirks
    ) as sim:
        for n, (module, at) in enumerate(ticks):  # the server's clock reads `at`
            client = SourceClient(module.SOURCE, sim.url, per_second=0, backoff_factor=0.05)
            fetched = module.fetch(root=root, client=client, now=at, assets_file=assets_file)
            report.files += len(fetched.files)
            if progress:
                progress(n + 1, len(ticks))
    return report


def write_vividseats(
    days: float,
    *,
    seed: int = 42,
    end: datetime | None = None,
    root: Path | None = None,
    every: timedelta = timedelta(minutes=15),
    events_csv: str | None = None,
    n_events: int = 12,
    n_listings: int = 160,
    blocked_every: int = 29,
    anchor: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    quirks: bool = False,
) -> WriteReport:
    """A Vivid Seats tick every ``every`` through the source's own fetch code, against
    the simulator on loopback with its clock set to the tick. Every ``blocked_every``-th
    tick one event meets the bot protection (a 403) and is marked ``blocked``. With
    ``quirks`` the simulator's books hold now and then an absurd listing (see
    :class:`~ingestion.simulator.tickets.Tickets`)."""
    from ingestion.http import SourceClient
    from ingestion.simulator.server import SimulatorServer
    from ingestion.sources import vividseats as src

    end = (end or clock.now()).astimezone(UTC)
    step = int(every.total_seconds())
    last = int(end.timestamp()) // step * step
    first = last - int(days * 86_400) // step * step
    times = list(range(first, last + 1, step))
    text = events_csv if events_csv is not None else src.config_file().read_text()
    ids = [r["production_id"] for r in src.read_config(text) if r["production_id"]]
    sim_clock = {"now": float(first)}
    report = WriteReport(start=datetime.fromtimestamp(first, UTC), end=end)
    # the events are placed around ``anchor`` (default: the day the history ends), so
    # two writes with one anchor continue the same story
    with SimulatorServer(
        seed=seed,
        clock=lambda: sim_clock["now"],
        n_events=n_events,
        n_listings=n_listings,
        tickets_anchor=anchor or end,
        quirks=quirks,
    ) as sim:
        client = SourceClient(src.SOURCE, sim.url, per_second=0, backoff_factor=0.01)
        for n, ts in enumerate(times):
            sim_clock["now"] = float(ts)
            unlucky = (
                ids[(n // blocked_every) % len(ids)] if ids and n % blocked_every == 7 else None
            )
            sim.blocked_productions = {unlucky} if unlucky else set()
            at = datetime.fromtimestamp(ts, UTC)
            fetched = src.fetch(root=root, client=client, now=at, config_text=text)
            report.files += len(fetched.files)
            if progress and (n % 20 == 0 or n == len(times) - 1):
                progress(n + 1, len(times))
    return report


def write_vividseats_history(
    days: float,
    *,
    n_events: int = 100,
    n_listings: int = 1_000,
    seed: int = 42,
    end: datetime | None = None,
    root: Path | None = None,
    every: timedelta = timedelta(minutes=15),
    progress: Callable[[int, int], None] | None = None,
) -> WriteReport:
    """Months of 15-minute snapshots for many events, written straight into the landing
    layout the fetch produces (tracked events, then per tick each event's production
    record and listings, and the tick's fetch log) without the HTTP round trips: what
    the benchmark loads. Every event lies after ``end`` and its listings open before the
    history starts, so every snapshot holds a full book (``n_listings`` slots, most of
    them on sale at any moment)."""
    import orjson

    from ingestion.simulator.tickets import Tickets
    from ingestion.sources.vividseats import compress

    end = (end or clock.now()).astimezone(UTC)
    step = int(every.total_seconds())
    last = int(end.timestamp()) // step * step
    first = last - int(days * 86_400) // step * step
    times = list(range(first, last + 1, step))
    # anchor the events after the history (the simulator puts one of them 2 days before
    # its anchor: that one is past for the last two days, as a real tracked list would)
    tickets = Tickets(
        seed=seed,
        n_events=n_events,
        n_listings=n_listings,
        anchor=end + timedelta(days=2),
        horizon_days=int(days) + 150,
    )
    report = WriteReport(start=datetime.fromtimestamp(first, UTC), end=end)
    tracked = [
        {"production_id": p.production_id, "performer": None, "venue": None,
         "note": p.name, "resolved_from": "production_id"}
        for p in tickets.productions
    ]  # fmt: skip
    write_atomic(
        "vividseats",
        "tracked_events",
        report.start,
        json.dumps(tracked, sort_keys=True).encode(),
        root=root,
        durable=False,
    )
    report.files += 1
    for n, ts in enumerate(times):
        at = datetime.fromtimestamp(ts, UTC)
        log = []
        for p in tickets.productions:
            if p.event_at.date() < at.date():
                log.append({"production_id": p.production_id, "status": "past"})
                continue
            key = str(p.production_id)
            body = orjson.dumps(tickets.production(p.production_id, at))
            write_atomic("vividseats", "production", at, body, key=key, root=root, durable=False)
            book = tickets.listings(p.production_id, at)
            written = write_atomic(
                "vividseats", "listings", at, compress(orjson.dumps(book)), key=key,
                ext="json.gz", root=root, durable=False,
            )  # fmt: skip
            report.files += 2
            log.append(
                {
                    "production_id": p.production_id,
                    "status": "ok",
                    "http_status": 200,
                    "listings_file": written.relative,
                    "listings": len(book["tickets"]),
                }
            )
        write_atomic("vividseats", "fetch_log", at, orjson.dumps(log), root=root, durable=False)
        report.files += 1
        if progress and (n % 10 == 0 or n == len(times) - 1):
            progress(n + 1, len(times))
    return report
