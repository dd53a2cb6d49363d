"""User state, rows → dlt: every state table replaced whole, rejects merged into
``rejected_records``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import dlt
import pyarrow as pa

from ingestion.loader import REJECTED_RECORDS
from ingestion.sources.user_state.parse import ParsedState
from ingestion.sources.user_state.tables import TABLES


def dlt_source(
    state: ParsedState, bundle_file: str, captured_at: datetime, rejected_at: datetime
) -> Any:
    """The parsed state as dlt resources: every state table replaced whole (a deleted line
    disappears), rejects merged into ``rejected_records`` (a re-load adds none)."""
    # Arrow tables, as every other source loads: the same column types as the empty
    # tables ensure_tables creates, no per-row ids. An empty table goes as no data: dlt
    # empties a replace table that receives nothing.
    resources = [
        dlt.resource(
            pa.Table.from_pylist(
                [{**r, "bundle_file": bundle_file} for r in state.tables[name]],
                schema=spec.arrow_schema(),
            )
            if state.tables[name]
            else [],
            name=name,
            write_disposition="replace",
            primary_key=list(spec.primary_key),
            columns=spec.dlt_columns(),
        )
        for name, spec in TABLES.items()
    ]
    rejects = [
        {
            "landing_file": bundle_file,
            "record_pointer": r.record_pointer,
            "reason": r.reason,
            "payload": None if r.payload is None else json.dumps(r.payload, default=str),
            "rejected_at": rejected_at,
            "captured_at": captured_at,
        }
        for r in state.rejects
    ]
    if not rejects:
        return resources
    resources.append(
        dlt.resource(
            pa.Table.from_pylist(rejects, schema=REJECTED_RECORDS.arrow_schema()),
            name="rejected_records",
            write_disposition="merge",
            primary_key=list(REJECTED_RECORDS.primary_key),
            columns=REJECTED_RECORDS.dlt_columns(),
        )
    )
    return resources
