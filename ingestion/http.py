"""The fetch half's HTTP client: one descriptive User-Agent, timeouts, retries, a rate limit.

Retries ride on dlt's requests helper (exponential backoff on 429/5xx and
connection errors, ``Retry-After`` honoured) rather than a loop of our own.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


# Query parameters whose values are never shown: a URL in an error, a log or a table
# keeps its other parameters (a bucket's timestamp, a symbol: what the operator needs).
SECRET_PARAM = re.compile(r"token|key|secret|password|passwd|auth|signature|sig|credential", re.I)


def redact_url(url: str) -> str:
    """``url`` fit for an error message: no user or password in the host part, and the
    value of every query parameter whose name looks secret (token, key, signature, …)
    replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = urlencode(
        [(k, "***" if SECRET_PARAM.search(k) else v) for k, v in parse_qsl(parts.query, True)],
        safe=':,[]"*',
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def no_answer_reason(exc: BaseException) -> str:
    """Why a request got no answer, in a few words: the OS error text (``Connection
    refused``, ``Name or service not known``), ``timed out``, or the exception's kind —
    never requests' nested repr, which repeats the URL with its query."""
    from requests.exceptions import Timeout

    if isinstance(exc, Timeout):
        return "timed out"
    errno = re.findall(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    if errno:
        return errno[-1].strip()
    return type(exc).__name__


class FetchError(RuntimeError):
    """A request that still failed after its retries, said in one line:
    ``<source>: <METHOD> <url> answered HTTP <status> after retries`` or
    ``<source>: <METHOD> <url> got no answer after retries (<reason>)``, the URL without
    credentials (``redact_url``). ``status`` is the last HTTP status (None when no answer
    came); a FetchError raised before any request (no credentials, say) has only the
    message."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        body: bytes | None = None,
        *,
        source: str | None = None,
        method: str | None = None,
        url: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body  # the error answer, for sources that archive it
        self.source, self.method, self.url, self.reason = source, method, url, reason
        self.stats: HttpStats | None = None  # the client's counters when it gave up

    @classmethod
    def answered(
        cls, source: str, method: str, url: str, status: int, body: bytes | None = None
    ) -> FetchError:
        """The error for a request whose last answer was HTTP ``status`` (≥ 400)."""
        url = redact_url(url)
        return cls(
            f"{source}: {method} {url} answered HTTP {status} after retries",
            status, body, source=source, method=method, url=url, reason=f"HTTP {status}",
        )  # fmt: skip

    @classmethod
    def unanswered(cls, source: str, method: str, url: str, reason: str) -> FetchError:
        """The error for a request that got no answer (refused, timed out, no route)."""
        url = redact_url(url)
        return cls(
            f"{source}: {method} {url} got no answer after retries ({reason})",
            source=source, method=method, url=url, reason=reason,
        )  # fmt: skip

    @property
    def outage(self) -> bool:
        """The source did not serve: no answer, a rate limit (429, 418) or a server error
        (5xx) outlasted the retries. Sources that go on past a failed item (a symbol, a player,
        an event) still report these as a failed fetch (``FetchReport.failures``); an
        answer about the item itself (404 not found, 403 blocked, 400 unknown symbol) is
        the item's outcome, not the source's."""
        # 418: Binance's "banned for ignoring 429s", a rate limit too
        return self.status is None or self.status in (418, 429) or self.status >= 500


def user_agent() -> str:
    """The User-Agent every request sends: USER_AGENT plus ``SNAPMART_USER_AGENT`` (a contact,
    say) when set."""
    import os

    extra = os.environ.get("SNAPMART_USER_AGENT", "").strip()
    return f"{USER_AGENT} {extra}".strip()


def _provided(provider: Any, name: str) -> Any:
    """``name`` from a dlt provider (``dlt.config`` or ``dlt.secrets``): None when unset. A
    config or secrets file dlt cannot read (a TOML error) is a UserMistake naming the file
    and the place, never taken for a missing value (which would then fail each tick as
    missing credentials, or send no alert)."""
    from dlt.common.configuration.exceptions import ConfigProviderException

    try:
        return provider.get(name)
    except ConfigProviderException as exc:
        # dlt's message: the file and the parser's line and column, never the value
        where = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        raise UserMistake(
            f"dlt cannot read its configuration: {where[:400].rstrip('.')}.",
            "fix that file (.dlt/config.toml or .dlt/secrets.toml is TOML)",
        ) from None


def dlt_config(name: str) -> Any:
    """The dlt config value ``name`` (a dotted key: env ``A__B__C``, ``.dlt/config.toml``),
    None when unset; a config file dlt cannot read is a UserMistake."""
    return _provided(dlt.config, name)


def dlt_secret(name: str) -> str | None:
    """The dlt secret ``name`` (env, ``.dlt/secrets.toml``) as text, None when unset or
    empty; a secrets file dlt cannot read is a UserMistake. Read as a secret, dlt records
    it in a pipeline's trace as ``<secret>``."""
    value = _provided(dlt.secrets, name)
    return None if value in (None, "") else str(value)


def source_config(source: str, key: str, default: Any) -> Any:
    """``sources.<source>.<key>`` from dlt config (env SOURCES__<SOURCE>__<KEY>, config.toml);
    ``default`` when unset. An unreadable config file is a UserMistake."""
    value = dlt_config(f"sources.{source}.{key}")
    return default if value in (None, "") else value


def source_secret(source: str, key: str) -> str | None:
    """``sources.<source>.<key>`` from dlt's *secrets* (env SOURCES__<SOURCE>__<KEY>, or
    ``.dlt/secrets.toml``); None when unset, a UserMistake when the secrets file cannot be
    read. Every credential a source needs (a client secret, a token, an API key) is read
    here and nowhere else: read as a secret, dlt records it in a pipeline's trace as
    ``<secret>``, where ``source_config`` would record the value itself (dlt keeps every
    config value it resolved in ``trace.pickle``)."""
    return dlt_secret(f"sources.{source}.{key}")


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
    # requests the source could not get (FetchError.outage) while it went on with the
    # other items: the fetch failed, though what it got is archived and loadable
    failures: list[FetchError] = field(default_factory=list)

    def fail(self, error: FetchError) -> None:
        """Note a request that failed (an outage) while the fetch goes on with the rest."""
        self.failures.append(error)

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
            target = exc.request.url if exc.request is not None and exc.request.url else url
            error = FetchError.unanswered(self.source, method, target, no_answer_reason(exc))
            raise self._failed(error) from exc
        if response.status_code >= 400:
            # The URL without credentials (redact_url); never a request body.
            error = FetchError.answered(
                self.source, method, response.url, response.status_code, response.content
            )
            raise self._failed(error)
        return response

    def _failed(self, error: FetchError) -> FetchError:
        """The error, carrying the run's counters so a failed tick still reports them."""
        error.stats = HttpStats(
            self.stats.requests, self.stats.retries, dict(self.stats.errors),
            self.stats.rate_limit_wait_s,
        )  # fmt: skip
        return error
