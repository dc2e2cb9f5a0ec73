"""OAuth against the sandbox with google-auth-oauthlib, and `assistant.google.client`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from assistant.google.client import build_service, make_credentials, oauth_endpoints
from tests.sandbox.conftest import (
    ALEX,
    CLIENT_ID,
    CLIENT_SECRET,
    OMAR,
    SARAH,
    Services,
    consent,
    oauth_flow,
    own_sandbox,
)


def test_consent_page_lists_scopes_and_accounts(base_url: str) -> None:
    flow = oauth_flow(base_url)
    url, _ = flow.authorization_url(access_type="offline")
    page = httpx.get(url)
    assert page.status_code == 200
    assert "https://www.googleapis.com/auth/gmail.modify" in page.text
    for email in (ALEX, SARAH, OMAR):
        assert email in page.text
    # the main account comes first and is preselected
    assert page.text.index(ALEX) < page.text.index(SARAH) < page.text.index(OMAR)


def test_denied_consent_redirects_with_access_denied(base_url: str) -> None:
    url, state = oauth_flow(base_url).authorization_url()
    reply = consent(url, ALEX, decision="deny")
    assert reply["error"] == ["access_denied"]
    assert reply["state"] == [state]
    assert "code" not in reply


def test_code_exchange_checks_pkce_and_is_single_use(base_url: str) -> None:
    flow = oauth_flow(base_url)
    url, _ = flow.authorization_url(access_type="offline")
    code = consent(url, SARAH)["code"][0]
    token_url = oauth_endpoints(base_url).token_url
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": flow.redirect_uri,
    }
    wrong = httpx.post(token_url, data={**form, "code_verifier": "not-the-verifier"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    token = flow.fetch_token(code=code)  # the real verifier
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert token["refresh_token"]
    again = httpx.post(token_url, data={**form, "code_verifier": flow.code_verifier})
    assert again.json()["error"] == "invalid_grant"


def test_userinfo_names_the_chosen_account(base_url: str, authorize: Callable[[str], Credentials]) -> None:
    credentials = authorize(SARAH)
    answer = httpx.get(oauth_endpoints(base_url).userinfo_url, headers={"Authorization": f"Bearer {credentials.token}"})
    assert answer.json()["email"] == SARAH
    assert answer.json()["name"] == "Sarah Chen"


def test_expired_access_token_is_refreshed_by_the_client(
    base_url: str, alex: Services, authorize: Callable[[str], Credentials], control: httpx.Client
) -> None:
    credentials = authorize(ALEX)
    gmail = build_service("gmail", credentials, base_url)
    first = credentials.token
    assert control.post("/tokens/expire", json={"token": first}).status_code == 204
    raw = httpx.get(f"{base_url}/gmail/v1/users/me/profile", headers={"Authorization": f"Bearer {first}"})
    assert raw.status_code == 401
    assert raw.json()["error"]["status"] == "UNAUTHENTICATED"
    profile = gmail.users().getProfile(userId="me").execute()  # 401, refresh, retry
    assert profile["emailAddress"] == ALEX
    assert credentials.token != first


def test_access_tokens_expire_after_the_configured_lifetime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with own_sandbox(tmp_path, token_lifetime=1) as running:
        flow = oauth_flow(running.base_url)
        url, _ = flow.authorization_url(access_type="offline")
        token = flow.fetch_token(code=consent(url, ALEX)["code"][0])
        assert token["expires_in"] == 1
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert httpx.get(f"{running.base_url}/gmail/v1/users/me/profile", headers=headers).status_code == 200
        time.sleep(1.2)
        assert httpx.get(f"{running.base_url}/gmail/v1/users/me/profile", headers=headers).status_code == 401


def test_control_api_revocation_ends_refreshes(
    base_url: str, authorize: Callable[[str], Credentials], control: httpx.Client
) -> None:
    credentials = authorize(SARAH)
    assert control.post("/tokens/revoke", json={"token": credentials.refresh_token}).status_code == 204
    with pytest.raises(RefreshError):
        build_service("calendar", credentials, base_url).calendarList().list().execute()


def test_revoked_refresh_token_answers_invalid_grant(base_url: str, authorize: Callable[[str], Credentials]) -> None:
    credentials = authorize(OMAR)
    revoked = httpx.post(oauth_endpoints(base_url).revoke_url, data={"token": credentials.refresh_token})
    assert revoked.status_code == 200
    # revoking the refresh token also ends its access tokens
    drive = build_service("drive", credentials, base_url)
    with pytest.raises(RefreshError) as raised:
        drive.files().list().execute()
    assert "invalid_grant" in str(raised.value)


def test_read_only_token_cannot_write(base_url: str) -> None:
    flow = oauth_flow(base_url, scopes=["https://www.googleapis.com/auth/calendar.readonly"])
    url, _ = flow.authorization_url()
    token = flow.fetch_token(code=consent(url, ALEX)["code"][0])
    credentials = make_credentials(
        access_token=token["access_token"],
        refresh_token=None,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=base_url,
    )
    calendar = build_service("calendar", credentials, base_url)
    assert calendar.calendarList().list().execute()["items"]
    with pytest.raises(HttpError) as raised:
        calendar.events().insert(
            calendarId="primary", body={"summary": "x", "start": {"date": "2026-03-20"}, "end": {"date": "2026-03-21"}}
        ).execute()
    assert raised.value.status_code == 403
    with pytest.raises(HttpError) as raised:
        build_service("gmail", credentials, base_url).users().getProfile(userId="me").execute()
    assert raised.value.status_code == 403


def test_without_base_url_services_point_at_google() -> None:
    credentials = make_credentials(
        access_token="unused", refresh_token="unused", client_id="id", client_secret="secret", base_url=None
    )
    assert credentials.token_uri == "https://oauth2.googleapis.com/token"
    gmail = build_service("gmail", credentials, None)
    calendar = build_service("calendar", credentials, None)
    drive = build_service("drive", credentials, None)
    assert (
        gmail.users()
        .messages()
        .list(userId="me")
        .uri.startswith("https://gmail.googleapis.com/gmail/v1/users/me/messages")
    )
    assert (
        calendar.events()
        .list(calendarId="primary")
        .uri.startswith("https://www.googleapis.com/calendar/v3/calendars/primary/events")
    )
    assert drive.files().list().uri.startswith("https://www.googleapis.com/drive/v3/files")
    assert gmail.new_batch_http_request()._batch_uri == "https://gmail.googleapis.com/batch"
    assert drive.new_batch_http_request()._batch_uri == "https://www.googleapis.com/batch/drive/v3"
    assert oauth_endpoints(None).authorize_url == "https://accounts.google.com/o/oauth2/v2/auth"


def test_with_base_url_uploads_and_batch_stay_local(base_url: str) -> None:
    credentials = Credentials("unused")
    drive = build_service("drive", credentials, base_url)
    assert drive.new_batch_http_request()._batch_uri == f"{base_url}/batch/drive/v3"
    assert build_service("gmail", credentials, base_url).new_batch_http_request()._batch_uri == f"{base_url}/batch"
