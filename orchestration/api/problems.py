"""Errors as RFC 9457 problem details (``application/problem+json``): ``type``, ``title``,
``status``, ``detail``, and for a bad parameter ``parameter`` naming it.

FastAPI answers a request it cannot validate with 422 and its own body; here every bad
parameter (query, path or body) is a 400 problem naming the parameter, an unknown path
or resource a 404 problem, and anything else a problem too, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from orchestration.api.db import WarehouseUnavailable

MEDIA_TYPE = "application/problem+json"
# Problem types: non-dereferenceable tag URIs (RFC 9457 §3.1.1, RFC 4151), each described
# in docs/api.md#errors.
BAD_PARAMETER = "tag:snapmart,2026:problem/bad-parameter"
NOT_FOUND = "tag:snapmart,2026:problem/not-found"
UNAVAILABLE = "tag:snapmart,2026:problem/warehouse-unavailable"

log = logging.getLogger("snapmart.api")


class Problem(Exception):
    """An answer that is an error: raised by a route, rendered by ``problem_response``.

    ``status`` HTTP status; ``title`` short and the same for every problem of its ``type``;
    ``detail`` this occurrence in one sentence; ``extra`` more members (``parameter``)."""

    def __init__(
        self, status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The problem+json document."""
        return {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }


def bad_parameter(name: str, detail: str) -> Problem:
    """A 400 naming parameter ``name``; ``detail`` says what is wrong with it."""
    return Problem(400, "Bad parameter", f"{name}: {detail}", BAD_PARAMETER, parameter=name)


def not_found(what: str) -> Problem:
    """A 404 for a resource that does not exist (``what``: e.g. "market 'x'")."""
    return Problem(404, "Not Found", f"no {what}", NOT_FOUND)


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    """``problem`` as its HTTP answer, with the problem+json media type."""
    return JSONResponse(
        problem.body(), status_code=problem.status, media_type=MEDIA_TYPE, headers=headers
    )


def _parameter_name(loc: tuple[Any, ...]) -> str:
    """A validation error's location as the name a client wrote: ``("query", "limit")`` →
    ``limit``; ``("body", "symbols", 3)`` → ``symbols[3]``; the whole body → ``body``."""
    parts = [str(p) for p in loc[1:] if not isinstance(p, int)]
    if not parts:  # the body as a whole (a JSON decode error's int is a character offset)
        return str(loc[0])
    return ".".join(parts) + "".join(f"[{p}]" for p in loc[1:] if isinstance(p, int))


def _validation_problem(exc: RequestValidationError) -> Problem:
    """The first validation error as a bad parameter; the others (rarely more than one)
    listed in ``errors`` so a client fixing one sees the next."""
    errors = exc.errors()
    names = []
    for error in errors:
        loc = tuple(error.get("loc", ("request",)))
        names.append((_parameter_name(loc), str(error.get("msg", "invalid"))))
    if not names:
        names = [("request", "invalid")]
    name, message = names[0]
    # the message only: FastAPI's error also carries the input, which we do not echo back
    problem = bad_parameter(name, message)
    if len(names) > 1:
        problem.extra["errors"] = [{"parameter": n, "detail": m} for n, m in names]
    return problem


def install(app: FastAPI) -> None:
    """Make every error of ``app`` a problem+json answer."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(_validation_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        from http import HTTPStatus

        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}"
        type_ = NOT_FOUND if exc.status_code == 404 else "about:blank"
        return problem_response(
            Problem(exc.status_code, title, detail, type_), headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(WarehouseUnavailable)
    async def _unavailable(request: Request, exc: WarehouseUnavailable) -> JSONResponse:
        log.warning("warehouse unavailable: %s", exc)
        problem = Problem(503, "Warehouse unavailable", str(exc), UNAVAILABLE)
        return problem_response(problem, headers={"Retry-After": "30"})

    @app.exception_handler(psycopg.DataError)
    async def _data(request: Request, exc: psycopg.DataError) -> JSONResponse:
        # SQLSTATE class 22, or psycopg's own refusal of a NUL character in text: a value
        # the client sent that the database cannot hold, in an API that only reads
        log.info("data error on %s %s: %s", request.method, request.url.path, exc)
        params = [*request.path_params.items(), *request.query_params.multi_items()]
        name = next((k for k, v in params if "\x00" in f"{k}{v}"), None)
        if name is not None:
            return problem_response(bad_parameter(name, "holds a NUL character"))
        if "cursor" in request.query_params:  # a hand-edited key out of the SQL's range
            return problem_response(bad_parameter("cursor", "not a cursor this API handed out"))
        # the database's own words stay in the log (they quote the statement's parameters)
        return problem_response(
            bad_parameter("request", "a value is out of the range the warehouse can hold")
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        # logged with its traceback for the operator; the client gets no internals
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            Problem(500, "Internal Server Error", "the server failed to answer; see its log")
        )
