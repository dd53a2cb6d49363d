"""Dofus marketplace observations, dropped by capture clients (docs/landing.md).

There is no public API to poll: clients drop batches, under any file name, into
``<landing>/dofus_market/inbox/``. "Fetch" for this source sweeps the inbox into
the landing contract, ``observations/<captured_at>__<server>.json``, taking both
from the batch itself when it can read them and falling back to the time of
arrival otherwise, so even a batch that will not parse is archived and then
rejected with a reason by the loader. A Dagster sensor watches the inbox.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ingestion.column_checks import RECORD_ERRORS
from ingestion.http import FetchReport
from ingestion.landing import LandingFile, landing_root, now_utc, write_atomic
from ingestion.loader import POINTER, EndpointSpec, Reject, TableSpec

SOURCE = "dofus_market"
# Dofus opened in September 2004: no marketplace observation is older
FIRST_DAY = date(2004, 9, 1)
INBOX = "inbox"
MAX_KAMAS = 10**12


def inbox_dir(root: Path | None = None) -> Path:
    return (root or landing_root()) / SOURCE / INBOX


def _parse_time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise ValueError(f"captured_at is not a timestamp: {text!r}")
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"captured_at is not ISO 8601: {text!r}") from None
    if ts.tzinfo is None:
        raise ValueError(f"captured_at has no time zone: {text!r}")
    return ts.astimezone(UTC)


def _lot(rec: dict[str, Any], name: str) -> int | None:
    value = rec.get(name)
    if value is None or value == 0:
        return None  # no lot of this size on sale
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} is not numeric: {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} is not a finite number: {value!r}")
    if value < 0 or value > MAX_KAMAS or value != int(value):
        raise ValueError(f"{name} is not a whole, positive number of kamas: {value!r}")
    return int(value)


def _level(value: Any) -> int | None:
    """An item's level: absent or a whole number; anything else is the record's fault
    (the column would otherwise turn a misread field into a silent null)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"level is not a whole number: {value!r}")
    return value


def parse_batch(file: LandingFile) -> Iterator[dict[str, Any] | Reject]:
    payload = file.read_json()
    if not isinstance(payload, dict):
        raise ValueError("a batch is a JSON object")
    server = payload.get("server")
    if not isinstance(server, str) or not server.strip():
        raise ValueError("batch has no server")
    captured_at = _parse_time(payload.get("captured_at"))
    observations = payload.get("observations")
    if not isinstance(observations, list):
        raise ValueError("batch has no 'observations' array")
    for i, rec in enumerate(observations):
        try:
            if not isinstance(rec, dict):
                raise ValueError("not an object")
            name = rec.get("item_name")
            if not isinstance(name, str) or not name.strip():
                raise ValueError("item_name is missing")
            ankama_id = rec.get("ankama_id")
            if isinstance(ankama_id, bool) or not isinstance(ankama_id, int) or ankama_id <= 0:
                raise ValueError(f"ankama_id is not a positive integer: {ankama_id!r}")
            yield {
                POINTER: f"/observations/{i}",
                "server": server.strip(),
                "captured_at": captured_at,
                "client": payload.get("client"),
                "ankama_id": ankama_id,
                "item_name": name.strip(),
                "category": rec.get("category"),
                "level": _level(rec.get("level")),
                "price_x1": _lot(rec, "price_x1"),
                "price_x10": _lot(rec, "price_x10"),
                "price_x100": _lot(rec, "price_x100"),
            }
        except RECORD_ERRORS as exc:
            yield Reject(f"/observations/{i}", str(exc), rec)


ENDPOINTS: tuple[EndpointSpec, ...] = (
    EndpointSpec(
        "observations",
        TableSpec(
            "observations",
            ("server", "captured_at", "ankama_id"),
            {
                "server": "text",
                "captured_at": "timestamp",
                "client": "text",
                "ankama_id": "bigint",
                "item_name": "text",
                "category": "text",
                "level": "bigint",
                "price_x1": "bigint",
                "price_x10": "bigint",
                "price_x100": "bigint",
                "landing_file": "text",
            },
            nullable=frozenset(
                {"client", "category", "level", "price_x1", "price_x10", "price_x100"}
            ),
            indexes=(("captured_at",),),
            observed=("captured_at",),
            first_day=FIRST_DAY,
        ),
        parse_batch,
    ),
)


def accept_batch(
    body: bytes, root: Path | None = None, received_at: datetime | None = None
) -> LandingFile:
    """Archive one batch under the landing contract (also what a POST receiver calls)."""
    captured, server = received_at or now_utc(), None
    try:
        payload = json.loads(body)
        captured = _parse_time(payload.get("captured_at")).replace(microsecond=0)
        server = payload.get("server") if isinstance(payload.get("server"), str) else None
    except (ValueError, AttributeError, TypeError):
        pass  # archived as received; the loader will say what is wrong with it
    key = server.strip() if server and server.strip() else None
    target = (root or landing_root()) / SOURCE / "observations"
    from ingestion.landing import file_name

    existing = target / file_name(captured, key)
    if existing.exists() and existing.read_bytes() != body:
        # Another client's batch for the same server and second: keep both.
        import hashlib

        key = f"{key or 'unknown'}~{hashlib.sha256(body).hexdigest()[:8]}"
    return write_atomic(SOURCE, "observations", captured, body, key=key, root=root)


def fetch(*, root: Path | None = None, **_: Any) -> FetchReport:
    """Sweep the inbox: archive each dropped batch under the contract, then remove it."""
    report = FetchReport(SOURCE)
    inbox = inbox_dir(root)
    if not inbox.is_dir():
        return report
    for path in sorted(inbox.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        received = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
        written = accept_batch(path.read_bytes(), root=root, received_at=received)
        report.files.append(written.relative)
        os.unlink(path)
    return report
