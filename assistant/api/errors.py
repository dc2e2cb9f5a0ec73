"""One error shape for every API failure, and the checks every request body passes first.

    {"error": {"code": "validation_error", "message": "...", "details": [{"field": "text", "problem": "..."}]}}

`ApiRoute` is the route class of every API route: it refuses bodies over the size limit
before reading them whole, and turns FastAPI's and our own exceptions into that shape. It
is scoped to our routes, so Chainlit's own endpoints keep their error format, except that
an unreachable database answers 503 there too (`chat_store_unavailable`).

A failure to reach Redis or PostgreSQL is an outage, not a bug: 503 `unavailable` with
`Retry-After`, logged as one warning line; anything else unhandled is a 500 logged with
its traceback.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.exceptions
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException  # FastAPI raises Starlette's own for unparsable bodies

from assistant.core.db import DatabaseUnavailable, database_unreachable
from assistant.core.metrics import HTTP_REQUEST_SECONDS
from assistant.core.settings import get_settings

log = logging.getLogger(__name__)

# C0 and C1 control characters except tab and newline (which a question may contain).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: When to come back after an outage of Redis or PostgreSQL. Measured here, the embedded
#: servers restart in 0.06 s (Valkey) and 0.13-0.23 s (PostgreSQL, after a clean stop or
#: a crash); a supervisor's restart delay or a managed failover (tens of seconds) comes on
#: top. 5 s spares the servers a stampede of instant retries and costs a client little.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = f"a service Concierge depends on is unavailable; try again in {RETRY_AFTER_SECONDS} seconds"
INTERNAL_MESSAGE = "something went wrong on our side; please try again"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class ErrorDetail(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details or []))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def chainlit_error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    """The error shape plus `detail` (the message, unless given): for routes that
    Chainlit's frontend calls, as it shows an error body's `detail`."""
    body: dict[str, Any] = ErrorResponse(error=ErrorBody(code=code, message=message)).model_dump(mode="json")
    return body | {"detail": message if detail is None else detail}


def with_detail(response: Response) -> Response:
    """An error in the shape above, its body also carrying `detail` (the message): for
    routes that Chainlit's frontend calls, as it shows an error body's `detail`."""
    if response.status_code < 400 or not isinstance(response, JSONResponse):
        return response
    body = json.loads(bytes(response.body))
    if not isinstance(body, dict) or "error" not in body:
        return response
    headers = {
        name: value for name, value in response.headers.items() if name not in ("content-length", "content-type")
    }
    return JSONResponse(body | {"detail": body["error"]["message"]}, status_code=response.status_code, headers=headers)


def reject_control_characters(value: str) -> str:
    """A pydantic validator for free text: control characters are refused, not stripped."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


#: Error responses, for the OpenAPI document of each route.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        400: "The body is not valid JSON.",
        401: "No valid bearer token or session.",
        404: "Not found (another user's items look the same as none).",
        409: "The item is not in a state that allows this.",
        413: "The body is over the size limit.",
        422: "A field is missing, unknown, too long or malformed.",
        429: "Over a rate limit; see Retry-After.",
        503: "PostgreSQL or Redis is unreachable; see Retry-After.",
    }.items()
}


def unreachable_dependency(error: BaseException) -> str | None:
    """ "Redis" or "PostgreSQL" when `error` says that server could not be reached; else None.

    redis-py wraps its socket errors in its own; asyncpg's connect raises them unwrapped,
    so a bare socket error (refused, timed out, Unix socket gone) is taken for PostgreSQL.
    The routes' other calls out wrap theirs (Google's in the actions, the LLMs' in their
    SDKs and the pipeline), so none reaches here as a bare socket error.
    """
    if isinstance(error, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return "Redis"
    if database_unreachable(error):
        return "PostgreSQL"
    return None


def server_failure(error: Exception, context: dict[str, str]) -> ApiError:
    """The answer to an exception no route handled, after logging it: 503 `unavailable`
    when a server we depend on is unreachable (one warning line: an outage is not a bug),
    else 500 `internal_error` with the traceback in the log."""
    dependency = unreachable_dependency(error)
    if dependency is None:
        log.error("API request failed", exc_info=error, extra=context)
        return ApiError(500, "internal_error", INTERNAL_MESSAGE)
    log.warning("API request failed: %s is unreachable (%s)", dependency, _first_line(error), extra=context)
    return ApiError(503, "unavailable", UNAVAILABLE_MESSAGE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def chat_store_unavailable(request: Request, error: Exception) -> JSONResponse:
    """Chainlit's routes, when its data layer could not reach PostgreSQL (see
    assistant.chat.persistence): 503 in the error shape, with Chainlit's `detail` too
    (its frontend shows an error body's `detail`). An app-wide exception handler."""
    log.warning(
        "chat history request failed: PostgreSQL is unreachable (%s)",
        _first_line(error),
        extra={"path": request.url.path},
    )
    return JSONResponse(
        chainlit_error_body("unavailable", UNAVAILABLE_MESSAGE),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _first_line(error: BaseException) -> str:
    """The exception's type and first line: a SQL error's later lines hold the statement and its parameters."""
    cause = error.__cause__ if isinstance(error, DatabaseUnavailable) and error.__cause__ is not None else error
    lines = str(cause).splitlines()
    return f"{type(cause).__name__}: {lines[0][:200] if lines else ''}"


def _validation_details(error: RequestValidationError) -> tuple[int, str, str, list[ErrorDetail]]:
    details: list[ErrorDetail] = []
    for problem in error.errors():
        location = [str(part) for part in problem.get("loc", ()) if part != "body"]
        if problem.get("type") == "json_invalid":
            return (
                400,
                "invalid_json",
                f"the body is not valid JSON: {problem.get('ctx', {}).get('error', 'malformed')}",
                [],
            )
        message = str(problem.get("msg", "invalid"))
        if problem.get("type") == "extra_forbidden":
            message = "unknown field"
        details.append(ErrorDetail(field=".".join(location) or "body", problem=message))
    return (
        422,
        "validation_error",
        "the request is not valid: " + "; ".join(f"{d.field}: {d.problem}" for d in details),
        details,
    )


async def _read_body_within(request: Request, limit: int) -> None:
    """Read the body, refusing it as soon as it is over `limit` bytes (declared or sent)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise ApiError(413, "body_too_large", f"the body is over {limit} bytes")
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "body_too_large", f"the body is over {limit} bytes")
        chunks.append(chunk)
    request._body = b"".join(chunks)  # Starlette's cache: FastAPI reads the body from here


class ApiRoute(APIRoute):
    """The API's routes: body limit, one error shape, request latency metric."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()
        route = self.path_format

        async def handle(request: Request) -> Response:
            started = time.perf_counter()
            try:
                if request.method in ("POST", "PUT", "PATCH"):
                    await _read_body_within(request, get_settings().api_max_body_bytes)
                response = await handler(request)
            except ApiError as error:
                response = error_response(error.status, error.code, error.message, headers=error.headers)
            except RequestValidationError as error:
                status, code, message, details = _validation_details(error)
                response = error_response(status, code, message, details)
            except HTTPException as error:
                code = {400: "invalid_json", 401: "unauthenticated", 404: "not_found"}.get(
                    error.status_code, "http_error"
                )
                message = (
                    f"the body is not valid JSON ({error.detail})" if error.status_code == 400 else str(error.detail)
                )
                response = error_response(error.status_code, code, message, headers=error.headers)
            except json.JSONDecodeError as error:
                response = error_response(400, "invalid_json", f"the body is not valid JSON: {error}")
            except Exception as error:  # the boundary: whatever a route raised, the caller gets the error shape
                failure = server_failure(error, {"route": route})
                response = error_response(failure.status, failure.code, failure.message, headers=failure.headers)
            HTTP_REQUEST_SECONDS.labels(route, request.method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
            return response

        return handle
