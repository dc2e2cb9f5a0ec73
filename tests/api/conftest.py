"""HTTP API tests: the real app (`chainlit run chat_app.py` and a worker) over the demo
workspace that tests/execution syncs, reached with httpx like any other client.

Users sign in through the sandbox's consent screen exactly as in the browser, and get
their bearer tokens from that session (`POST /auth/token`). Alex (A) and Sarah (B) are on
the enterprise tier so that the tests' own traffic never meets the hourly limit; Daniel
stays on the free tier, for the rate-limit tests.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.app_process import running_app
from tests.execution.conftest import ALEX, SARAH, World, demo_sandbox, world  # noqa: F401  (fixtures)
from tests.support import connect

DANIEL = "daniel.okafor@northwindlabs.com"


@pytest.fixture(scope="session")
def api_url(world: World, redis_url: str, data_dir: Path) -> Iterator[str]:
    async def enterprise() -> None:
        conn = await connect(world.database_url)
        try:
            await conn.execute(
                "UPDATE users SET tier = 'enterprise' WHERE id = ANY($1::uuid[])", [world.alex, world.sarah]
            )
        finally:
            await conn.close()

    asyncio.run(enterprise())
    settings = {
        "CONCIERGE_DATABASE_URL": world.database_url,
        "CONCIERGE_REDIS_URL": f"{redis_url}?db=8",
        "CONCIERGE_DATA_DIR": str(data_dir),
        "CONCIERGE_GOOGLE_API_BASE_URL": world.sandbox.base_url,
        "CONCIERGE_TIMEZONE": "Europe/London",
    }
    with running_app(settings, data_dir, name="api") as url:
        yield url


def sign_in(api_url: str, email: str) -> httpx.Client:
    """A client holding the chat UI's session, after Google sign-in through the sandbox."""
    client = httpx.Client(base_url=api_url, timeout=60)
    consent = client.get("/auth/oauth/google").headers["location"]
    form = dict(parse_qsl(urlsplit(consent).query)) | {"account": email, "decision": "allow"}
    back = httpx.post(consent, data=form).headers["location"]
    client.get(back)
    assert any(name.startswith("access_token") for name in client.cookies), "no Chainlit session cookie"
    return client


def browser_headers(session: httpx.Client) -> dict[str, str]:
    """What the chat UI's own page sends with a state-changing request made with its
    session cookie: its origin, and the CSRF token it reads from the cookie (see
    assistant/web/guard.py)."""
    headers = {"Origin": str(session.base_url).rstrip("/")}
    if token := session.cookies.get("concierge_csrf"):
        headers["X-CSRF-Token"] = token
    return headers


def mint_token(session: httpx.Client) -> str:
    response = session.post("/auth/token", headers=browser_headers(session))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@dataclass
class ApiUser:
    email: str
    session: httpx.Client
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="session")
def alex(api_url: str) -> ApiUser:
    session = sign_in(api_url, ALEX)
    return ApiUser(ALEX, session, mint_token(session))


@pytest.fixture(scope="session")
def sarah(api_url: str) -> ApiUser:
    session = sign_in(api_url, SARAH)
    return ApiUser(SARAH, session, mint_token(session))


@pytest.fixture(scope="session")
def daniel(api_url: str) -> ApiUser:
    session = sign_in(api_url, DANIEL)
    return ApiUser(DANIEL, session, mint_token(session))


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    data: dict


def parse_sse(lines: Iterable[str]) -> list[Event]:
    events: list[Event] = []
    fields: dict[str, str] = {}
    for line in lines:
        if line == "":
            if fields:
                events.append(Event(int(fields["id"]), fields["event"], json.loads(fields["data"])))
                fields = {}
            continue
        name, _, value = line.partition(": ")
        fields[name] = value
    return events


def ask(
    api_url: str, user: ApiUser, text: str, conversation_id: str | None = None, key: str | None = None
) -> tuple[list[Event], str]:
    """POST /query; the events and the raw stream."""
    body: dict[str, object] = {"text": text}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    headers = user.headers | ({"Idempotency-Key": key} if key else {})
    with httpx.stream("POST", f"{api_url}/query", json=body, headers=headers, timeout=120) as response:
        raw = response.read().decode()
    assert response.status_code == 200, raw
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(raw.split("\n")), raw


def done_of(events: list[Event]) -> dict:
    assert events and events[-1].name == "done", [e.name for e in events]
    return events[-1].data


def unique_words() -> str:
    """Words no demo mailbox contains, to find exactly the message a test sent."""
    return "marker " + uuid.uuid4().hex[:10]
