"""The fetch half's HTTP client: one descriptive User-Agent, timeouts, retries, a rate limit.

Retries ride on dlt's requests helper (exponential backoff on 429/5xx and
connection errors, ``Retry-After`` honoured) rather than a loop of our own.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
from dlt.sources.helpers.requests import Client
from requests import Response
from requests.exceptions import RequestException

from ingestion import __version__
from ingestion.mistakes import UserMistake

USER_AGENT = (
    f"snapmart/{__version__} (batch ELT of public market snapshots; "
    "set SNAPMART_USER_AGENT to add your contact)"
)


class FetchError(RuntimeError):
    """A request that still failed after its retries; the message names it, ``status``
    is the last HTTP status (None when no answer came)."""

    def __init__(self, message: str, status: int | None = None, body: bytes | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body  # the error answer, for sources that archive it
        self.stats: HttpStats | None = None  # the client's counters when it gave up


def user_agent() -> str:
    """The User-Agent every request sends: USER_AGENT plus ``SNAPMART_USER_AGENT`` (a contact,
    say) when set."""
    import os

    extra = os.environ.get("SNAPMART_USER_AGENT", "").strip()
    return f"{USER_AGENT} {extra}".strip()


def source_config(source: str, key: str, default: Any) -> Any:
    """``sources.<source>.<key>`` from dlt config (env SOURCES__<SOURCE>__<KEY>, config.toml)."""
    try:
        value = dlt.config.get(f"sources.{source}.{key}")
    except Exception:
        value = None
    return default if value in (None, "") else value


def source_secret(source: str, key: str) -> str | None:
    """``sources.<source>.<key>`` from dlt's *secrets* (env SOURCES__<SOURCE>__<KEY>, or
    ``.dlt/secrets.toml``); None when unset. Every credential a source needs (a client
    secret, a token, an API key) is read here and nowhere else: read as a secret, dlt
    records it in a pipeline's trace as ``<secret>``, where ``source_config`` would record
    the value itself (dlt keeps every config value it resolved in ``trace.pickle``)."""
    try:
        value = dlt.secrets.get(f"sources.{source}.{key}")
    except Exception:
        value = None
    return None if value in (None, "") else str(value)


def config_path(source: str, key: str, name: str, must_exist: bool = False) -> Path:
    """A tracked-things config file: ``sources.<source>.<key>``, else ``config/<name>``
    in the repository. ``must_exist``: a missing file is a UserMistake naming the file
    and the setting that moves it."""
    default = Path(__file__).resolve().parents[1] / "config" / name
    path = Path(str(source_config(source, key, default)))
    if must_exist and not path.is_file():
        raise UserMistake(
            f"{source}: the config file {path} does not exist.",
            f"create it (config/{name} in the repository shows its columns), or point "
            f"SOURCES__{source.upper()}__{key.upper()} at yours",
        )
    return path


@dataclass
class RateLimiter:
    """At most ``per_second`` requests per second from this process, shared by threads."""

    per_second: float
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next: float = 0.0

    def wait(self) -> float:
        """Sleep until this request's slot (1 / ``per_second`` seconds after the previous one's);
        returns the seconds slept, 0.0 when the limit is off (``per_second`` ≤ 0)."""
        if self.per_second <= 0:
            return 0.0
        with self._lock:
            now = time.monotonic()
            delay = max(0.0, self._next - now)
            self._next = max(now, self._next) + 1.0 / self.per_second
        if delay:
            time.sleep(delay)
        return delay


@dataclass
class HttpStats:
    """A client's counters: responses received, retries (responses of 429 or 5xx, each of which
    dlt's Client retries while attempts remain), HTTP errors by status (every response ≥ 400),
    and seconds spent waiting on the rate limit."""

    requests: int = 0
    retries: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    rate_limit_wait_s: float = 0.0


@dataclass
class FetchReport:
    """What one fetch did: files archived, what it skipped and why, and HTTP counters."""

    source: str
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    rate_limit_wait_s: float = 0.0

    def count(self, client: SourceClient) -> None:
        """Copy the client's HTTP counters into the report (replacing, not adding to, what it
        had)."""
        self.requests = client.stats.requests
        self.retries = client.stats.retries
        self.errors = dict(client.stats.errors)
        self.rate_limit_wait_s = client.stats.rate_limit_wait_s


class SourceClient:
    """A per-source session: base URL, rate limit, retry policy, and counters for reports."""

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        per_second: float = 5.0,
        timeout: float = 30.0,
        max_attempts: int = 5,
        backoff_factor: float = 0.5,
        max_delay: float = 60.0,
        extra_retry_status: tuple[int, ...] = (),
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.limiter = RateLimiter(per_second)
        self.stats = HttpStats()
        self._client = Client(
            request_timeout=timeout,
            request_max_attempts=max_attempts,
            request_backoff_factor=backoff_factor,
            request_max_retry_delay=max_delay,
            respect_retry_after_header=True,
            status_codes=(429, *range(500, 600), *extra_retry_status),
            raise_for_status=False,
        )
        self.session = self._client.session
        self.session.headers["User-Agent"] = user_agent()
        self.session.hooks["response"].append(self._count)

    def _count(self, response: Response, *args: Any, **kwargs: Any) -> Response:
        self.stats.requests += 1
        if response.status_code >= 400:
            self.stats.errors[response.status_code] = (
                self.stats.errors.get(response.status_code, 0) + 1
            )
            if response.status_code == 429 or response.status_code >= 500:
                self.stats.retries += 1
        return response

    @classmethod
    def configured(
        cls,
        source: str,
        base_url: str,
        *,
        per_second: float = 5.0,
        timeout: float = 30.0,
        max_attempts: int = 5,
        backoff_factor: float = 0.5,
        extra_retry_status: tuple[int, ...] = (),
    ) -> SourceClient:
        """A client whose policy comes from the source's dlt config
        (``SOURCES__<SOURCE>__REQUESTS_PER_SECOND`` or ``__REQUESTS_PER_MINUTE``,
        ``__MAX_ATTEMPTS``, ``__BACKOFF_FACTOR``, ``__TIMEOUT``), these arguments being the
        defaults. One client serves a whole run, so its budget is shared by every request
        of the run."""
        per_minute = source_config(source, "requests_per_minute", None)
        if per_minute is not None:
            per_second = float(per_minute) / 60
        return cls(
            source,
            base_url,
            extra_retry_status=extra_retry_status,
            per_second=float(source_config(source, "requests_per_second", per_second)),
            max_attempts=int(source_config(source, "max_attempts", max_attempts)),
            backoff_factor=float(source_config(source, "backoff_factor", backoff_factor)),
            timeout=float(source_config(source, "timeout", timeout)),
        )

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """GET ``path`` (relative to the base URL, or a full URL), retried as configured; the
        response, or FetchError when it still failed (no answer, or HTTP ≥ 400)."""
        url = path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"
        return self._send("GET", url, params=params, headers=headers)

    def post(self, url: str, **kwargs: Any) -> Response:
        """POST to a full URL (``kwargs`` as for requests), retried as configured; the response, or
        FetchError when it still failed (no answer, or HTTP ≥ 400)."""
        return self._send("POST", url, **kwargs)

    def _send(self, method: str, url: str, **kwargs: Any) -> Response:
        self.stats.rate_limit_wait_s += self.limiter.wait()
        try:
            response = self.session.request(method, url, **kwargs)
        except RequestException as exc:
            raise self._failed(FetchError(f"{self.source}: {method} {url} failed: {exc}")) from exc
        if response.status_code >= 400:
            # The URL only: query strings and bodies may carry credentials.
            raise self._failed(
                FetchError(
                    f"{self.source}: {method} {response.url} answered HTTP "
                    f"{response.status_code} after retries",
                    status=response.status_code,
                    body=response.content,
                )
            )
        return response

    def _failed(self, error: FetchError) -> FetchError:
        """The error, carrying the run's counters so a failed tick still reports them."""
        error.stats = HttpStats(
            self.stats.requests, self.stats.retries, dict(self.stats.errors),
            self.stats.rate_limit_wait_s,
        )  # fmt: skip
        return error
