"""``/v1/events`` and ``/v1/tickets``: Vivid Seats events (``marts.dim_events``), their
prices per section and hour or day (``marts.mart_event_prices_hourly`` / ``_daily``),
their sell-through per section and day (``marts.mart_event_sellthrough``) and the listings
priced well under their section's median (``marts.mart_ticket_deals``).

Every price is all-in (fees included) per ticket, in US dollars with cents as decimals
(``currency`` = ``USD``): the marts divide the source's cents by 100."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from orchestration.api import paging
from orchestration.api.db import Marts, marts_of
from orchestration.api.lookup import NoNul, exact
from orchestration.api.problems import bad_parameter, not_found
from orchestration.api.respond import respond
from orchestration.api.routes import FormatParam

router = APIRouter(tags=["events"])

CURRENCY = "USD"
EVENTS_LIMIT = 100
EVENTS_MAX = 1000
SERIES_LIMIT = 1000
SERIES_MAX = 10_000
DEALS_LIMIT = 50
DEALS_MAX = 1000
BIGINT_MAX = 2**63 - 1


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


EVENT_COLUMNS = _columns(
    "production_id event_name event_date event_local_at days_to_event venue_name "
    "venue_city performer is_tracked is_past last_fetched_at last_fetch_status "
    "last_fetch_detail last_snapshot_at listings tickets get_in_price currency"
)
PRICE_COLUMNS = _columns(
    "section bucket_start days_to_event get_in_price median_price avg_price currency "
    "listings tickets close_listings close_tickets"
)
SELLTHROUGH_COLUMNS = _columns(
    "section day days_to_event listings_gone tickets_gone listings_new tickets_new "
    "listings_left tickets_left sell_rate_7d net_depletion_7d projected_sellout_date"
)
DEAL_COLUMNS = _columns(
    "production_id event_name event_date days_to_event section listing_id seat_row "
    "quantity price all_in_price section_median_price section_get_in_price "
    "section_listings saving discount_pct currency notes captured_at"
)
# the mart each bucket reads, and the order each `when` lists events in: never the
# client's text in the SQL
BUCKET_TABLES = {"hour": "marts.mart_event_prices_hourly", "day": "marts.mart_event_prices_daily"}
EVENT_ORDERS = {"upcoming": ("asc", ">"), "all": ("asc", ">"), "past": ("desc", "<")}

ProductionId = Annotated[
    int, Path(ge=1, le=BIGINT_MAX, description="Vivid Seats production (event) id.")
]
Section = Annotated[
    str | None,
    Query(description="Only this section (exact, as the marts spell it).", max_length=200),
    NoNul,
]


EventsLimit = Annotated[int, Query(ge=1, le=EVENTS_MAX, description="Rows per page.")]
SeriesLimit = Annotated[int, Query(ge=1, le=SERIES_MAX, description="Rows per page.")]
DealsLimit = Annotated[int, Query(ge=1, le=DEALS_MAX, description="Rows per page.")]
Cursor = Annotated[
    str | None,
    Query(description="next_cursor of the page before (opaque).", max_length=1000),
]


def _decode(cursor: str | None, kind: str, types: tuple[type, ...]) -> list[Any] | None:
    """``paging.decode``, and a 400 for a text in the key PostgreSQL cannot hold (NUL)."""
    after = paging.decode(cursor, kind, types)
    if after and any(isinstance(v, str) and "\x00" in v for v in after):
        raise bad_parameter("cursor", "not a cursor this API handed out")
    return after


def _cursor_value(value: str, parse: Callable[[str], Any]) -> str:
    """A cursor's value, checked with ``parse`` (date, datetime, Decimal) before SQL casts
    it: a 400 naming ``cursor`` when it does not parse."""
    try:
        if value != "infinity":  # an event without a date sorts last
            parse(value)
    except (ValueError, ArithmeticError):
        raise bad_parameter("cursor", "not a cursor this API handed out") from None
    return value


def _utc(at: datetime | None) -> datetime | None:
    """A time the client gave: one without an offset is UTC."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _event(marts: Marts, production_id: int) -> dict[str, Any]:
    """The event's dim_events row (name, date, newest snapshot); a 404 Problem when none."""
    rows = marts.fetch(
        """
        select production_id, event_name, event_date, last_snapshot_at
        from marts.dim_events where production_id = %s
        """,
        (production_id,),
    )
    if not rows:
        raise not_found(f"event {production_id}")
    return rows[0]


def _check_section(marts: Marts, production_id: int, section: str | None) -> None:
    """A 404 Problem when ``section`` is named and the event never had a listing in it."""
    if section is None:
        return
    rows = marts.fetch(
        """
        select 1 from marts.mart_event_prices_daily
        where production_id = %s and section = %s limit 1
        """,
        (production_id, section),
    )
    if not rows:
        raise not_found(f"section {section!r} of event {production_id}")


def _envelope(event: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "production_id": event["production_id"],
        "event_name": event["event_name"],
        "event_date": event["event_date"].isoformat() if event["event_date"] else None,
        **more,
    }


@router.get("/events", summary="Events (Vivid Seats productions), upcoming first")
def events(
    request: Request,
    marts: Annotated[Marts, Depends(marts_of)],
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Case-insensitive text in the name, performer, venue or city.",
        ),
        NoNul,
    ] = None,
    when: Annotated[
        Literal["upcoming", "past", "all"],
        Query(
            description="upcoming (default: not past, including events whose date is not "
            "known yet), past, or all."
        ),
    ] = "upcoming",
    tracked: Annotated[
        bool | None, Query(description="true: only events the config tracks; false: others.")
    ] = None,
    limit: EventsLimit = EVENTS_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """Events of ``dim_events``: ``upcoming`` ones (default) soonest first, ``past`` ones
    latest first, ``all`` soonest first; events with no date yet last; ties by
    ``production_id``. Each: ``event_name``, ``event_date`` (venue local day),
    ``event_local_at`` (venue local time, no offset), ``days_to_event`` (from today, UTC),
    venue, ``performer`` (the config line that found it), ``is_tracked``, ``is_past``,
    the last fetch (``last_fetched_at``, ``last_fetch_status``: ok, blocked, past,
    not_found, failed; ``last_fetch_detail``) and the book at the newest snapshot
    (``last_snapshot_at``, ``listings``, ``tickets``, ``get_in_price``: the cheapest all-in
    price per ticket in ``currency`` USD, dollars). Pages of ``limit`` (default 100) with
    ``cursor``. ``as_of``: the newest fetch or snapshot of any event."""
    direction, compare = EVENT_ORDERS[when]
    after = _decode(cursor, f"events:{when}", (str, int))
    rows = marts.fetch(
        f"""
        select
            production_id, event_name, event_date,
            to_char(event_local_at, 'YYYY-MM-DD"T"HH24:MI:SS') as event_local_at,
            days_to_event, venue_name, venue_city, performer, is_tracked, is_past,
            last_fetched_at, last_fetch_status, last_fetch_detail, last_snapshot_at,
            listings, tickets, get_in_price, %(currency)s::text as currency
        from marts.dim_events
        where
            (%(when)s = 'all' or is_past = (%(when)s = 'past'))
            and (%(tracked)s::boolean is null or is_tracked = %(tracked)s::boolean)
            and (
                %(q)s::text is null
                or strpos(lower(event_name), lower(%(q)s::text)) > 0
                or strpos(lower(performer), lower(%(q)s::text)) > 0
                or strpos(lower(venue_name), lower(%(q)s::text)) > 0
                or strpos(lower(venue_city), lower(%(q)s::text)) > 0
            )
            and (
                %(after_date)s::date is null
                or (coalesce(event_date, 'infinity'::date), production_id)
                {compare} (%(after_date)s::date, %(after_id)s::bigint)
            )
        order by coalesce(event_date, 'infinity'::date) {direction}, production_id {direction}
        limit %(limit)s
        """,
        {
            "currency": CURRENCY,
            "when": when,
            "tracked": tracked,
            "q": q,
            "after_date": _cursor_value(after[0], date.fromisoformat) if after else None,
            "after_id": after[1] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = None
    if more:
        last = rows[-1]
        day = last["event_date"].isoformat() if last["event_date"] else "infinity"
        next_cursor = paging.encode(f"events:{when}", [day, last["production_id"]])
    as_of = marts.fetch(
        """select max(greatest(last_fetched_at, last_snapshot_at)) as as_of
        from marts.dim_events"""
    )[0]["as_of"]
    return respond(
        request,
        rows,
        columns=EVENT_COLUMNS,
        fmt=fmt,
        as_of=as_of,
        extra={"when": when},
        next_cursor=next_cursor,
    )


@router.get(
    "/events/{production_id}/prices", summary="An event's prices per section and hour or day"
)
def event_prices(
    request: Request,
    production_id: ProductionId,
    marts: Annotated[Marts, Depends(marts_of)],
    bucket: Annotated[
        Literal["hour", "day"], Query(description="hour (default) or day (UTC buckets).")
    ] = "hour",
    section: Section = None,
    start: Annotated[
        datetime | None,
        Query(description="Buckets starting at or after this time (ISO 8601; no offset: UTC)."),
    ] = None,
    end: Annotated[
        datetime | None,
        Query(description="Buckets starting before this time (ISO 8601; no offset: UTC)."),
    ] = None,
    limit: SeriesLimit = SERIES_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """One row per section and UTC ``bucket`` (``mart_event_prices_hourly`` or
    ``_daily``), oldest bucket first, sections in order within one: ``get_in_price`` (the
    cheapest all-in price asked in the bucket), ``median_price`` and ``avg_price`` (over
    the listings on sale in the bucket, each at its last price), all per ticket in
    ``currency`` USD (dollars, not cents); ``listings`` / ``tickets`` on sale at any time in
    the bucket, ``close_listings`` / ``close_tickets`` at its last snapshot;
    ``days_to_event`` = event date − the bucket's UTC day. ``section``, ``start`` and
    ``end`` narrow it. Pages of ``limit`` (default 1000) with ``cursor``. ``as_of``: the
    event's newest snapshot. 404 for an unknown event or a section it never had."""
    start, end = _utc(start), _utc(end)
    if start is not None and end is not None and end <= start:
        raise bad_parameter("end", "must be after start")
    event = _event(marts, production_id)
    _check_section(marts, production_id, section)
    kind = f"prices:{bucket}"
    after = _decode(cursor, kind, (str, str))
    rows = marts.fetch(
        f"""
        select
            p.section, p.bucket_start,
            %(event_date)s::date - (p.bucket_start at time zone 'UTC')::date as days_to_event,
            p.get_in_price, p.median_price, p.avg_price, %(currency)s::text as currency,
            p.listings, p.tickets, p.close_listings, p.close_tickets
        from {BUCKET_TABLES[bucket]} as p
        where
            p.production_id = %(pid)s
            and (%(section)s::text is null or p.section = %(section)s::text)
            and (%(start)s::timestamptz is null or p.bucket_start >= %(start)s::timestamptz)
            and (%(end)s::timestamptz is null or p.bucket_start < %(end)s::timestamptz)
            and (
                %(after_at)s::timestamptz is null
                or (p.bucket_start, p.section)
                > (%(after_at)s::timestamptz, %(after_section)s::text)
            )
        order by p.bucket_start, p.section
        limit %(limit)s
        """,
        {
            "event_date": event["event_date"],
            "currency": CURRENCY,
            "pid": production_id,
            "section": section,
            "start": start,
            "end": end,
            "after_at": _cursor_value(after[0], datetime.fromisoformat) if after else None,
            "after_section": after[1] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = (
        paging.encode(kind, [rows[-1]["bucket_start"].isoformat(), rows[-1]["section"]])
        if more
        else None
    )
    return respond(
        request,
        rows,
        columns=PRICE_COLUMNS,
        fmt=fmt,
        as_of=event["last_snapshot_at"],
        extra=_envelope(event, bucket=bucket, section=section, currency=CURRENCY),
        next_cursor=next_cursor,
    )


@router.get(
    "/events/{production_id}/sellthrough", summary="An event's sell-through per section and day"
)
def event_sellthrough(
    request: Request,
    production_id: ProductionId,
    marts: Annotated[Marts, Depends(marts_of)],
    section: Section = None,
    limit: SeriesLimit = SERIES_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """One row per section and UTC ``day`` (``mart_event_sellthrough``), oldest first:
    listings and tickets that disappeared (``_gone``: sold or pulled, the source does not
    say which) and appeared (``_new``) between consecutive snapshots, what was up at the
    day's last snapshot (``_left``), ``sell_rate_7d`` (tickets gone per observed day over
    the 7 days ending that day), ``net_depletion_7d`` ((gone − new) per day; ≤ 0: supply
    keeps up) and ``projected_sellout_date`` (null when supply keeps up);
    ``days_to_event`` = event date − day. Pages of ``limit`` (default 1000) with
    ``cursor``. ``as_of``: the event's newest snapshot. 404 for an unknown event or a
    section it never had."""
    event = _event(marts, production_id)
    _check_section(marts, production_id, section)
    after = _decode(cursor, "sellthrough", (str, str))
    if after:
        _cursor_value(after[0], date.fromisoformat)
    rows = marts.fetch(
        f"""
        select {", ".join(SELLTHROUGH_COLUMNS)}
        from marts.mart_event_sellthrough
        where
            production_id = %(pid)s
            and (%(section)s::text is null or section = %(section)s::text)
            and (
                %(after_day)s::date is null
                or (day, section) > (%(after_day)s::date, %(after_section)s::text)
            )
        order by day, section
        limit %(limit)s
        """,
        {
            "pid": production_id,
            "section": section,
            "after_day": after[0] if after else None,
            "after_section": after[1] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = (
        paging.encode("sellthrough", [rows[-1]["day"].isoformat(), rows[-1]["section"]])
        if more
        else None
    )
    return respond(
        request,
        rows,
        columns=SELLTHROUGH_COLUMNS,
        fmt=fmt,
        as_of=event["last_snapshot_at"],
        extra=_envelope(event, section=section),
        next_cursor=next_cursor,
    )


@router.get("/tickets/deals", summary="Listings priced well under their section's median")
def ticket_deals(
    request: Request,
    marts: Annotated[Marts, Depends(marts_of)],
    production_id: Annotated[
        int | None, Query(ge=1, le=BIGINT_MAX, description="Only this event's deals.")
    ] = None,
    section: Section = None,
    min_discount_pct: Annotated[
        float | None,
        Query(ge=0, le=100, description="Only deals at least this far under the median, %."),
    ] = None,
    limit: DealsLimit = DEALS_LIMIT,
    cursor: Cursor = None,
    fmt: FormatParam = "json",
) -> Response:
    """Listings of upcoming events' newest snapshots at least 20 % under their section's
    median all-in price (``mart_ticket_deals``), biggest ``discount_pct`` first, then by
    ``production_id`` and ``listing_id``. Per ticket, in ``currency`` USD (dollars):
    ``price`` (before fees), ``all_in_price``, ``section_median_price``,
    ``section_get_in_price``, ``saving`` (median − all-in); ``discount_pct`` in %;
    ``captured_at`` the snapshot. ``production_id``, ``section`` and ``min_discount_pct``
    narrow it. Pages of ``limit`` (default 50) with ``cursor``. ``as_of``: the newest
    snapshot among the deals asked about. 404 for an unknown ``production_id``."""
    if production_id is not None:
        _event(marts, production_id)
    after = _decode(cursor, "deals", (str, int, int))
    if after:
        _cursor_value(after[0], Decimal)
    where = """
            (%(pid)s::bigint is null or production_id = %(pid)s::bigint)
            and (%(section)s::text is null or section = %(section)s::text)
            and (%(min_pct)s::numeric is null or discount_pct >= %(min_pct)s::numeric)
    """
    params = {"pid": production_id, "section": section, "min_pct": exact(min_discount_pct)}
    rows = marts.fetch(
        f"""
        select
            production_id, event_name, event_date, days_to_event, section, listing_id,
            seat_row, quantity, price, all_in_price, section_median_price,
            section_get_in_price, section_listings, saving, discount_pct,
            %(currency)s::text as currency, notes, captured_at
        from marts.mart_ticket_deals
        where
            {where}
            and (
                %(after_pct)s::numeric is null
                or discount_pct < %(after_pct)s::numeric
                or (
                    discount_pct = %(after_pct)s::numeric
                    and (production_id, listing_id) > (%(after_pid)s::bigint, %(after_lid)s::bigint)
                )
            )
        order by discount_pct desc, production_id, listing_id
        limit %(limit)s
        """,
        {
            **params,
            "currency": CURRENCY,
            "after_pct": after[0] if after else None,
            "after_pid": after[1] if after else None,
            "after_lid": after[2] if after else None,
            "limit": limit + 1,
        },
    )
    rows, more = paging.page(rows, limit)
    next_cursor = None
    if more:
        last = rows[-1]
        key = [str(last["discount_pct"]), last["production_id"], last["listing_id"]]
        next_cursor = paging.encode("deals", key)
    as_of = marts.fetch(
        f"select max(captured_at) as as_of from marts.mart_ticket_deals where {where}", params
    )[0]["as_of"]
    return respond(
        request,
        rows,
        columns=DEAL_COLUMNS,
        fmt=fmt,
        as_of=as_of,
        extra={"production_id": production_id, "section": section, "currency": CURRENCY},
        next_cursor=next_cursor,
    )
