"""Load the profiles folder into ``raw_user_state`` against the warehouse's item catalogue.

The catalogue is what the market pipelines built (``marts.dim_markets``, ``dim_items``,
``dim_players``), so user state loads after them: in a ``snapmart refresh`` after the
first dbt build, in Dagster as an asset downstream of those dimensions.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ingestion import loader
from ingestion.landing import now_utc
from ingestion.sources import osrs_hiscores
from ingestion.sources import user_state as source
from orchestration import ingest, warehouse


class UserStateError(RuntimeError):
    """Something a user must fix before their profiles can load (said in one sentence)."""


@dataclass
class UserStateLoad:
    bundle: str | None
    fetched: bool
    rows: dict[str, int] = field(default_factory=dict)
    rejects: list[tuple[str, str]] = field(default_factory=list)  # (file:line, reason)


def catalogue(info: warehouse.ConnectionInfo | None = None) -> source.Catalogue:
    with warehouse.connect(info) as conn:
        built = conn.execute("select to_regclass('marts.dim_items') is not null").fetchone()[0]
        if not built:
            raise UserStateError(
                "the item catalogue (marts.dim_items) is not built yet, so profiles cannot be "
                "checked: run `snapmart refresh` (or `snapmart demo`) first"
            )
        markets = conn.execute("select market_id, source from marts.dim_markets").fetchall()
        items = conn.execute(
            "select item_id, source, source_item_id, item_name from marts.dim_items"
        ).fetchall()
        players = []
        if conn.execute("select to_regclass('marts.dim_players') is not null").fetchone()[0]:
            players = conn.execute("select player_id, username from marts.dim_players").fetchall()
    metrics = [*osrs_hiscores.PUBLISHED_SKILLS, *osrs_hiscores.PUBLISHED_ACTIVITIES]
    return source.Catalogue.from_rows(markets, items, players, metrics)


class _ArrowToInsertsIsFine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "native writer could not be found" not in record.getMessage()


_ARROW_TO_INSERTS_IS_FINE = _ArrowToInsertsIsFine()  # addFilter ignores a second add


def load(
    *,
    fetch: bool = True,
    root: Path | None = None,
    folder: Path | None = None,
    wh: warehouse.Warehouse | None = None,
) -> UserStateLoad:
    """Archive the folder if it changed (``fetch``), then replace the raw user state with
    the newest archived version, in ``wh`` (by default the warehouse the environment
    names) from ``root`` (by default its landing zone). Idempotent: the same version
    loads the same rows."""
    wh = wh or warehouse.current()
    info = wh.info
    root = root if root is not None else wh.settings.landing_root
    fetched = bool(source.fetch(root=root, folder=folder).files) if fetch else False
    bundle_file = source.current_bundle(root)
    cat = catalogue(info)
    if bundle_file is None:
        state, bundle_rel, captured = source.ParsedState(), "", now_utc()
    else:
        try:
            bundle = json.loads(bundle_file.read_text())
        except ValueError as exc:
            raise UserStateError(
                f"{bundle_file.relative} is not a profiles bundle: {exc}"
            ) from None
        state = source.parse_bundle(bundle, cat)
        bundle_rel, captured = bundle_file.relative, bundle_file.captured_at
    pipeline = ingest.pipeline_for(source.SOURCE, wh)
    # A few hundred rows at most: plain INSERTs. (The Arrow/ADBC path the market sources use
    # fails on the empty file dlt writes to replace a table with nothing, i.e. when the
    # last profile is deleted.) dlt's note that Arrow → INSERT is slower is noise here.
    logging.getLogger("dlt").addFilter(_ARROW_TO_INSERTS_IS_FINE)
    pipeline.run(
        source.dlt_source(state, bundle_rel, captured, now_utc()),
        loader_file_format="insert_values",
    )
    return UserStateLoad(
        bundle=bundle_rel or None,
        fetched=fetched,
        rows={name: len(rows) for name, rows in state.tables.items()},
        rejects=[(r.record_pointer, r.reason) for r in state.rejects],
    )


def ensure_tables(wh: warehouse.Warehouse) -> None:
    """Empty raw user-state tables on a warehouse that never loaded profiles, so dbt's
    staging views compile (as ingest.ensure_raw_tables does for the market sources)."""
    loader.ensure_tables(ingest.pipeline_for(source.SOURCE, wh), source.TABLES.values())
