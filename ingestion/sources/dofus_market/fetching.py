"""Dofus marketplace, inbox → landing. There is no public API to poll: capture clients
drop batches, under any file name, into ``<landing>/dofus_market/inbox/``, and "fetch"
sweeps them into the landing contract (a Dagster sensor watches the inbox)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestion.http import FetchReport
from ingestion.landing import LandingFile, landing_root, now_utc, write_atomic
from ingestion.sources.dofus_market.parse import parse_time
from ingestion.sources.dofus_market.tables import SOURCE

INBOX = "inbox"


def inbox_dir(root: Path | None = None) -> Path:
    """Where capture clients drop batches: ``<landing root>/dofus_market/inbox``."""
    return (root or landing_root()) / SOURCE / INBOX


def accept_batch(
    body: bytes, root: Path | None = None, received_at: datetime | None = None
) -> LandingFile:
    """Archive one batch under the landing contract (also what a POST receiver calls)."""
    captured, server = received_at or now_utc(), None
    try:
        payload = json.loads(body)
        captured = parse_time(payload.get("captured_at")).replace(microsecond=0)
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
