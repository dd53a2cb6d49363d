"""Great Expectations 1.x suites on raw tables, run over an ephemeral GX context.

``dagster-ge`` only speaks GX 0.x, so Dagster sees these through ``@asset_check``s
(see definitions.py) that call :func:`validate_raw_table`. Each suite validates
every dlt load not yet passed (since the ``ops.raw_checks_passed`` watermark), one
load at a time: a tick's checks cost the loads not yet passed, not the table's
history, and a bad load blocks every later tick until it is fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ingestion import clock
from orchestration import warehouse

MAX_GP = 2_147_483_647


@dataclass(frozen=True)
class RawSuite:
    """Expectations for one raw table, built fresh per run (some depend on 'now')."""

    schema: str
    table: str
    expectations: Callable[[], list[Any]]
    blocking: bool = True
    description: str = ""


def _osrs_bucket_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    future = clock.now() + timedelta(minutes=10)
    expectations = [
        gxe.ExpectColumnValuesToNotBeNull(column="item_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="bucket_at"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["item_id", "bucket_at"]),
        gxe.ExpectColumnMaxToBeBetween(column="bucket_at", max_value=future),
    ]
    for col in ("avg_high_price", "avg_low_price"):
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(column=col, min_value=1, max_value=MAX_GP)
        )
    for col in ("high_price_volume", "low_price_volume"):
        expectations.append(gxe.ExpectColumnValuesToBeBetween(column=col, min_value=0))
    return expectations


def _osrs_latest_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToNotBeNull(column="item_id"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["item_id", "captured_at"]),
        gxe.ExpectColumnValuesToBeBetween(column="high", min_value=1, max_value=MAX_GP),
        gxe.ExpectColumnValuesToBeBetween(column="low", min_value=1, max_value=MAX_GP),
        _not_in_future(),
        _not_in_future("high_time"),
        _not_in_future("low_time"),
    ]


def _osrs_items_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToNotBeNull(column="item_id"),
        gxe.ExpectColumnValuesToBeUnique(column="item_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="item_name"),
        gxe.ExpectColumnValuesToBeBetween(column="buy_limit", min_value=1),
    ]


def _wow_common(*unique: str) -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=list(unique)),
        gxe.ExpectColumnValuesToNotBeNull(column="item_id"),
        gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=1),
        gxe.ExpectColumnValuesToBeInSet(
            column="time_left", value_set=["SHORT", "MEDIUM", "LONG", "VERY_LONG"]
        ),
        gxe.ExpectColumnMaxToBeBetween(
            column="captured_at", max_value=clock.now() + timedelta(minutes=10)
        ),
    ]


def _wow_commodities_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        *_wow_common("region", "captured_at", "auction_id"),
        gxe.ExpectColumnValuesToBeBetween(column="unit_price", min_value=1, max_value=10**13),
    ]


def _wow_realm_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        *_wow_common("connected_realm_id", "captured_at", "auction_id"),
        gxe.ExpectColumnValuesToBeBetween(column="buyout", min_value=1, max_value=10**13),
        gxe.ExpectColumnValuesToBeBetween(column="bid", min_value=1, max_value=10**13),
    ]


def _hiscore_metrics_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["username", "captured_at", "metric_kind", "metric"]
        ),
        gxe.ExpectColumnValuesToBeInSet(column="metric_kind", value_set=["skill", "activity"]),
        gxe.ExpectColumnValuesToNotBeNull(column="metric"),
        # -1 is unranked; anything below is corrupt (the parser rejects it before here)
        gxe.ExpectColumnValuesToBeBetween(column="rank", min_value=-1),
        gxe.ExpectColumnValuesToBeBetween(column="value", min_value=-1, max_value=10**10),
        gxe.ExpectColumnValuesToBeBetween(column="level", min_value=-1, max_value=3_000),
        gxe.ExpectColumnMaxToBeBetween(
            column="captured_at", max_value=clock.now() + timedelta(minutes=10)
        ),
    ]


def _fetch_log_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "username"]),
        gxe.ExpectColumnValuesToBeInSet(
            column="status", value_set=["changed", "unchanged", "not_found", "failed"]
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="account_type", value_set=["regular", "ironman", "hardcore", "ultimate"]
        ),
    ]


def _klines_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["symbol", "kline_interval", "open_time"]),
        gxe.ExpectColumnValuesToBeInSet(column="kline_interval", value_set=["1m", "1d"]),
        gxe.ExpectColumnValuesToBeBetween(column="low", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="volume", min_value=0),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="close_time", column_B="open_time", or_equal=False
        ),
        # only closed klines are fetched: none may close after it was loaded
        gxe.ExpectColumnMaxToBeBetween(column="close_time", max_value=clock.now()),
    ]


def _daily_bars_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["symbol", "bar_at"]),
        gxe.ExpectColumnValuesToBeBetween(column="low", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="volume", min_value=0),
        gxe.ExpectColumnMaxToBeBetween(column="bar_at", max_value=clock.now()),
    ]


def _listings_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    from ingestion.sources.vividseats import MAX_PRICE_CENTS, MAX_QUANTITY

    return [
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["production_id", "captured_at", "listing_id"]
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="price_cents", min_value=1, max_value=MAX_PRICE_CENTS
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="all_in_price_cents", column_B="price_cents", or_equal=True
        ),
        gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=1, max_value=MAX_QUANTITY),
        gxe.ExpectColumnValuesToNotBeNull(column="section"),
        gxe.ExpectColumnMaxToBeBetween(
            column="captured_at", max_value=clock.now() + timedelta(minutes=10)
        ),
    ]


def _tickets_fetch_log_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    from ingestion.sources.vividseats import STATUSES

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "production_id"]),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUSES)),
    ]


def _not_in_future(column: str = "captured_at") -> Any:
    """Timestamps from the future mean a wrong clock or a misread field; 10 minutes of
    slack for clock skew between a capture client and the warehouse."""
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnMaxToBeBetween(
        column=column, max_value=clock.now() + timedelta(minutes=10)
    )


def _dofus_observations_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["server", "captured_at", "ankama_id"]),
        gxe.ExpectColumnValuesToNotBeNull(column="server"),
        gxe.ExpectColumnValuesToNotBeNull(column="item_name"),
        gxe.ExpectColumnValuesToBeBetween(column="ankama_id", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="level", min_value=1, max_value=200),
        *(
            gxe.ExpectColumnValuesToBeBetween(column=c, min_value=1, max_value=10**12)
            for c in ("price_x1", "price_x10", "price_x100")
        ),
        _not_in_future(),
    ]


def _tracked_players_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    from ingestion.sources.osrs_hiscores import BOARDS

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "username"]),
        gxe.ExpectColumnValuesToNotBeNull(column="username"),
        # the characters the game allows in a display name
        gxe.ExpectColumnValuesToMatchRegex(column="username", regex=r"^[A-Za-z0-9 _-]+$"),
        gxe.ExpectColumnValuesToBeInSet(column="account_type", value_set=list(BOARDS)),
        _not_in_future(),
    ]


def _tracked_assets_suite(provider: str) -> Callable[[], list[Any]]:
    def suite() -> list[Any]:
        import great_expectations.expectations as gxe

        from ingestion.assets import ASSET_TYPES

        return [
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "symbol"]),
            gxe.ExpectColumnValuesToNotBeNull(column="provider_symbol"),
            gxe.ExpectColumnValuesToBeInSet(column="asset_type", value_set=list(ASSET_TYPES)),
            gxe.ExpectColumnValuesToBeInSet(column="provider", value_set=[provider]),
            _not_in_future(),
        ]

    return suite


def _ticker_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "symbol"]),
        gxe.ExpectColumnValuesToBeBetween(column="last_price", min_value=0, strict_min=True),
        gxe.ExpectColumnValuesToBeBetween(column="volume", min_value=0),
        # a 24h change beyond −100 % cannot happen; beyond +10 000 % is a misread field
        gxe.ExpectColumnValuesToBeBetween(column="price_change_pct", min_value=-100, max_value=1e4),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="close_time", column_B="open_time", or_equal=False
        ),
        _not_in_future(),
        _not_in_future("close_time"),
    ]


def _tracked_events_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["captured_at", "production_id"]),
        gxe.ExpectColumnValuesToBeBetween(column="production_id", min_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="resolved_from"),
        _not_in_future(),
    ]


def _productions_suite() -> list[Any]:
    import great_expectations.expectations as gxe

    from ingestion.sources.vividseats import MAX_PRICE_CENTS

    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["production_id", "captured_at"]),
        gxe.ExpectColumnValuesToNotBeNull(column="production_name"),
        gxe.ExpectColumnValuesToMatchRegex(column="local_date", regex=r"^\d{4}-\d{2}-\d{2}"),
        gxe.ExpectColumnValuesToBeBetween(
            column="min_price_cents", min_value=1, max_value=MAX_PRICE_CENTS
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="max_price_cents",
            column_B="min_price_cents",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        _not_in_future(),
    ]


def _user_state_suite(table: str) -> Callable[[], list[Any]]:
    """The profiles folder is checked line by line when parsed; these hold the loaded
    tables to the same contract (one row per key, known rule types, no negative stock)."""

    def suite() -> list[Any]:
        import great_expectations.expectations as gxe

        from ingestion.sources.user_state import RULE_TYPES, TABLES

        spec = TABLES[table]
        expectations = [
            gxe.ExpectCompoundColumnsToBeUnique(column_list=list(spec.primary_key))
            if len(spec.primary_key) > 1
            else gxe.ExpectColumnValuesToBeUnique(column=spec.primary_key[0]),
            gxe.ExpectColumnValuesToNotBeNull(column="profile_id"),
            gxe.ExpectColumnValuesToBeBetween(column="source_line", min_value=1),
        ]
        if table == "bank_items":
            expectations.append(gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=0))
        if table == "alert_rules":
            expectations += [
                gxe.ExpectColumnValuesToBeInSet(column="rule_type", value_set=list(RULE_TYPES)),
                gxe.ExpectColumnValuesToBeBetween(column="cooldown_minutes", min_value=0),
            ]
        return expectations

    return suite


USER_STATE_TABLES = ("profiles", "favorites", "watchlists", "bank_items", "alert_rules")

SUITES: tuple[RawSuite, ...] = (
    RawSuite("raw_osrs_prices", "prices_5m", _osrs_bucket_suite, description="5m buckets"),
    RawSuite("raw_osrs_prices", "prices_1h", _osrs_bucket_suite, description="1h buckets"),
    RawSuite("raw_osrs_prices", "latest_prices", _osrs_latest_suite, description="/latest"),
    RawSuite("raw_osrs_prices", "items", _osrs_items_suite, description="/mapping"),
    RawSuite(
        "raw_wow_auctions", "commodity_auctions", _wow_commodities_suite, description="commodities"
    ),
    RawSuite("raw_wow_auctions", "realm_auctions", _wow_realm_suite, description="realm auctions"),
    RawSuite(
        "raw_osrs_hiscores", "hiscore_metrics", _hiscore_metrics_suite, description="hiscores"
    ),
    RawSuite("raw_osrs_hiscores", "fetch_log", _fetch_log_suite, description="fetch outcomes"),
    RawSuite("raw_binance", "klines", _klines_suite, description="closed klines"),
    RawSuite("raw_yahoo_finance", "daily_bars", _daily_bars_suite, description="daily bars"),
    RawSuite("raw_vividseats", "listings", _listings_suite, description="ticket listings"),
    RawSuite(
        "raw_vividseats", "fetch_log", _tickets_fetch_log_suite, description="event fetch outcomes"
    ),
    RawSuite(
        "raw_dofus_market", "observations", _dofus_observations_suite, description="HDV prices"
    ),
    RawSuite(
        "raw_osrs_hiscores",
        "tracked_players",
        _tracked_players_suite,
        description="tracked_players.csv",
    ),
    RawSuite(
        "raw_binance",
        "tracked_assets",
        _tracked_assets_suite("binance"),
        description="tracked_assets.csv",
    ),
    RawSuite("raw_binance", "ticker_24hr", _ticker_suite, description="24h tickers"),
    RawSuite(
        "raw_yahoo_finance",
        "tracked_assets",
        _tracked_assets_suite("yahoo_finance"),
        description="tracked_assets.csv",
    ),
    RawSuite(
        "raw_vividseats", "tracked_events", _tracked_events_suite, description="tracked_events.csv"
    ),
    RawSuite("raw_vividseats", "productions", _productions_suite, description="event records"),
    *(
        RawSuite("raw_user_state", t, _user_state_suite(t), description="the profiles folder")
        for t in USER_STATE_TABLES
    ),
)


@dataclass
class SuiteResult:
    schema: str
    table: str
    success: bool
    rows: int
    failed: list[dict[str, Any]] = field(default_factory=list)
    load_id: str | None = None
    skipped_reason: str | None = None


def _newest_load(info: warehouse.ConnectionInfo, schema: str, table: str) -> tuple[str | None, int]:
    """The newest dlt load that put rows in the table, and how many.

    Candidates come newest first from the dataset's small ``_dlt_loads`` table; each
    is probed through the load-id index (btree or BRIN), so this never scans history.
    """
    from psycopg import sql

    with warehouse.connect(info) as conn:
        exists = conn.execute(
            "select 1 from information_schema.tables where table_schema = %s and table_name = %s",
            (schema, table),
        ).fetchone()
        if not exists:
            return None, 0
        ident = sql.Identifier(schema, table)
        loads = conn.execute(
            sql.SQL(
                "select load_id from {} where status = 0 order by load_id::numeric desc limit 200"
            ).format(sql.Identifier(schema, "_dlt_loads"))
        ).fetchall()
        for (load_id,) in loads:
            rows = conn.execute(
                sql.SQL("select count(*) from {} where _dlt_load_id::numeric = %s").format(ident),
                (load_id,),
            ).fetchone()[0]
            if rows:
                return str(load_id), int(rows)
        return None, 0


PASSED_DDL = """
create schema if not exists ops;
create table if not exists ops.raw_checks_passed (
    schema_name text not null,
    table_name text not null,
    load_id numeric not null,
    passed_at timestamptz not null default now(),
    primary key (schema_name, table_name)
);
"""


def _passed_through(info: warehouse.ConnectionInfo, suite: RawSuite) -> str | None:
    """The newest load of the table whose rows passed the suite (None: never checked)."""
    with warehouse.connect(info, autocommit=True) as conn:
        conn.execute(PASSED_DDL)
        row = conn.execute(
            "select load_id::text from ops.raw_checks_passed"
            " where schema_name = %s and table_name = %s",
            (suite.schema, suite.table),
        ).fetchone()
    return row[0] if row else None


def record_passed(suite: RawSuite, load_id: str) -> None:
    """Remember that the table's loads up to ``load_id`` passed the suite."""
    info = warehouse.ensure_warehouse()
    with warehouse.connect(info, autocommit=True) as conn:
        conn.execute(PASSED_DDL)
        conn.execute(
            "insert into ops.raw_checks_passed (schema_name, table_name, load_id)"
            " values (%s, %s, %s::numeric) on conflict (schema_name, table_name) do update"
            " set load_id = greatest(ops.raw_checks_passed.load_id, excluded.load_id),"
            " passed_at = now()",
            (suite.schema, suite.table, load_id),
        )


def _unpassed_loads(
    info: warehouse.ConnectionInfo, suite: RawSuite, passed: str, limit: int = 200
) -> list[tuple[str, int]]:
    """(load id, rows) of the completed loads newer than ``passed`` that put rows in the
    table, oldest first (at most ``limit``, the newest). Each is probed through the
    load-id index, as :func:`_newest_load` does."""
    from psycopg import sql

    table = sql.Identifier(suite.schema, suite.table)
    with warehouse.connect(info) as conn:
        loads = conn.execute(
            sql.SQL(
                "select load_id from {} where status = 0 and load_id::numeric > %s::numeric"
                " order by load_id::numeric desc limit %s"
            ).format(sql.Identifier(suite.schema, "_dlt_loads")),
            (passed, limit),
        ).fetchall()
        out = []
        for (candidate,) in loads:
            rows = conn.execute(
                sql.SQL("select count(*) from {} where _dlt_load_id::numeric = %s").format(table),
                (candidate,),
            ).fetchone()[0]
            if rows:
                out.append((str(candidate), int(rows)))
    return out[::-1]


def validate_raw_table(suite: RawSuite, load_id: str | None = None) -> SuiteResult:
    """Validate rows of the table against the suite: those of ``load_id`` when given,
    else each load newer than the last one that passed (``ops.raw_checks_passed``),
    load by load, recording the newest of an unbroken run of passes.

    A load that fails stays unpassed, so the next tick validates it again beside its own
    load and is blocked again: a bad load stays out of the marts until it is fixed (its
    rows deleted or corrected), not only for the tick that loaded it. A table never
    checked starts with its newest load. One load at a time, as each tick would have
    checked it: the cost is that of the loads not yet passed, never of the history."""
    info = warehouse.ensure_warehouse()
    if load_id is not None:
        return _validate_load(info, suite, load_id, -1)
    newest, rows = _newest_load(info, suite.schema, suite.table)
    if newest is None:
        return SuiteResult(suite.schema, suite.table, True, 0, skipped_reason="no rows loaded yet")
    passed = _passed_through(info, suite)
    loads = [(newest, rows)]
    if passed is not None and float(passed) < float(newest):
        loads = _unpassed_loads(info, suite, passed) or loads
    elif passed is not None:
        loads = []  # the newest load passed already: nothing new to look at
    total = SuiteResult(suite.schema, suite.table, True, 0, load_id=newest)
    unbroken = True
    for candidate, n in loads:
        result = _validate_load(info, suite, candidate, n)
        total.rows += n
        if result.success and unbroken:
            record_passed(suite, candidate)
        else:
            unbroken = False
        if not result.success:
            total.success = False
            total.failed += [{**f, "load_id": candidate} for f in result.failed]
    return total


def _validate_load(
    info: warehouse.ConnectionInfo, suite: RawSuite, load_id: str, rows: int
) -> SuiteResult:
    """The suite over the rows of one dlt load."""
    import great_expectations as gx
    from psycopg import sql

    table = sql.Identifier(suite.schema, suite.table)
    condition = sql.SQL("_dlt_load_id::numeric = {}::numeric").format(sql.Literal(load_id))
    context = gx.get_context(mode="ephemeral")
    _quiet(context)
    datasource = context.data_sources.add_postgres(name="warehouse", connection_string=info.url())
    with warehouse.connect(info) as conn:
        query = sql.SQL("select * from {} where {}").format(table, condition).as_string(conn)
    asset = datasource.add_query_asset(name=f"{suite.table}_load", query=query)
    batch = asset.add_batch_definition_whole_table("load").get_batch()
    gx_suite = gx.ExpectationSuite(name=f"{suite.schema}.{suite.table}")
    for expectation in suite.expectations():
        gx_suite.add_expectation(expectation)
    result = batch.validate(gx_suite)
    failed = []
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            failed.append(
                {
                    "expectation": cfg.type,
                    "kwargs": {k: str(v) for k, v in cfg.kwargs.items() if k != "batch_id"},
                    "unexpected_count": (r.result or {}).get("unexpected_count"),
                    "partial_unexpected": [
                        str(v) for v in ((r.result or {}).get("partial_unexpected_list") or [])[:5]
                    ],
                    "observed_value": str((r.result or {}).get("observed_value")),
                }
            )
    return SuiteResult(
        suite.schema, suite.table, bool(result.success), rows, failed, load_id=load_id
    )


def _quiet(context: Any) -> None:
    """No tqdm bars from inside a Dagster step or our own progress display."""
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
    except Exception:  # older/newer GX without the knob: bars are cosmetic
        pass


def suites_for(schema: str) -> list[RawSuite]:
    return [s for s in SUITES if s.schema == schema]
