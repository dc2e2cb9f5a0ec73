"""The browser's side of the app: sign-in sessions the server can end, and the guard in
front of every route (docs/security.md).

    from chainlit.server import app
    from assistant import web
    web.install(app, settings)

Modules: `sessions` (server-side sessions in Redis, CSRF tokens), `guard` (the ASGI
middleware: trusted origins, CSRF, live sessions, cookie attributes, error shape).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from chainlit.auth.jwt import get_jwt_secret
from chainlit.config import config
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from assistant.core import runtime
from assistant.core.settings import get_settings
from assistant.web.guard import CSRF_HEADER, BrowserGuard
from assistant.web.sessions import BrowserSessions


@lru_cache(maxsize=1)
def browser_sessions() -> BrowserSessions:
    """The process's sessions, on its Redis; idle lifetime = Chainlit's cookie lifetime."""
    settings = get_settings()
    return BrowserSessions(
        runtime.async_redis_client(),
        idle_seconds=config.project.user_session_timeout,
        max_age_seconds=settings.session_max_age_seconds,
        token_ttl_seconds=settings.api_token_ttl_seconds,
    )


def csrf_key() -> bytes:
    """Derived from the secret Chainlit signs sessions with (assistant/login.py sets it)."""
    secret = get_jwt_secret()
    assert secret, "CHAINLIT_AUTH_SECRET is set by login.install before any request"
    return hashlib.sha256(b"concierge-csrf\0" + secret.encode()).digest()


def install(app: FastAPI) -> None:
    """Put our CORS allowlist in place of Chainlit's wildcard, and the guard in front of
    every route (innermost of the middleware, so that it sees exceptions and its errors
    still get CORS headers). Call before the app serves its first request."""
    settings = get_settings()
    if settings.public_url is not None:
        os.environ.setdefault("CHAINLIT_URL", settings.public_url)  # OAuth redirects name it
    app.user_middleware[:] = [entry for entry in app.user_middleware if entry.cls is not CORSMiddleware]
    if settings.trusted_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=sorted(settings.trusted_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "idempotency-key", CSRF_HEADER],
        )
    app.user_middleware.append(
        Middleware(
            BrowserGuard,
            sessions=browser_sessions,
            trusted_origins=settings.trusted_origins,
            own_origin_trusted=settings.public_url is None,
            https=settings.https,
            csrf_key=csrf_key,
        )
    )
