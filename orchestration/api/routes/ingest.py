"""``POST /v1/ingest/dofus``: a capture client's batch of Dofus marketplace observations,
checked by the rules the Dofus file drop's load applies (``dofus_market.parse_batch``,
then each row against its column and the capture time against reality,
ingestion/column_checks.py), then archived under the landing contract exactly as the
inbox sweep archives a dropped file (``dofus_market.accept_batch``: temp file, fsync,
rename) for the next Dofus tick to load (docs/api.md#post-v1ingestdofus)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ingestion.column_checks import latest_allowed, row_problem, time_problem
from ingestion.landing import LandingFile, now_utc
from ingestion.loader import POINTER, Reject, file_reason
from ingestion.sources import dofus_market
from orchestration.api.auth import INGEST_MAX_BYTES, IngestSettings, ingest_client
from orchestration.api.problems import Problem

router = APIRouter(prefix="/ingest", tags=["ingest"])
# a child of uvicorn's own logger: the accepted batches are in the server's log, at INFO
log = logging.getLogger("uvicorn.error.snapmart")

INVALID_BATCH = "tag:snapmart,2026:problem/invalid-batch"
TOO_LARGE = "tag:snapmart,2026:problem/too-large"
EXAMPLE_FILE = "dofus_market/observations/20261122T060000Z__Draconiros.json"
MAX_ERRORS = 100  # listed in a 422; ``errors_total`` counts them all
[SPEC] = dofus_market.ENDPOINTS
# accept_batch looks for a file of the same server and second before it writes: two
# requests at once must not both find none (the inbox sweep, another process, is apart)
_archive_lock = threading.Lock()

BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["server", "captured_at", "observations"],
    "properties": {
        "server": {"type": "string", "description": "The game server, e.g. Draconiros."},
        "captured_at": {
            "type": "string",
            "format": "date-time",
            "description": "When the client read the prices: ISO 8601 with a zone (Z).",
        },
        "client": {"type": "string", "description": "The capture client's name (optional)."},
        "observations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["ankama_id", "item_name"],
                "properties": {
                    "ankama_id": {"type": "integer", "minimum": 1},
                    "item_name": {"type": "string"},
                    "category": {"type": "string"},
                    "level": {"type": "integer"},
                    "price_x1": {"type": ["integer", "null"], "description": "kamas, lot of 1"},
                    "price_x10": {"type": ["integer", "null"], "description": "kamas, lot of 10"},
                    "price_x100": {
                        "type": ["integer", "null"],
                        "description": "kamas, lot of 100",
                    },
                },
            },
        },
    },
    "example": {
        "server": "Draconiros",
        "captured_at": "2026-11-22T06:00:00Z",
        "client": "my-scanner 1.2",
        "observations": [
            {"ankama_id": 289, "item_name": "Wheat", "category": "Cereal", "level": 1,
             "price_x1": 12, "price_x10": 95, "price_x100": 900},
        ],
    },
}  # fmt: skip


@dataclass(frozen=True)
class _Received(LandingFile):
    """A request body seen as the landing file it would become, so the Dofus parser reads
    it as it reads an archived batch (BOM, NaN, long integers alike) without a write."""

    body: bytes = field(default=b"", repr=False)

    def read_bytes(self) -> bytes:
        """The request's body."""
        return self.body


@dataclass(frozen=True)
class Checked:
    """A batch that passed: its server, capture time and observation count."""

    server: str
    captured_at: datetime
    observations: int


def _invalid(errors: list[tuple[str, str]]) -> Problem:
    """A 422 listing what is wrong, each with its JSON pointer into the batch."""
    pointer, reason = errors[0]
    where = f"{pointer}: " if pointer else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return Problem(
        422,
        "Invalid batch",
        f"{where}{reason}{more}",
        INVALID_BATCH,
        errors=[{"pointer": p, "detail": r} for p, r in errors[:MAX_ERRORS]],
        errors_total=len(errors),
    )


def check_batch(body: bytes) -> Checked:
    """``body`` checked by the file drop's rules: a 422 Problem for a batch the load would
    reject whole (not a JSON object; no server, zoned ``captured_at`` or ``observations``
    array; a capture time before Dofus or past the clock + 10 minutes) or for any
    observation it would reject (an API client can fix and resend; a dropped file cannot
    be told, so there the rest loads)."""
    received = now_utc().replace(microsecond=0)
    file = _Received(
        path=Path("request-body.json"),
        source=dofus_market.SOURCE,
        endpoint=SPEC.endpoint,
        captured_at=received,
        key=None,
        ext="json",
        compressed=False,
        body=body,
    )
    latest = latest_allowed()
    errors: list[tuple[str, str]] = []
    rows = 0
    server, captured = None, None
    try:
        for n, record in enumerate(SPEC.parse(file)):
            if isinstance(record, Reject):
                errors.append((record.record_pointer, record.reason))
                continue
            pointer = record.pop(POINTER, None) or f"$record/{n}"
            server, captured = record["server"], record["captured_at"]
            problem = row_problem(SPEC.table, record, latest)
            if problem is not None:
                errors.append((pointer, problem))
            else:
                rows += 1
    except Exception as exc:  # the load rejects the whole file: so is the request
        raise _invalid([("", file_reason(exc))]) from None
    if captured is None:  # no observation: the batch's own fields, as the parser read them
        payload = file.read_json()
        server = payload["server"].strip()
        captured = dofus_market.parse_time(payload["captured_at"])
    problem = time_problem(
        "capture time", captured.replace(microsecond=0), dofus_market.FIRST_DAY, latest
    )
    if problem is not None:  # the load rejects the file whole, before its rows
        raise _invalid([("/captured_at", problem)])
    if errors:
        raise _invalid(errors)
    return Checked(server, captured, rows)


def archive(body: bytes) -> tuple[Checked, LandingFile]:
    """Check ``body`` (a 422 Problem, nothing written), then archive it under the landing
    contract as the inbox sweep would: the same bytes posted again are the same file."""
    checked = check_batch(body)
    with _archive_lock:
        landed = dofus_market.accept_batch(body)
    return checked, landed


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refused with a 413 as soon as it is known to exceed
    ``max_bytes``: from ``Content-Length`` before a byte is read, else while it streams."""
    too_large = Problem(
        413,
        "Content Too Large",
        f"the batch is larger than the {max_bytes} bytes this server takes ({INGEST_MAX_BYTES})",
        TOO_LARGE,
        max_bytes=max_bytes,
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/dofus",
    status_code=202,
    summary="Send a batch of Dofus marketplace observations (capture clients)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BATCH_SCHEMA}},
        }
    },
    responses={
        202: {
            "description": "Archived in the landing zone; the next Dofus tick loads it.",
            "content": {
                "application/json": {
                    "example": {
                        "landing_file": EXAMPLE_FILE,
                        "server": "Draconiros",
                        "captured_at": "2026-11-22T06:00:00Z",
                        "observations": 1,
                    }
                }
            },
        },
        401: {"description": "No ingest token, a wrong one, or none configured."},
        413: {"description": "The body is larger than api.ingest_max_bytes."},
        422: {"description": "The batch breaks the Dofus batch format; `errors` lists where."},
        429: {"description": "This token's rate limit is reached; `Retry-After` says when."},
    },
)
async def ingest_dofus(
    request: Request, client: Annotated[str, Depends(ingest_client)]
) -> JSONResponse:
    """One batch as a capture client reads it from the marketplace: ``server``,
    ``captured_at`` (ISO 8601 with a zone), optional ``client``, and ``observations``, each
    with ``ankama_id`` (≥ 1), ``item_name``, optional ``category`` and ``level``, and the
    total price in kamas of a lot of 1, 10 and 100 (``price_x1``, ``price_x10``,
    ``price_x100``; null or 0: no such lot on sale). Needs an ingest token (``Authorization:
    Bearer …``). Answered 202 with ``landing_file``, the file under the landing root the
    batch is archived as (``dofus_market/observations/<captured_at>__<server>.json``); the
    next Dofus tick (the inbox sensor, or ``snapmart refresh --source dofus_market``) loads
    it. The same bytes sent again are the same file and load nothing twice; a batch of
    the same server and second with other bytes is kept beside it (``…~<hash>``) and
    merges on (server, captured_at, ankama_id). Nothing is written for a 401, 413, 422 or
    429."""
    settings: IngestSettings = request.app.state.ingest
    body = await read_body(request, settings.max_bytes)
    checked, landed = await run_in_threadpool(archive, body)
    log.info(
        "ingest: %s archived (%d observations) from %s",
        landed.relative,
        checked.observations,
        client,
    )
    return JSONResponse(
        {
            "landing_file": landed.relative,
            "server": checked.server,
            "captured_at": checked.captured_at.isoformat().replace("+00:00", "Z"),
            "observations": checked.observations,
        },
        status_code=202,
        headers={"Cache-Control": "no-store"},
    )
