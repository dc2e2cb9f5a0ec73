"""The browser session, probed as a page on another origin of the same host would
(issue: origins, CSRF, logout, cookies, error shape; docs/security.md).

Another port of the same host is the attacker's position that matters: it is another
origin, yet the browser sends it our `SameSite=Lax` cookie (same site).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import pytest
import socketio

from assistant.login import AUTH_SECRET_FILE
from tests.api.conftest import ApiUser, ask, browser_headers, done_of, mint_token, sign_in, unique_words
from tests.api.test_actions import _inbox
from tests.execution.conftest import ALEX, SARAH, World
from tests.security.test_chainlit_routes import cookie_header

EVIL = "https://evil.example"


def _sibling(api_url: str) -> str:
    """A page served from another port of the same host."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.hostname}:{(parts.port or 80) + 1}"


def _credentialed_routes(api_url: str) -> list[tuple[str, str]]:
    """Every route of the running app that a signed-in browser can call (from its own
    OpenAPI document: Chainlit's routes and ours), path parameters filled in."""
    spec = httpx.get(f"{api_url}/openapi.json").json()
    public = {"/healthz", "/readyz", "/metrics", "/auth/config", "/favicon", "/logo", "/health", "/", "/{full_path}"}
    routes = []
    for path, methods in spec["paths"].items():
        if path in public or path.startswith(
            ("/public/", "/assets/", "/copilot/", "/avatars/", "/webhooks/", "/auth/oauth/")
        ):
            continue
        filled = path.replace("{", "").replace("}", "")
        for part in ("thread_id", "action_id", "conversation_id", "element_id", "file_id", "object_key"):
            filled = filled.replace(part, "7c3e6f0a-1111-4a4a-9b9b-000000000000")
        routes += [
            (method.upper(), filled) for method in methods if method in ("get", "post", "put", "patch", "delete")
        ]
    return routes


def _fresh_session(api_url: str, email: str = ALEX) -> httpx.Client:
    return sign_in(api_url, email)


def _with_cookie_of(api_url: str, session: httpx.Client) -> httpx.Client:
    """Another client holding only a copy of `session`'s cookies (as a thief would)."""
    copy = httpx.Client(base_url=api_url, timeout=60)
    for name, value in session.cookies.items():
        copy.cookies.set(name, value)
    return copy


# --- 1. origins --------------------------------------------------------------------------


def test_a_foreign_origin_cannot_use_the_session_on_any_route(api_url: str, alex: ApiUser) -> None:
    routes = _credentialed_routes(api_url)
    assert ("POST", "/auth/token") in routes and ("POST", "/project/threads") in routes and len(routes) > 20
    for origin in (EVIL, _sibling(api_url)):
        for method, path in routes:
            headers = browser_headers(alex.session) | {"Origin": origin}
            response = alex.session.request(method, path, headers=headers, json={})
            assert response.status_code == 403, (origin, method, path, response.status_code, response.text[:200])
            assert response.json()["error"]["code"] == "forbidden_origin"
            assert "access-control-allow-origin" not in response.headers, (method, path)


def test_a_foreign_origin_gets_no_token_and_no_cors_preflight(api_url: str, alex: ApiUser) -> None:
    response = alex.session.post("/auth/token", headers={"Origin": EVIL})
    assert response.status_code == 403 and "access_token" not in response.text
    preflight = httpx.options(
        f"{api_url}/auth/token", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-credentials" not in preflight.headers


def test_our_own_origin_still_works(api_url: str, alex: ApiUser) -> None:
    assert alex.session.get("/conversations", headers={"Origin": api_url}).status_code == 200
    assert alex.session.post("/auth/token", headers=browser_headers(alex.session)).status_code == 200


async def _socket_opens(api_url: str, session: httpx.Client, origin: str) -> bool:
    """Whether the chat socket opens for this cookie from a page of this origin."""
    socket = socketio.AsyncClient(reconnection=False)
    try:
        await socket.connect(
            api_url,
            headers={"Cookie": cookie_header(session), "Origin": origin},
            auth={"sessionId": str(uuid.uuid4()), "clientType": "webapp", "threadId": None},
            socketio_path="/ws/socket.io",
            transports=["websocket"],
            wait_timeout=10,
        )
    except socketio.exceptions.ConnectionError:
        return False
    await socket.disconnect()
    return True


async def test_the_chat_socket_opens_only_for_our_origin_and_a_live_session(api_url: str) -> None:
    session = _fresh_session(api_url)
    assert await _socket_opens(api_url, session, api_url)
    assert not await _socket_opens(api_url, session, EVIL)
    assert not await _socket_opens(api_url, session, _sibling(api_url))
    stolen = _with_cookie_of(api_url, session)
    assert session.post("/logout", headers=browser_headers(session)).status_code == 200
    assert not await _socket_opens(api_url, stolen, api_url)


# --- 2. cross-site request forgery ----------------------------------------------------------


def test_a_forged_form_post_confirms_nothing(api_url: str, alex: ApiUser, world: World) -> None:
    words = unique_words()
    events, _ = ask(api_url, alex, f"send an email to Daniel saying {words}")
    action = done_of(events)["actions"][0]
    confirm = f"/actions/{action['id']}/confirm"
    form = {"Content-Type": "text/plain", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate"}
    forged = [
        form | {"Origin": _sibling(api_url)},  # <form method=POST> on another port of the host
        form,  # a client that hides its origin
        {"Origin": api_url, "Content-Type": "text/plain"},  # our origin claimed, no CSRF token
        {"Sec-Fetch-Site": "same-origin", "X-CSRF-Token": "0" * 64},  # a guessed token
    ]
    for headers in forged:
        response = alex.session.post(confirm, content=b'{"edits": {}}', headers=headers)
        assert response.status_code == 403, (headers, response.text)
        assert response.json()["error"]["code"] in ("forbidden_origin", "csrf_failed")
    assert httpx.get(f"{api_url}{confirm.removesuffix('/confirm')}", headers=alex.headers).json()["status"] == "pending"
    assert _inbox(world, "daniel.okafor@northwindlabs.com", words) == []
    # The page itself (origin + token) may cancel it; a bearer client needs neither.
    assert (
        alex.session.post(f"/actions/{action['id']}/cancel", headers=browser_headers(alex.session)).status_code == 200
    )


def test_bearer_clients_need_no_origin_and_no_csrf_token(api_url: str, alex: ApiUser) -> None:
    events, _ = ask(api_url, alex, "send an email to Daniel saying the bearer check passed")
    action = done_of(events)["actions"][0]
    response = httpx.post(f"{api_url}/actions/{action['id']}/cancel", headers=alex.headers)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


# --- 3. logout ends the session ---------------------------------------------------------------


def _assert_signed_out(api_url: str, client: httpx.Client, token: str) -> None:
    for method, path in (
        ("GET", "/conversations"),
        ("POST", "/auth/token"),
        ("GET", "/user"),
        ("POST", "/project/threads"),
    ):
        response = client.request(
            method, path, headers={"Origin": api_url}, json={"pagination": {"first": 5}, "filter": {}}
        )
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["code"] == "unauthenticated"
    assert httpx.get(f"{api_url}/conversations", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_logout_ends_the_cookie_and_the_tokens_it_minted(api_url: str) -> None:
    other = _fresh_session(api_url)
    session = _fresh_session(api_url)
    token = mint_token(session)
    stolen = _with_cookie_of(api_url, session)
    assert stolen.get("/conversations").status_code == 200
    assert session.post("/logout", headers=browser_headers(session)).status_code == 200
    _assert_signed_out(api_url, stolen, token)
    assert other.get("/conversations").status_code == 200  # Alex's other sessions go on


def test_sign_out_everywhere_ends_every_session_and_token(api_url: str, sarah: ApiUser) -> None:
    first, second = _fresh_session(api_url, SARAH), _fresh_session(api_url, SARAH)
    first_token, second_token = mint_token(first), mint_token(second)
    copies = [_with_cookie_of(api_url, first), _with_cookie_of(api_url, second)]
    response = httpx.post(f"{api_url}/auth/sign-out-everywhere", headers={"Authorization": f"Bearer {first_token}"})
    assert response.status_code == 200 and response.json()["sessions_ended"] >= 2
    _assert_signed_out(api_url, copies[0], first_token)
    _assert_signed_out(api_url, copies[1], second_token)
    _assert_signed_out(api_url, _with_cookie_of(api_url, sarah.session), sarah.token)  # the fixture's too
    sarah.session = _fresh_session(api_url, SARAH)  # for the tests after this one
    sarah.token = mint_token(sarah.session)


def test_a_session_cookie_is_renewed_once_half_its_life_has_passed(api_url: str, data_dir: Path) -> None:
    session = _fresh_session(api_url)
    secret = (data_dir / AUTH_SECRET_FILE).read_text().strip()
    claims = jwt.decode(session.cookies["access_token"], secret, algorithms=["HS256"])
    claims["exp"] = int(time.time()) + 600  # 10 minutes left of 12 hours
    session.cookies.set("access_token", jwt.encode(claims, secret, algorithm="HS256"))
    response = session.get("/conversations")
    assert response.status_code == 200
    renewed = jwt.decode(response.cookies["access_token"], secret, algorithms=["HS256"])
    assert renewed["metadata"]["session"] == claims["metadata"]["session"]
    assert renewed["exp"] > time.time() + 11 * 3600
    claims["metadata"]["session"] = "not-a-session"  # a forged id, validly signed: not live
    session.cookies.set("access_token", jwt.encode(claims, secret, algorithm="HS256"))
    assert session.get("/conversations").status_code == 401


# --- 6. cookies --------------------------------------------------------------------------------


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    return {value.split("=", 1)[0]: value for value in response.headers.get_list("set-cookie")}


def test_cookies_are_lax_and_http_only_without_https(api_url: str) -> None:
    client = httpx.Client(base_url=api_url)
    consent = client.get("/auth/oauth/google").headers["location"]
    form = dict(parse_qsl(urlsplit(consent).query)) | {"account": ALEX, "decision": "allow"}
    callback = client.get(httpx.post(consent, data=form).headers["location"])
    cookies = _set_cookies(callback)
    session_cookie, csrf_cookie = cookies["access_token"].lower(), cookies["concierge_csrf"].lower()
    assert "httponly" in session_cookie and "samesite=lax" in session_cookie
    assert "httponly" not in csrf_cookie and "samesite=strict" in csrf_cookie
    assert "strict-transport-security" not in callback.headers


@pytest.fixture(scope="module")
def https_app(world: World, redis_url: str, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.app_process import running_app

    settings = {
        "CONCIERGE_DATABASE_URL": world.database_url,
        "CONCIERGE_REDIS_URL": f"{redis_url}?db=9",
        "CONCIERGE_DATA_DIR": str(data_dir),
        "CONCIERGE_GOOGLE_API_BASE_URL": world.sandbox.base_url,
        "CONCIERGE_PUBLIC_URL": "https://concierge.test",
    }
    with running_app(settings, tmp_path_factory.mktemp("https-app"), name="https") as url:
        yield url


def test_cookies_are_secure_with_hsts_when_the_public_url_is_https(https_app: str) -> None:
    client = httpx.Client(base_url=https_app)
    consent = client.get("/auth/oauth/google").headers["location"]
    query = dict(parse_qsl(urlsplit(consent).query))
    assert query["redirect_uri"].startswith("https://concierge.test/")  # redirects name the public URL
    state_cookie = _set_cookies(client.get("/auth/oauth/google"))["oauth_state"].lower()
    assert "secure" in state_cookie and "samesite=lax" in state_cookie
    response = client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    # With a public URL, only its origin is ours: the host's own origin over http is not.
    assert (
        httpx.get(f"{https_app}/conversations", headers={"Origin": https_app, "Cookie": "access_token=x"}).status_code
        == 403
    )


# --- 9. the error shape everywhere ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/conversations/..%2f..", 404),
        ("POST", "/actions/..%2f../confirm", 404),
        ("GET", "/conversations/7c3e6f0a-1111-4a4a-9b9b-000000000000/messages", 404),
        ("DELETE", "/conversations", 405),
        ("GET", "/project/thread/7c3e6f0a-1111-4a4a-9b9b-000000000000", 404),
    ],
)
def test_every_route_answers_in_the_error_shape(
    api_url: str, alex: ApiUser, method: str, path: str, status: int
) -> None:
    response = alex.session.request(method, path, headers=browser_headers(alex.session))
    assert response.status_code == status, response.text[:300]
    error = response.json()["error"]
    assert error["code"] and error["message"]
