"""What every Google API endpoint of the sandbox shares: authentication, scopes,
injected faults, the `fields` partial-response mask and JSON in and out.

An endpoint is an async handler taking a `Call` and returning a JSON-able dict (200),
`None` (204 No Content) or a ready `Response`. `endpoint()` wraps it into a Starlette
handler named by Google's method id (`gmail.users.messages.list`), which is also the
name the control API injects faults by.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.errors import ApiError, bad_request, insufficient_scope, unauthenticated
from sandbox.faults import Faults
from sandbox.push import Push
from sandbox.quota import Quota
from sandbox.snapshots import Snapshots
from sandbox.store import Store

# The scopes that let a token call each service; writes need one that is not read-only.
SERVICE_SCOPES = {
    "gmail": ("https://mail.google.com/", "https://www.googleapis.com/auth/gmail."),
    "calendar": ("https://www.googleapis.com/auth/calendar",),
    "drive": ("https://www.googleapis.com/auth/drive",),
}


@dataclass
class Sandbox:
    """The running sandbox: state, faults and settings, shared by every endpoint."""

    store: Store
    token_lifetime: float = 3600.0
    control_enabled: bool = False
    faults: Faults = field(default_factory=Faults)
    quota: Quota | None = None
    pubsub_push: dict[str, str] = field(default_factory=dict)  # Gmail watch topic -> push URL
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    push: Push = field(init=False)
    snapshots: Snapshots = field(init=False)

    def __post_init__(self) -> None:
        self.push = Push(self.store, self.pubsub_push)
        self.snapshots = Snapshots(self.store)


@dataclass
class Call:
    """One authenticated API call."""

    request: Request
    sandbox: Sandbox
    account: str
    body_bytes: bytes

    @property
    def store(self) -> Store:
        return self.sandbox.store

    @property
    def params(self) -> Any:
        return self.request.query_params

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    def json(self) -> dict[str, Any]:
        if not self.body_bytes:
            return {}
        try:
            body = json.loads(self.body_bytes)
        except ValueError as exc:
            raise bad_request(f"Invalid JSON payload received. {exc}", "parseError") from exc
        if not isinstance(body, dict):
            raise bad_request("Invalid JSON payload received. Expected an object.", "parseError")
        return body

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.params.get(name)
        return default if value is None else value.lower() == "true"

    def integer(self, name: str, default: int, maximum: int | None = None) -> int:
        value = self.params.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError as exc:
            raise bad_request(f"Invalid value '{value}' for {name}.") from exc
        if number < 0 or (maximum is not None and number > maximum):
            raise bad_request(f"Invalid value '{value}' for {name}.")
        return number

    def user_id(self) -> None:
        """Gmail's `userId`: `me` or the account's own address."""
        user = self.path("user_id")
        if user not in ("me", self.account):
            raise ApiError(403, "Delegation denied for " + self.account, "forbidden")


Handler = Callable[[Call], Awaitable[dict[str, Any] | Response | None]]


def endpoint(method_id: str, handler: Handler, write: bool = False) -> Callable[[Request], Awaitable[Response]]:
    service = method_id.split(".", 1)[0]

    async def run(request: Request) -> Response:
        sandbox: Sandbox = request.app.state.sandbox
        try:
            account = authenticate(request, sandbox.store, service, write)
            await sandbox.faults.apply(method_id)
            if sandbox.quota is not None:
                sandbox.quota.charge(account, method_id)
            call = Call(request, sandbox, account, await request.body())
            if write:
                # Handlers do not await between writes, so no other request joins this.
                with sandbox.store.transaction():
                    result = await handler(call)
                sandbox.push.schedule()
            else:
                result = await handler(call)
        except ApiError as error:
            return error.response()
        if result is None:
            return Response(status_code=204)
        if isinstance(result, Response):
            return result
        fields = request.query_params.get("fields")
        return JSONResponse(apply_fields(result, fields) if fields else result)

    run.__name__ = method_id
    return run


def write_endpoint(method_id: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that changes data: its token needs a scope that is not read-only."""
    return endpoint(method_id, handler, write=True)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("access_token")


def authenticate(request: Request, store: Store, service: str, write: bool) -> str:
    """The account whose live access token the request carries; 401 / 403 otherwise."""
    value = bearer_token(request)
    token = store.token(value) if value else None
    if token is None or token.kind != "access" or not token.live:
        raise unauthenticated()
    granted = token.scope.split()
    allowed = [
        scope for scope in granted if any(scope.startswith(prefix) for prefix in SERVICE_SCOPES.get(service, ()))
    ]
    if write:
        allowed = [scope for scope in allowed if not scope.endswith(".readonly")]
    if not allowed:
        raise insufficient_scope()
    return token.email


# --- partial responses ---------------------------------------------------------------------
def parse_fields(fields: str) -> dict[str, Any]:
    """`"files(id,name),nextPageToken,a/b"` -> nested dict of selected keys (`{}` = whole)."""
    tree: dict[str, Any] = {}
    stack: list[tuple[dict[str, Any], bool]] = [(tree, False)]  # (node, entered by "/")
    last = ""
    for token in re.findall(r"[^,()/\s]+|[(),/]", fields):
        if token in ",)":
            while stack[-1][1]:
                stack.pop()
            if token == ")" and len(stack) > 1:
                stack.pop()
        elif token in "(/":
            stack.append((stack[-1][0][last], token == "/"))
        else:
            last = token
            stack[-1][0].setdefault(token, {})
    return tree


def _mask(value: Any, tree: dict[str, Any]) -> Any:
    if not tree or "*" in tree:
        return value
    if isinstance(value, list):
        return [_mask(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: _mask(value[key], sub) for key, sub in tree.items() if key in value}


def apply_fields(result: dict[str, Any], fields: str) -> dict[str, Any]:
    """Google's `fields` partial response: keep only the selected (nested) keys."""
    return _mask(result, parse_fields(fields))
