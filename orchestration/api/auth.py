"""Bearer tokens (RFC 6750) for the API's one write, ``POST /v1/ingest/dofus``, and its
per-profile reads, ``/v1/profiles/{profile}/…`` (docs/api.md#authentication).

Tokens are dlt secrets, never config: ``api.ingest_tokens`` (env ``API__INGEST_TOKENS``,
one or more, comma-separated) and ``api.profile_tokens.<profile>`` (env
``API__PROFILE_TOKENS__<PROFILE>``, one per profile). The process keeps none of them: each
is turned, as it is read, into an HMAC-SHA-256 under a key drawn at start and never
stored, and a presented token is hashed the same way and compared with every known
digest in constant time (``hmac.compare_digest``). No token, digest or ``Authorization``
header goes into a log line, a response or a file.

Each ingest token has its own rate limit (``api.ingest_rate_limit``, default
``60/minute``; ``limits``' moving window, kept in memory) counting every authenticated
request, the refused ones (413, 422) too."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ingestion.http import dlt_config, dlt_secret
from ingestion.mistakes import UserMistake
from orchestration.api.problems import Problem, problem_response

log = logging.getLogger("snapmart.api")

UNAUTHORIZED = "tag:snapmart,2026:problem/unauthorized"
RATE_LIMITED = "tag:snapmart,2026:problem/rate-limited"
NOT_CONFIGURED = "tag:snapmart,2026:problem/not-configured"

INGEST_TOKENS = "api.ingest_tokens"
INGEST_RATE = "api.ingest_rate_limit"
INGEST_MAX_BYTES = "api.ingest_max_bytes"
PROFILE_TOKENS = "api.profile_tokens"
DEFAULT_RATE = "60/minute"
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
# A token is a random string a person generates (`python -c 'import secrets;
# print(secrets.token_urlsafe(32))'`): at least this long, in RFC 6750's b64token alphabet.
MIN_TOKEN_CHARS = 16
TOKEN_RE = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
# Profile ids as user_state names them (ingestion/sources/user_state/parse.py PROFILE_ID_RE).
PROFILE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
# Profile names whose token was looked up, kept so a secret is read once per profile;
# emptied when full, so names made up by a client cannot grow it without bound.
PROFILE_CACHE_MAX = 1024

_KEY = secrets.token_bytes(32)  # this process's: a digest means nothing outside it


def _digest(token: str) -> bytes:
    return hmac.new(_KEY, token.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def _token_problem(token: str) -> str | None:
    """Why ``token`` cannot be one (never quoting it), or None."""
    if len(token) < MIN_TOKEN_CHARS:
        return f"is shorter than {MIN_TOKEN_CHARS} characters"
    if not TOKEN_RE.match(token):
        return "holds a character outside letters, digits and - . _ ~ + / ="
    return None


class TokenSet:
    """Known tokens as keyed digests only. ``match`` says which one (its position) a
    presented token is, comparing with every digest so the time taken does not depend on
    which one matched, or on how much of one did."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self._digests = tuple(_digest(t) for t in tokens)

    def __len__(self) -> int:
        return len(self._digests)

    def match(self, presented: str) -> int | None:
        """The position of the known token equal to ``presented``, None if none is."""
        probe = _digest(presented)
        found = None
        for i, known in enumerate(self._digests):
            if hmac.compare_digest(probe, known) and found is None:
                found = i
        return found


class RateLimiter:
    """``limits``' moving window over in-memory storage, one window per key (an ingest
    token's position). ``take`` counts a request, or says how long to wait."""

    def __init__(self, items: list[RateLimitItem]) -> None:
        self.items = items
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._lock = threading.Lock()

    def take(self, key: str) -> int | None:
        """Count one request of ``key`` and return None, or, when a window is full,
        count nothing and return the seconds until it has room (at least 1)."""
        with self._lock:
            full = [item for item in self.items if not self._limiter.test(item, key)]
            if not full:
                for item in self.items:
                    self._limiter.hit(item, key)
                return None
            now = time.time()
            resets = [self._limiter.get_window_stats(item, key).reset_time for item in full]
            return max(1, math.ceil(max(resets) - now))


@dataclass(frozen=True)
class IngestSettings:
    """The ingest endpoint's settings: its tokens (digests), the body limit in bytes, and
    the per-token rate limit (``rate``, as written, e.g. ``60/minute``)."""

    tokens: TokenSet
    max_bytes: int
    rate: str
    limiter: RateLimiter

    @classmethod
    def from_config(cls) -> IngestSettings:
        """From dlt: the secret ``api.ingest_tokens`` and the config ``api.ingest_max_bytes``
        and ``api.ingest_rate_limit``. A UserMistake names a bad setting (a token only by
        its position)."""
        raw = dlt_secret(INGEST_TOKENS) or ""
        tokens = [t.strip() for t in raw.split(",") if t.strip()]
        for n, token in enumerate(tokens, start=1):
            problem = _token_problem(token)
            if problem is not None:
                raise UserMistake(
                    f"{INGEST_TOKENS}: token {n} {problem}.",
                    "set API__INGEST_TOKENS (or [api] ingest_tokens in .dlt/secrets.toml) to "
                    "comma-separated random tokens, e.g. from `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))'`",
                )
        max_bytes = _positive_int(INGEST_MAX_BYTES, DEFAULT_MAX_BYTES)
        rate = str(dlt_config(INGEST_RATE) or DEFAULT_RATE).strip()
        try:
            items = parse_many(rate)
        except ValueError:
            items = []
        if not items:
            raise UserMistake(
                f"{INGEST_RATE} is not a rate limit: {rate!r}.",
                "write it as <count>/<second|minute|hour|day>, several joined by ';' "
                "(e.g. 60/minute;1000/day)",
            )
        return cls(TokenSet(tokens), max_bytes, rate, RateLimiter(items))


def _positive_int(name: str, default: int) -> int:
    value = dlt_config(name)
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1:
        raise UserMistake(f"{name} is not a positive whole number of bytes: {value!r}.", None)
    return number


class ProfileTokens:
    """Each profile's token, read from dlt's secrets the first time its profile is asked
    for and kept as its digest (or as "none configured")."""

    def __init__(self) -> None:
        self._digests: dict[str, bytes | None] = {}
        self._lock = threading.Lock()

    def _known(self, profile: str) -> bytes | None:
        with self._lock:
            if profile in self._digests:
                return self._digests[profile]
        token = dlt_secret(f"{PROFILE_TOKENS}.{profile}")
        digest = None
        if token is not None:
            problem = _token_problem(token)
            if problem is None:
                digest = _digest(token)
            else:
                log.warning(
                    "the API token of profile %r %s: requests for it are refused", profile, problem
                )
        with self._lock:
            if len(self._digests) >= PROFILE_CACHE_MAX:
                self._digests.clear()
            self._digests[profile] = digest
        return digest

    def opens(self, profile: str, presented: str) -> bool:
        """Whether ``presented`` is ``profile``'s token (False when it has none)."""
        known = self._known(profile)
        probe = _digest(presented)
        # compared even when the profile has no token, against a digest nothing matches
        return hmac.compare_digest(probe, known or bytes(len(probe))) and known is not None


class AuthProblem(Problem):
    """A Problem answered with headers (``WWW-Authenticate``, ``Retry-After``)."""

    def __init__(
        self, status: int, title: str, detail: str, type_: str, headers: dict[str, str]
    ) -> None:
        super().__init__(status, title, detail, type_)
        self.headers = headers


def unauthorized(realm: str, detail: str, invalid: bool) -> AuthProblem:
    """A 401 asking for a bearer token of ``realm``; ``invalid``: one was sent and is not
    it (RFC 6750 §3.1 ``error="invalid_token"``)."""
    challenge = f'Bearer realm="{realm}"' + (', error="invalid_token"' if invalid else "")
    return AuthProblem(
        401, "Unauthorized", detail, UNAUTHORIZED, headers={"WWW-Authenticate": challenge}
    )


def install(app: FastAPI, ingest: IngestSettings) -> None:
    """Keep the settings and token caches in ``app.state``, and answer an AuthProblem with
    its headers (the handler Starlette picks over Problem's, being the closer class)."""
    app.state.ingest = ingest
    app.state.profile_tokens = ProfileTokens()

    @app.exception_handler(AuthProblem)
    async def _auth(request: Request, exc: AuthProblem) -> JSONResponse:
        return problem_response(exc, headers=exc.headers)


ingest_bearer = HTTPBearer(
    scheme_name="ingestToken",
    description="An ingest token (dlt secret api.ingest_tokens).",
    auto_error=False,
)
profile_bearer = HTTPBearer(
    scheme_name="profileToken",
    description="The profile's token (dlt secret api.profile_tokens.<profile>).",
    auto_error=False,
)
Credentials = HTTPAuthorizationCredentials | None


def ingest_client(
    request: Request, credentials: Annotated[Credentials, Depends(ingest_bearer)]
) -> str:
    """The ingest token a request carries, as ``ingest token <n>`` (its position in
    ``api.ingest_tokens``: what logs may name), its request counted against its rate
    limit. 401 without a known token (or when none is configured: ``type`` then says
    ``not-configured``), 429 over the rate."""
    settings: IngestSettings = request.app.state.ingest
    if not len(settings.tokens):
        # 401, not 503: no token can open it, and a server that simply does not take
        # batches is not failing (property tests count 5xx as server errors)
        raise AuthProblem(
            401,
            "Unauthorized",
            "ingest is off on this server: no ingest token is configured (the dlt secret "
            f"{INGEST_TOKENS}, env API__INGEST_TOKENS)",
            NOT_CONFIGURED,
            headers={"WWW-Authenticate": 'Bearer realm="snapmart-ingest"'},
        )
    if credentials is None:
        raise unauthorized(
            "snapmart-ingest", "an ingest token is required: Authorization: Bearer <token>", False
        )
    position = settings.tokens.match(credentials.credentials)
    if position is None:
        raise unauthorized("snapmart-ingest", "the bearer token is not an ingest token", True)
    wait = settings.limiter.take(str(position))
    if wait is not None:
        raise AuthProblem(
            429,
            "Too Many Requests",
            f"this token's rate limit ({settings.rate}) is reached: retry in {wait} s",
            RATE_LIMITED,
            headers={"Retry-After": str(wait)},
        )
    return f"ingest token {position + 1}"


ProfileName = Annotated[
    str,
    Path(
        description="The profile id (its file's name: `alice` for alice.yaml).",
        pattern=PROFILE_PATTERN,
    ),
]


def profile_owner(
    request: Request,
    profile: ProfileName,
    credentials: Annotated[Credentials, Depends(profile_bearer)],
) -> str:
    """The profile of the path, once the request's bearer token is that profile's; else a
    401 (the same whether the profile has another token, none, or does not exist)."""
    if credentials is None:
        raise unauthorized(
            "snapmart-profiles",
            f"profile {profile!r} needs its bearer token: Authorization: Bearer <token>",
            False,
        )
    tokens: ProfileTokens = request.app.state.profile_tokens
    if not tokens.opens(profile, credentials.credentials):
        raise unauthorized(
            "snapmart-profiles", f"the bearer token does not open profile {profile!r}", True
        )
    return profile
