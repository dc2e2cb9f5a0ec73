"""The HTTP API, served by the same ASGI app as the chat UI (docs/api.md).

    from chainlit.server import app
    from assistant import api
    api.install(app)

Modules: `routes` (the endpoints), `auth` (bearer tokens and the UI's session), `limits`
(rate limits), `idempotency` (`Idempotency-Key`), `errors` (one error shape, body limits),
`schemas` (request and response bodies), `sse` (the `/query` event format), `monitoring`
(health, readiness, metrics).
"""

from __future__ import annotations

from fastapi import FastAPI

from assistant.api.errors import chat_store_unavailable
from assistant.api.routes import router
from assistant.core.db import DatabaseUnavailable
from assistant.routing import include_first

DESCRIPTION = """Ask Concierge over HTTP: `POST /query` streams the answer as server-sent events;
proposed writes wait for `POST /actions/{id}/confirm`. Authenticate with a bearer token from
`POST /auth/token` (issued to the chat UI's signed-in session). Every error has one shape:
`{"error": {"code", "message", "details": [{"field", "problem"}]}}`."""


def install(app: FastAPI) -> None:
    """Add the API's routes to `app`, ahead of Chainlit's catch-all `GET /{path}`, and
    answer 503 for Chainlit's routes when their data layer cannot reach PostgreSQL.

    Chainlit registers that catch-all (which serves its single-page app) first, so a GET
    route added after it would never be reached; ours go to the front of the route list.
    """
    include_first(app, router)
    app.add_exception_handler(DatabaseUnavailable, chat_store_unavailable)
    app.title = "Concierge"
    app.description = DESCRIPTION
    app.openapi_schema = None  # regenerated with our routes on the next /openapi.json
