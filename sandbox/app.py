"""The sandbox ASGI app: OAuth, Gmail, Calendar, Drive, batch, and (if enabled) control."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox import batch, calendar_api, control, drive_api, gmail, oauth, push_api
from sandbox.api import Sandbox
from sandbox.errors import ApiError

log = logging.getLogger("concierge.sandbox")


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def not_found(request: Request, exc: Exception) -> Response:
    return ApiError(404, f"Method not found: {request.method} {request.url.path}", "notFound").response()


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("sandbox: %s %s failed", request.method, request.url.path, exc_info=exc)
    return ApiError(500, "Backend Error", "backendError").response()


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    return ApiError(405, f"Method {request.method} not allowed here.", "methodNotAllowed").response()


def create_app(sandbox: Sandbox) -> Starlette:
    routes: list[BaseRoute] = [Route("/healthz", health)]
    routes += oauth.routes + push_api.routes + gmail.routes + calendar_api.routes + drive_api.routes + batch.routes
    if sandbox.control_enabled:
        routes += control.routes
    app = Starlette(
        routes=routes,
        exception_handlers={404: not_found, 405: method_not_allowed, ApiError: api_error, Exception: server_error},
    )
    app.state.sandbox = sandbox
    return app
