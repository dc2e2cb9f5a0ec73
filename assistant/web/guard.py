"""The gate in front of every route: which pages may use the session cookie, and how.

Every HTTP request and socket handshake passes `BrowserGuard` before reaching Chainlit's
routes, ours, or the socket. In order:

1. A path with a `..` segment is refused (404): no route has one, and the single-page
   app's catch-all would otherwise answer it with 200 and the app's HTML (as it would
   any unknown path: under an API's prefix, that HTML is replaced by a 404 on the way out).
2. A request that carries the session cookie from an origin we do not trust is refused
   (403). Trusted: the public URL's origin and `CONCIERGE_ALLOWED_ORIGINS`; with no
   public URL, the origin the request was made to. Another port of the same host is
   another origin, although the browser sends it the cookie (it is the same *site*).
3. The cookie's session must be live (assistant/web/sessions.py). A dead or foreign one
   is taken off the request, which then reaches the route as anonymous (401 where a user
   is needed), and the browser is told to drop it. A Chainlit token sent as a bearer
   token instead is refused outright when its session is dead.
4. A state-changing request (POST, PUT, PATCH, DELETE) made with the cookie must show it
   comes from our own pages: an `Origin` we trust (or, without one, `Sec-Fetch-Site:
   same-origin`) and the session's CSRF token in `X-CSRF-Token` (signed double submit:
   the page reads it from the `concierge_csrf` cookie; public/concierge.js adds it to
   every such request). Requests with an `Authorization` header are bearer requests:
   the cookie is taken off them and they are unaffected. The socket's own transport
   requests are bound to their handshake, so they need the origin but not the token.
5. On the way out: cookies keep `SameSite=Lax` or stricter and are `Secure` when the
   public URL is https (with HSTS); the session cookie is renewed once half its life
   has passed; the CSRF cookie is set for a live session; Chainlit's `{"detail": ...}`
   errors get the documented shape (`{"error": {...}}`, keeping `detail` for Chainlit's
   own frontend); an unexpected exception becomes a 500 in that shape.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from chainlit.auth.cookie import get_token_from_cookies
from chainlit.auth.jwt import create_jwt, decode_jwt
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.errors import ApiError, chainlit_error_body, server_failure
from assistant.web.sessions import BrowserSession, BrowserSessions, csrf_token

SESSION_COOKIE = "access_token"  # Chainlit's (CHAINLIT_AUTH_COOKIE_NAME is not set by us)
CSRF_COOKIE = "concierge_csrf"
CSRF_HEADER = "x-csrf-token"
SOCKET_PATH = "/ws/socket.io"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Files anyone may fetch: no session is looked up for them.
STATIC_PREFIXES = ("/assets/", "/public/", "/favicon", "/logo", "/avatars/", "/copilot/")
#: First path segments that belong to an API (ours or Chainlit's), never to the
#: single-page app: an unknown path under them is a 404 in the error shape, not the app's
#: HTML (which its catch-all `GET /{path}` serves for any path).
API_SEGMENTS = frozenset(
    {
        "actions",
        "auth",
        "conversations",
        "feedback",
        "healthz",
        "metrics",
        "project",
        "query",
        "readyz",
        "sync",
        "user",
        "webhooks",
    }
)
HSTS = "max-age=31536000; includeSubDomains"
_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


@dataclass
class Admission:
    """What the guard decided about a request, for the way in and the way out."""

    session: BrowserSession | None = None
    #: Take the session cookie off the request (dead session, or a bearer request).
    strip_cookie: bool = False
    renewed_token: str | None = None
    drop_cookies: list[str] = field(default_factory=list)
    csrf_cookie: str | None = None
    #: A GET under an API's path: the single-page app's HTML is no answer to it.
    api_path: bool = False


class BrowserGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        sessions: Callable[[], BrowserSessions],
        trusted_origins: frozenset[str],
        own_origin_trusted: bool,
        https: bool,
        csrf_key: Callable[[], bytes],
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.trusted_origins = trusted_origins
        self.own_origin_trusted = own_origin_trusted
        self.https = https
        self.csrf_key = csrf_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        try:
            admission = await self.admit(connection)
        except ApiError as refusal:
            await refuse(scope, send, refusal)
            return
        except Exception as error:  # the boundary: Redis (sessions) down is a 503, anything else a 500
            await refuse(scope, send, _failure(error, scope))
            return
        if admission.strip_cookie:
            scope = without_session_cookies(scope)
        if admission.session is not None:
            scope.setdefault("state", {})["browser_session"] = admission.session
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        response = _Response(send, admission, self)
        try:
            await self.app(scope, receive, response.send)
        except Exception as error:  # the boundary: whatever a route raised, the caller gets the error shape
            if response.started:
                raise
            await refuse(scope, response.send, _failure(error, scope))

    async def admit(self, connection: HTTPConnection) -> Admission:
        path = connection.url.path
        method = connection.scope.get("method", "GET")
        if ".." in path.split("/"):
            raise ApiError(404, "not_found", "no such path")
        admission = Admission(api_path=method in ("GET", "HEAD") and _api_segment(path))
        bearer = _bearer(connection)
        if bearer is not None:
            await self.check_bearer(bearer)
            admission.strip_cookie = True  # a bearer request: its cookies do not count (see 4.)
            return admission
        cookie = get_token_from_cookies(dict(connection.cookies))
        if cookie is None:
            return admission
        origin = connection.headers.get("origin")
        trusted = self.trusted(connection)
        if origin is not None and origin.lower() not in trusted:
            raise ApiError(403, "forbidden_origin", "this page's origin may not use Concierge's sign-in session")
        if method in ("GET", "HEAD") and path.startswith(STATIC_PREFIXES):
            return admission
        admission.session = await self.session_of(cookie)
        if admission.session is None:
            admission.strip_cookie = True
            admission.drop_cookies = [name for name in connection.cookies if name.startswith(SESSION_COOKIE)] + [
                CSRF_COOKIE
            ]
            return admission
        expected_csrf = csrf_token(self.csrf_key(), admission.session.id)
        if connection.cookies.get(CSRF_COOKIE) != expected_csrf:
            admission.csrf_cookie = expected_csrf
        if method in UNSAFE_METHODS:
            self.check_same_origin(connection, origin)
            if not path.startswith(SOCKET_PATH):
                sent = connection.headers.get(CSRF_HEADER, "")
                if not hmac.compare_digest(sent.encode(), expected_csrf.encode()):
                    raise ApiError(
                        403,
                        "csrf_failed",
                        "this request needs the X-CSRF-Token of your session (from Concierge's own pages)",
                    )
        admission.renewed_token = await self.renewal(cookie, admission.session)
        return admission

    def trusted(self, connection: HTTPConnection) -> frozenset[str]:
        if not self.own_origin_trusted:
            return self.trusted_origins
        scheme = {"ws": "http", "wss": "https"}.get(connection.url.scheme, connection.url.scheme)
        host = connection.headers.get("host", "")
        return self.trusted_origins | {f"{scheme}://{host}".lower()}

    @staticmethod
    def check_same_origin(connection: HTTPConnection, origin: str | None) -> None:
        """Our own page: a trusted Origin, or with none sent, `Sec-Fetch-Site: same-origin`."""
        if origin is not None:
            return  # step 2 refused an untrusted one
        if connection.headers.get("sec-fetch-site") != "same-origin":
            raise ApiError(
                403,
                "csrf_failed",
                "a change made with the session cookie must come from Concierge's own pages (send Origin)",
            )

    async def session_of(self, token: str) -> BrowserSession | None:
        try:
            user = decode_jwt(token)
        except Exception:  # Chainlit raises PyJWT's errors, or asserts without a secret
            return None
        session_id = user.metadata.get("session")
        if not isinstance(session_id, str):
            return None  # a cookie from before sessions: sign in again
        return await self.sessions().live(session_id, user.identifier)

    async def check_bearer(self, token: str) -> None:
        """A Chainlit session token sent as a bearer token lives only with its session.
        Other bearer tokens (the API's) are the routes' to check."""
        try:
            user = decode_jwt(token)
        except Exception:  # not a Chainlit token
            return
        session_id = user.metadata.get("session")
        if not isinstance(session_id, str) or await self.sessions().live(session_id, user.identifier) is None:
            raise ApiError(
                401,
                "unauthenticated",
                "this session has ended; sign in again",
                headers={"WWW-Authenticate": 'Bearer realm="concierge"'},
            )

    async def renewal(self, token: str, session: BrowserSession) -> str | None:
        """A fresh session token once half the current one's life has passed (sliding)."""
        claims = jwt.decode(token, options={"verify_signature": False})
        lifetime = self.sessions().idle_seconds
        if float(claims.get("exp", 0)) - time.time() > lifetime / 2:
            return None
        if time.time() - session.started_at > self.sessions().max_age_seconds - lifetime / 2:
            return None  # near the absolute end: let it run out rather than extend it
        await self.sessions().touch(session)
        return create_jwt(decode_jwt(token))

    def cookie(self, name: str, value: str, *, max_age: int, http_only: bool, same_site: str = "lax") -> bytes:
        parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", f"SameSite={same_site}"]
        if http_only:
            parts.append("HttpOnly")
        if self.https:
            parts.append("Secure")
        return "; ".join(parts).encode()


class _Response:
    """The response on its way out: cookie attributes, new cookies, the error shape."""

    def __init__(self, send: Send, admission: Admission, guard: BrowserGuard) -> None:
        self._send = send
        self.admission = admission
        self.guard = guard
        self.started = False
        self._held: Message | None = None
        self._body: list[bytes] = []
        self._replaced = False

    async def send(self, message: Message) -> None:
        if self._replaced:
            return  # the single-page app's HTML, answered instead with a 404
        if message["type"] == "http.response.start":
            self.started = True
            if self.admission.api_path and message["status"] == 200 and _is_html(message.get("headers", [])):
                self._replaced = True
                await refuse({"type": "http"}, self._send, ApiError(404, "not_found", "no such path"))
                return
            message = dict(message, headers=self.headers(list(message.get("headers", []))))
            if message["status"] >= 400 and _is_json(message["headers"]):
                self._held = message  # reshaped once the whole body is here
                return
        elif message["type"] == "http.response.body" and self._held is not None:
            self._body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            start, body = _reshaped(self._held, b"".join(self._body))
            self._held = None
            await self._send(start)
            await self._send({"type": "http.response.body", "body": body})
            return
        await self._send(message)

    def headers(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        guard, admission = self.guard, self.admission
        out = [
            (name, _hardened(value, guard.https) if name.lower() == b"set-cookie" else value) for name, value in headers
        ]
        lifetime = guard.sessions().idle_seconds
        for name in admission.drop_cookies:
            out.append((b"set-cookie", guard.cookie(name, "", max_age=0, http_only=name != CSRF_COOKIE)))
        if admission.renewed_token is not None:
            out.append(
                (b"set-cookie", guard.cookie(SESSION_COOKIE, admission.renewed_token, max_age=lifetime, http_only=True))
            )
        csrf = self.csrf_for_new_session(headers) or admission.csrf_cookie
        if csrf is not None:
            out.append(
                (b"set-cookie", guard.cookie(CSRF_COOKIE, csrf, max_age=lifetime, http_only=False, same_site="strict"))
            )
        if guard.https:
            out.append((b"strict-transport-security", HSTS.encode()))
        return out

    def csrf_for_new_session(self, headers: list[tuple[bytes, bytes]]) -> str | None:
        """A sign-in response sets a new session cookie: its CSRF token goes with it."""
        for name, value in headers:
            if name.lower() == b"set-cookie" and value.startswith(f"{SESSION_COOKIE}=".encode()):
                token = value.split(b";", 1)[0].split(b"=", 1)[1].decode()
                try:
                    session_id = decode_jwt(token).metadata.get("session")
                except Exception:  # a cookie being cleared, or not ours to read
                    return None
                return csrf_token(self.guard.csrf_key(), session_id) if isinstance(session_id, str) else None
        return None


def _hardened(cookie: bytes, https: bool) -> bytes:
    """`SameSite=Lax` at least (Chainlit sets `None` on one of its cookies), `Secure` on https."""
    parts = [part.strip() for part in cookie.split(b";")]
    attributes = [part.lower() for part in parts[1:]]
    if b"samesite=none" in attributes or not any(a.startswith(b"samesite=") for a in attributes):
        parts = [part for part in parts if not part.lower().startswith(b"samesite=")] + [b"SameSite=lax"]
        if not https:
            parts = [part for part in parts if part.lower() != b"secure"]
    if https and b"secure" not in attributes:
        parts.append(b"Secure")
    return b"; ".join(parts)


def _failure(error: Exception, scope: Scope) -> ApiError:
    """503 when Redis or PostgreSQL is unreachable, else 500; logged as the API logs them."""
    return server_failure(error, {"path": scope["path"]})


def _api_segment(path: str) -> bool:
    return path.lstrip("/").split("/", 1)[0] in API_SEGMENTS


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.startswith(b"text/html") for name, value in headers)


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.startswith(b"application/json") for name, value in headers)


def _reshaped(start: Message, body: bytes) -> tuple[Message, bytes]:
    """Chainlit's and FastAPI's `{"detail": ...}` errors in the documented shape."""
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or "error" in parsed or "detail" not in parsed:
        return start, body
    status = int(start["status"])
    detail = parsed["detail"]
    message = detail if isinstance(detail, str) else "the request is not valid"
    shaped = _error_json(_CODES.get(status, "internal_error" if status >= 500 else "http_error"), message, detail)
    headers = [(name, value) for name, value in start["headers"] if name.lower() != b"content-length"]
    headers.append((b"content-length", str(len(shaped)).encode()))
    return dict(start, headers=headers), shaped


def _error_json(code: str, message: str, detail: Any = None) -> bytes:
    return json.dumps(chainlit_error_body(code, message, detail)).encode()


async def refuse(scope: Scope, send: Send | Callable[[Message], Awaitable[None]], refusal: ApiError) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": refusal.message[:120]})
        return
    body = _error_json(refusal.code, refusal.message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(name.lower().encode(), value.encode()) for name, value in refusal.headers.items()]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _bearer(connection: HTTPConnection) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def without_session_cookies(scope: Scope) -> Scope:
    """The scope without the session cookie (and its chunks), for the routes to see."""
    headers = []
    for name, value in scope["headers"]:
        if name == b"cookie":
            kept = [c for c in value.split(b";") if not c.strip().startswith(SESSION_COOKIE.encode())]
            if not kept:
                continue
            value = b";".join(kept)
        headers.append((name, value))
    return dict(scope, headers=headers)
