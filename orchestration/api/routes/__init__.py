"""The API's resources, one module per family: ``health``, ``markets``, ``prices``; and
the query parameters they share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from orchestration.api.respond import Format

FormatParam = Annotated[
    Format,
    Query(
        alias="format",
        description="json (default): an envelope with `data`; csv: text/csv with a header row.",
    ),
]
