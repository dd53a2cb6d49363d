"""Load the profiles folder into ``raw_user_state``, and read back the lines the item
catalogue does not know.

Loading reads the folder and nothing of the warehouse but its own tables: it checks what
the files tell (shape, types, ranges) and loads items, markets and players as named.
dbt, downstream, resolves them against the catalogue the markets build
(``marts.dim_items``, ``dim_markets``, ``dim_players``): the lines that name nothing it
knows are ``intermediate.int_user_state__rejected_lines`` (``catalogue_rejects``), and the
user marts and the alert rules leave them out. The data walks one way: raw → staging →
intermediate → marts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion import loader
from ingestion.landing import now_utc
from ingestion.sources import user_state as source
from orchestration import ingest, warehouse


class UserStateError(RuntimeError):
    """Something a user must fix before their profiles can load (said in one sentence)."""


@dataclass
class UserStateLoad:
    """One profiles load: the bundle loaded (None: no profiles), whether the folder
    changed, rows per raw table, and the lines rejected (file:line, reason)."""

    bundle: str | None
    fetched: bool
    rows: dict[str, int] = field(default_factory=dict)
    rejects: list[tuple[str, str]] = field(default_factory=list)  # (file:line, reason)


# The loaded lines whose item, market or player the catalogue does not know: a dbt view
# (dbt_project/models/intermediate/user_state/), so it always shows raw as loaded.
REJECTED_LINES = "int_user_state__rejected_lines"
REJECTED_LINES_RELATION = f"intermediate.{REJECTED_LINES}"


def catalogue_rejects(conn: Any) -> list[tuple[str, str]]:
    """(file:line, reason) of every loaded line the catalogue does not resolve, in file
    and line order; none while the model is not built."""
    if not conn.execute("select to_regclass(%s)", (REJECTED_LINES_RELATION,)).fetchone()[0]:
        return []
    return conn.execute(
        f"""select record_pointer, reason from {REJECTED_LINES_RELATION}
        order by source_file, source_line, reason"""
    ).fetchall()


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
    run_id: str | None = None,
) -> UserStateLoad:
    """Archive the folder if it changed (``fetch``), then replace the raw user state with
    the newest archived version, in ``wh`` (by default the warehouse the environment
    names) from ``root`` (by default its landing zone). Idempotent: the same version
    loads the same rows. ``rejects`` are the lines the files themselves show wrong; the
    lines the catalogue does not know come from dbt (``catalogue_rejects``).

    Under the source's lock (``run_id``: the Dagster run that holds it): raises
    ``locks.LockBusy`` when another load holds it past ``SNAPMART_LOCK_WAIT_SECONDS``."""
    from orchestration.runtime import locks

    wh = wh or warehouse.current()
    # one load at a time, as every source's (orchestration/runtime/locks.py): two loads at
    # once share dlt's working folder and would both empty then fill the replaced tables
    with locks.hold(
        wh.info, locks.source_lock(source.SOURCE), run_id=run_id, wait=wh.settings.lock_wait_seconds
    ):
        return _load(fetch, root, folder, wh)


def _load(
    fetch: bool, root: Path | None, folder: Path | None, wh: warehouse.Warehouse
) -> UserStateLoad:
    root = root if root is not None else wh.settings.landing_root
    fetched = bool(source.fetch(root=root, folder=folder).files) if fetch else False
    bundle_file = source.current_bundle(root)
    if bundle_file is None:
        state, bundle_rel, captured = source.ParsedState(), "", now_utc()
    else:
        try:
            bundle = json.loads(bundle_file.read_text())
        except ValueError as exc:
            raise UserStateError(
                f"{bundle_file.relative} is not a profiles bundle: {exc}"
            ) from None
        state = source.parse_bundle(bundle)
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
    staging views compile (as ingest.ensure_raw_tables does for the market sources); on a
    warehouse whose tables predate a column (``item``, ``player``: names as written), the
    column, so they compile before the next load that writes each table."""
    pipeline = ingest.pipeline_for(source.SOURCE, wh, scratch=True)  # outside the lock
    loader.ensure_tables(pipeline, source.TABLES.values())
    loader.ensure_columns(pipeline, source.TABLES.values())
