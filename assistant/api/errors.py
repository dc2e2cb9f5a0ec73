"""One error shape for every API failure, and the checks every request body passes first.

    {"error": {"code": "validation_error", "message": "...", "details": [{"field": "text", "problem": "..."}]}}

`ApiRoute` is the route class of every API route: it refuses bodies over the size limit
before reading them whole, and turns FastAPI's and our own exceptions into that shape. It
is scoped to our routes, so Chainlit's own endpoints keep their error format.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException  # FastAPI raises Starlette's own for unparsable bodies

from assistant.metrics import HTTP_REQUEST_SECONDS
from assistant.settings import get_settings

log = logging.getLogger(__name__)

# C0 and C1 control characters except tab and newline (which a question may contain).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


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


def error_response(status: int, code: str, message: str, details: list[ErrorDetail] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details or []))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


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
    }.items()
}


def _validation_details(error: RequestValidationError) -> tuple[int, str, str, list[ErrorDetail]]:
    details: list[ErrorDetail] = []
    for problem in error.errors():
        location = [str(part) for part in problem.get("loc", ()) if part != "body"]
        if problem.get("type") == "json_invalid":
            return 400, "invalid_json", f"the body is not valid JSON: {problem.get('ctx', {}).get('error', 'malformed')}", []
        message = str(problem.get("msg", "invalid"))
        if problem.get("type") == "extra_forbidden":
            message = "unknown field"
        details.append(ErrorDetail(field=".".join(location) or "body", problem=message))
    return 422, "validation_error", "the request is not valid: " + "; ".join(f"{d.field}: {d.problem}" for d in details), details


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
                code = {400: "invalid_json", 401: "unauthenticated", 404: "not_found"}.get(error.status_code, "http_error")
                message = f"the body is not valid JSON ({error.detail})" if error.status_code == 400 else str(error.detail)
                response = error_response(error.status_code, code, message, headers=error.headers)
            except json.JSONDecodeError as error:
                response = error_response(400, "invalid_json", f"the body is not valid JSON: {error}")
            except Exception:
                log.exception("API request failed", extra={"route": route})
                response = error_response(500, "internal_error", "something went wrong on our side; please try again")
            HTTP_REQUEST_SECONDS.labels(route, request.method, str(response.status_code)).observe(time.perf_counter() - started)
            return response

        return handle
