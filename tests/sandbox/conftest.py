"""A sandbox served on a free loopback port for the whole session, with the control API.

Tests reach it only as clients would: google-api-python-client services built by
`assistant.google.client`, google-auth-oauthlib for the OAuth flow, and plain httpx for the
consent page and the control API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import Resource

from assistant.google.client import SCOPES, build_service, make_credentials, oauth_endpoints
from sandbox.api import Sandbox
from sandbox.server import RunningSandbox, open_store, parse_now, start_in_thread

WORKSPACE = Path(__file__).with_name("workspace.json")
NOW = "2026-03-10T12:00:00+00:00"
CLIENT_ID = "tests-client"
CLIENT_SECRET = "tests-secret"
REDIRECT_URI = "http://127.0.0.1:9/callback"
ALEX, SARAH, OMAR = "alex@northwind.test", "sarah@northwind.test", "omar@northwind.test"


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback
        environment.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
        store = open_store(tmp_path_factory.mktemp("sandbox-state"), WORKSPACE, now=parse_now(NOW))
        running = start_in_thread(Sandbox(store, control_enabled=True))
        yield running
        running.stop()
        store.close()


@contextmanager
def own_sandbox(state_dir: Path, workspace: Path = WORKSPACE, **options: Any) -> Iterator[RunningSandbox]:
    """A sandbox of a test's own (other settings than the session's), stopped afterwards."""
    store = open_store(state_dir, workspace, now=parse_now(NOW))
    running = start_in_thread(Sandbox(store, **options))
    try:
        yield running
    finally:
        running.stop()
        store.close()


@pytest.fixture(scope="session")
def base_url(sandbox_server: RunningSandbox) -> str:
    return sandbox_server.base_url


def oauth_flow(base_url: str, scopes: list[str] = SCOPES) -> Flow:
    endpoints = oauth_endpoints(base_url)
    config = {
        "web": {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "auth_uri": endpoints.authorize_url,
            "token_uri": endpoints.token_url,
            "redirect_uris": [REDIRECT_URI],
        }
    }
    return Flow.from_client_config(config, scopes=scopes, redirect_uri=REDIRECT_URI)


def consent(authorization_url: str, email: str, decision: str = "allow") -> dict[str, list[str]]:
    """Submit the consent page as the user would; the redirect's query parameters."""
    page = httpx.get(authorization_url)
    page.raise_for_status()
    form = {key: values[0] for key, values in parse_qs(urlsplit(authorization_url).query).items()}
    answer = httpx.post(authorization_url.split("?")[0], data={**form, "account": email, "decision": decision})
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return parse_qs(urlsplit(location).query)


@pytest.fixture(scope="session")
def authorize(base_url: str) -> Callable[[str], Credentials]:
    """Run the whole OAuth web flow for an account; credentials built by google_client."""

    def run(email: str) -> Credentials:
        flow = oauth_flow(base_url)
        url, _ = flow.authorization_url(access_type="offline", prompt="consent", login_hint=email)
        reply = consent(url, email)
        token = flow.fetch_token(code=reply["code"][0])
        return make_credentials(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            scopes=SCOPES,
            base_url=base_url,
        )

    return run


@dataclass
class Services:
    credentials: Credentials
    gmail: Resource
    calendar: Resource
    drive: Resource


@pytest.fixture(scope="session")
def connect(base_url: str, authorize: Callable[[str], Credentials]) -> Callable[[str], Services]:
    def run(email: str) -> Services:
        credentials = authorize(email)
        return Services(
            credentials,
            build_service("gmail", credentials, base_url),
            build_service("calendar", credentials, base_url),
            build_service("drive", credentials, base_url),
        )

    return run


@pytest.fixture(scope="session")
def alex(connect: Callable[[str], Services]) -> Services:
    return connect(ALEX)


@pytest.fixture(scope="session")
def sarah(connect: Callable[[str], Services]) -> Services:
    return connect(SARAH)


@pytest.fixture(scope="session")
def control(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url + "/_control") as client:
        yield client
