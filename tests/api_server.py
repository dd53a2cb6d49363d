"""What the API's test modules share: `snapmart api` started as a real child process on a
free loopback port over the module's warehouse, and the SQL → JSON conversion each answer
is compared with. Each module builds only the sources its endpoints read, then asks
``serve`` for a server."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from orchestration.api import paging
from orchestration.runtime.settings import PROJECT_ROOT
from orchestration.warehouse import ConnectionInfo

PROBLEM = "application/problem+json"


def as_json(value):
    """A SQL value as the API's JSON must hold it (UTC ISO times, whole numbers as ints)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def rows_as_json(columns: list[str], rows: list[tuple]) -> list[dict]:
    """SQL rows (tuples in ``columns`` order) as the API's JSON ``data``."""
    return [{c: as_json(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Forged:
    """A cursor holding a key a test chooses, encoded as the API would hand it out for the
    list the request names (``paging.bind`` then ``paging.encode``): it passes the list
    check, so what the request meets is the key's own validation."""

    kind: str
    key: list

    def for_request(self, path: str, params: dict) -> str:
        """The cursor for ``path`` with the other ``params`` (its list's filters)."""
        paging.bind(path, [(k, str(v)) for k, v in params.items() if k != "cursor"])
        return paging.encode(self.kind, self.key)


def get(base: str, path: str, **params) -> requests.Response:
    """GET ``base + path`` with ``params`` (a ``Forged`` cursor encoded for this request)."""
    params = {
        k: v.for_request(path, params) if isinstance(v, Forged) else v for k, v in params.items()
    }
    return requests.get(f"{base}{path}", params=params, timeout=30)


def page_through(base: str, path: str, columns: list[str], **params) -> list[dict]:
    """Every row of a paged list, ``limit`` rows at a time, each row cut to ``columns``."""
    seen, cursor = [], None
    while True:
        answer = get(base, path, **params, **({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += [{c: row[c] for c in columns} for row in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        assert len(body["data"]) == params["limit"]


@contextlib.contextmanager
def serve(
    info: ConnectionInfo, log_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """`snapmart api` as a child process on a free loopback port, over the warehouse the
    environment names (``info`` is it); yields its base URL and stops it (SIGTERM) after.

    Its output goes to ``log_dir/api.log``, not a pipe nobody reads while it runs (a full
    pipe would block its access log, and with it the server). After it stops, the log must
    not hold the database password."""
    port = free_port()
    log = log_dir / "api.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "api", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env={**os.environ, "COLUMNS": "200", **(extra_env or {})},
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a loaded CI machine starts it slowly
    while True:
        try:
            if requests.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"snapmart api did not start:\n{log.read_text()}")
        time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()  # SIGTERM: uvicorn shuts down cleanly, closing the pool
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    password = info.password or "\0never"
    assert password not in log.read_text()
