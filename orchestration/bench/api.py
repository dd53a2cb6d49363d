"""The api suite of ``snapmart bench`` (issue 22, item 5): the HTTP API's latency and
throughput per endpoint family, on the warehouse the prices suite built (≈ 10M
observations at full scale), against the same question asked directly in SQL.

A real ``snapmart api`` (uvicorn) is started as a child process on a free loopback port,
over the bench database. Beside the prices history the suite adds a small exchange
history (``api_assets`` assets, ``api_asset_days`` days, so ``/v1/prices`` has prices)
and one recorded tick per source (so ``/v1/health`` has rows). The families are
``api_probes.probes``: those whose path the server's ``/openapi.json`` lists (and whose
parameters it takes) are measured, the others are named in the summary's detail, as are
the server's paths no probe covers.

Per family, after a warm-up (the first requests open the pool): ``api_runs`` requests
from one client (p50, p95); ``CLIENTS`` threads with a ``requests.Session`` each,
``api_rounds`` requests apiece (p50, p95, requests/s); the same question ``api_runs``
times through psycopg as ``snapmart_analyst`` (the ratio of the API's p50 to it is the
API's overhead); and, where the queries suite has an on-the-fly-from-raw equivalent (the
seeds' SQL functions), the ratio to that. Client, server and PostgreSQL share the
machine's cores. Targets (issue 22): p95 at one client ≤ 25 ms for a single entity,
≤ 100 ms for a list; overhead ≤ 2×: each family's detail says pass or fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from orchestration import warehouse
from orchestration.bench.api_probes import Probe, add_exchanges_and_ticks, context, probes
from orchestration.bench.measure import Measure
from orchestration.bench.prices import QUERIES, RAW_QUERY_BUDGET_S, latencies, percentile

CLIENTS = 32
WARMUP = 10
TARGET_P95_MS = {"single": 25.0, "list": 100.0}
OVERHEAD_TARGET = 2.0
START_TIMEOUT_S = 180
RAW_SQL = {name: raw for name, _, raw in QUERIES}


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    """A loopback TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_api(log_file: Path) -> Iterator[str]:
    """``snapmart api`` as a child process on a free loopback port, over the database the
    environment names (the bench's); yields its base URL once ``/openapi.json`` answers,
    and stops it (SIGTERM) after. Its output goes to ``log_file`` (a pipe nobody reads
    would fill and block its access log); a server that does not start is a RuntimeError
    with the log's end."""
    port = free_port()
    with log_file.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "api", "--port", str(port)],
            cwd=warehouse.PROJECT_ROOT,
            env={**os.environ, "COLUMNS": "200"},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            try:
                if requests.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_file.read_text()[-2000:]
                raise RuntimeError(f"snapmart api did not start for the bench:\n{tail}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()  # uvicorn shuts down cleanly, closing the pool
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- timing


def _request(session: requests.Session, base: str, probe: Probe) -> requests.Response:
    url = base + probe.path
    if probe.body is not None:
        return session.post(url, params=probe.params, json=probe.body, timeout=60)
    return session.get(url, params=probe.params, timeout=60)


def _sequential(base: str, probe: Probe, runs: int) -> tuple[list[float], int]:
    """Latencies (s) of ``runs`` requests from one client after WARMUP untimed ones, and
    how many were not 200."""
    times, errors = [], 0
    with requests.Session() as session:
        for _ in range(WARMUP):
            _request(session, base, probe)
        for _ in range(runs):
            started = time.perf_counter()
            response = _request(session, base, probe)
            times.append(time.perf_counter() - started)
            errors += response.status_code != 200
    return times, errors


def _concurrent(base: str, probe: Probe, rounds: int) -> tuple[list[float], float, int]:
    """CLIENTS threads, a session each, ``rounds`` requests apiece, released together
    after one untimed request each: (latencies, wall seconds, requests not 200)."""
    barrier = threading.Barrier(CLIENTS + 1)
    times: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors = [0] * CLIENTS

    def client(n: int) -> None:
        with requests.Session() as session:
            _request(session, base, probe)
            barrier.wait()
            for _ in range(rounds):
                started = time.perf_counter()
                response = _request(session, base, probe)
                times[n].append(time.perf_counter() - started)
                errors[n] += response.status_code != 200

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return [s for per in times for s in per], time.perf_counter() - started, sum(errors)


def _floor_ms(base: str, runs: int) -> float:
    """p50 (ms) of a request the server answers without the warehouse (a 404 problem for
    a path it does not have): HTTP, routing and the client, the floor under every family."""
    floor = Probe("floor", "single", "", "/v1/no-such-path-for-the-bench", "")
    with requests.Session() as session:
        times = []
        for _ in range(WARMUP + runs):
            started = time.perf_counter()
            _request(session, base, floor)
            times.append(time.perf_counter() - started)
    return _ms(times[WARMUP:], 0.5)


def _server_errors(log_file: Path) -> list[str]:
    """The server log's first traceback, cut to its line before and its last 12 lines
    (where it failed, and the exception): why a family answered 5xx."""
    lines = log_file.read_text(errors="replace").splitlines()
    first = next((n for n, line in enumerate(lines) if line.startswith("Traceback")), None)
    if first is None:
        return []
    end = next(
        (n for n in range(first + 1, len(lines)) if lines[n] and not lines[n][0].isspace()),
        len(lines) - 1,
    )
    return lines[max(0, first - 1) : first] + lines[max(first, end - 11) : end + 1]


def _why_not(probe: Probe, spec: dict[str, Any]) -> str | None:
    """Why the server cannot be asked ``probe`` (None when it can)."""
    operation = spec["paths"].get(probe.route, {}).get(probe.method)
    if operation is None:
        return "the server has no such route"
    names = {p["name"] for p in operation.get("parameters", [])}
    missing = sorted(set(probe.params) - names)
    return f"the route takes no {', '.join(missing)}" if missing else None


def _ms(seconds: list[float], q: float) -> float:
    return round(percentile(seconds, q) * 1e3, 3)


def _family(base: str, probe: Probe, ctx: dict, analyst: Any, runs: int, rounds: int) -> dict:
    """One family's figures (latencies in ms) and targets, or ``skipped`` with a reason."""
    with requests.Session() as session:
        first = _request(session, base, probe)
    if first.status_code != 200:
        return {"skipped": f"HTTP {first.status_code}: {first.text[:200]}"}
    answer = first.json()
    rows = len(answer["data"]) if isinstance(answer, dict) and "data" in answer else None
    sql_times, sql_rows = latencies(analyst, probe.sql, ctx, runs + 3, 1e9)
    sql_times = sql_times[3:]  # warm-up: plans and caches
    if not sql_rows:
        return {"skipped": "no rows in the bench warehouse"}
    one, errors_one = _sequential(base, probe, runs)
    many, wall, errors_many = _concurrent(base, probe, rounds)
    p50, p95, sql50 = _ms(one, 0.5), _ms(one, 0.95), _ms(sql_times, 0.5)
    target = TARGET_P95_MS[probe.kind]
    return {
        "kind": probe.kind,
        "request": f"{probe.method.upper()} {probe.path}",
        "params": probe.params,
        "rows": rows,
        "sql_rows": len(sql_rows),
        "runs": len(one),
        "p50_ms": p50,
        "p95_ms": p95,
        "sql_p50_ms": sql50,
        "sql_p95_ms": _ms(sql_times, 0.95),
        "overhead_p50": round(p50 / max(sql50, 0.01), 2),
        "overhead_ms": round(p50 - sql50, 2),
        "clients": CLIENTS,
        "concurrent_requests": len(many),
        "concurrent_p50_ms": _ms(many, 0.5),
        "concurrent_p95_ms": _ms(many, 0.95),
        "requests_per_s": round(len(many) / wall, 1),
        "errors": errors_one + errors_many,
        "targets": {
            f"p95 ≤ {target:g} ms at 1 client": p95 <= target,
            f"overhead ≤ {OVERHEAD_TARGET:g}×": p50 <= OVERHEAD_TARGET * sql50,
        },
    }


def _raw_p50(
    name: str, queries: list[Measure], info: warehouse.ConnectionInfo, ctx: dict
) -> tuple[float, str]:
    """The on-the-fly p50 (ms) of QUERIES' ``name``: from the queries suite's measure of
    this run when there is one, else run here (at least 3 runs, within the budget)."""
    for m in queries:
        if m.name.startswith(f"{name}:"):
            return m.detail["raw_p50_ms"], "the queries suite of this run"
    args = {"item": ctx["item"], "player": ctx["player"], "since": ctx["since"]}
    with warehouse.connect(info, autocommit=True) as owner:
        times, _ = latencies(owner, RAW_SQL[name], args, 10, RAW_QUERY_BUDGET_S)
    return round(percentile(times, 0.5) * 1e3, 1), f"{len(times)} runs here"


# --------------------------------------------------------------------------- the suite


def bench_api(
    info: warehouse.ConnectionInfo,
    params: dict[str, int],
    log: Callable[[str], None],
    queries: list[Measure] | None = None,
) -> list[Measure]:
    """The api suite (the module's docstring) on the prices suite's warehouse ``info``;
    ``queries``: the queries suite's measures of this run (their on-the-fly p50s are
    reused). Per family measured: p95 at 1 client (against its target), p50 at 1 client
    (against direct SQL), requests/s and p95 at CLIENTS clients, p50 against the
    on-the-fly SQL where there is one; then how many families met every target."""
    from orchestration.bench.prices import psycopg_connect

    suite_started = time.perf_counter()
    setup = add_exchanges_and_ticks(info, params, log)
    ctx = context(info)
    out: list[Measure] = []
    skipped: dict[str, str] = {}
    measured: dict[str, dict] = {}
    log_file = Path(os.environ["SNAPMART_LANDING_DIR"]).parent / "api.log"
    analyst = psycopg_connect(info, role=warehouse.ANALYST_ROLE)
    try:
        with serve_api(log_file) as base:
            spec = requests.get(f"{base}/openapi.json", timeout=30).json()
            floor = _floor_ms(base, params["api_runs"])
            wanted = probes(ctx)
            for probe in wanted:
                reason = _why_not(probe, spec)
                d = {"skipped": reason} if reason else _family(
                    base, probe, ctx, analyst, params["api_runs"], params["api_rounds"]
                )  # fmt: skip
                if "skipped" in d:
                    skipped[probe.family] = d["skipped"]
                    continue
                if probe.raw:
                    d["raw_p50_ms"], d["raw_from"] = _raw_p50(probe.raw, queries or [], info, ctx)
                    d["speedup_vs_raw_p50"] = round(d["raw_p50_ms"] / d["p50_ms"], 1)
                measured[probe.family] = d
                out += _measures(probe, d)
                log(f"api: {probe.family}: p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms (SQL p50 "
                    f"{d['sql_p50_ms']} ms, ×{d['overhead_p50']}); {CLIENTS} clients: p95 "
                    f"{d['concurrent_p95_ms']} ms, {d['requests_per_s']:,} req/s")  # fmt: skip
    finally:
        analyst.close()
    covered = {p.route for p in wanted}
    unmeasured = sorted(
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        if path.startswith("/v1/") and path not in covered
        for method in ops
    )
    passed = sum(all(d["targets"].values()) for d in measured.values())
    failed = {f: [t for t, ok in d["targets"].items() if not ok] for f, d in measured.items()}
    summary = {
        **setup,
        "context": {k: ctx[k] for k in ("market", "item", "player", "symbols", "since")},
        "http_floor_p50_ms": floor,
        "skipped": skipped,
        "unmeasured_paths": unmeasured,
        "server_errors": _server_errors(log_file),
        "suite_seconds": round(time.perf_counter() - suite_started, 1),
        "failed_targets": {f: names for f, names in failed.items() if names},
    }
    log(f"api: HTTP floor (a 404, no query) p50 {floor} ms; {passed} of {len(measured)} "
        f"families met every target; skipped: "
        f"{', '.join(skipped) or 'none'}; not covered: {len(unmeasured)} paths")  # fmt: skip
    out.append(Measure("api", "families meeting every target", passed, "families",
                       "families measured", len(measured), summary))  # fmt: skip
    return out


def _measures(probe: Probe, d: dict[str, Any]) -> list[Measure]:
    f, target = probe.family, TARGET_P95_MS[probe.kind]
    out = [
        Measure("api", f"{f}: p95, 1 client", d["p95_ms"], "ms",
                f"target ({'single entity' if probe.kind == 'single' else 'list'})", target, d),
        Measure("api", f"{f}: p50, 1 client", d["p50_ms"], "ms",
                "the same SQL via psycopg as the analyst", d["sql_p50_ms"], d),
        Measure("api", f"{f}: p95, {CLIENTS} clients", d["concurrent_p95_ms"], "ms", detail=d),
        Measure("api", f"{f}: requests/s, {CLIENTS} clients", d["requests_per_s"], "req/s",
                detail=d),
    ]  # fmt: skip
    if probe.raw:
        seeds = "p50 on the fly from raw (the seeds' SQL)"
        out.append(Measure("api", f"{f}: p50 vs on the fly", d["p50_ms"], "ms", seeds,
                           d["raw_p50_ms"], d))  # fmt: skip
    return out
