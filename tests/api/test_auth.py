"""Bearer tokens: minted from the chat UI's session, refused when missing, expired or revoked."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import jwt

from assistant.api.auth import AUDIENCE, ISSUER, TOKEN_SECRET_FILE
from tests.api.conftest import ApiUser, browser_headers, mint_token


def _conversations(api_url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{api_url}/conversations", headers=headers)


def _assert_401(response: httpx.Response, words: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthenticated"
    assert words in response.json()["error"]["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_no_token_is_401(api_url: str) -> None:
    _assert_401(_conversations(api_url, {}), "sign in")
    _assert_401(httpx.post(f"{api_url}/query", json={"text": "emails from Sarah"}), "sign in")
    _assert_401(_conversations(api_url, {"Authorization": "Basic YWxleDpwdw=="}), "Bearer")
    _assert_401(_conversations(api_url, {"Authorization": "Bearer not.a.token"}), "not valid")


def test_an_expired_token_is_401(api_url: str, alex: ApiUser, data_dir: Path) -> None:
    claims = jwt.decode(alex.token, options={"verify_signature": False})
    past = int(time.time()) - 120
    expired = jwt.encode(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": claims["sub"],
            "jti": uuid.uuid4().hex,
            "iat": past - 3600,
            "exp": past,
        },
        (data_dir / TOKEN_SECRET_FILE).read_text().strip(),
        algorithm="HS256",
    )
    _assert_401(_conversations(api_url, {"Authorization": f"Bearer {expired}"}), "expired")


def test_a_token_signed_with_another_key_is_401(api_url: str, alex: ApiUser) -> None:
    claims = jwt.decode(alex.token, options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-secret-" * 4, algorithm="HS256")
    _assert_401(_conversations(api_url, {"Authorization": f"Bearer {forged}"}), "not valid")


def test_a_revoked_token_is_401(api_url: str, alex: ApiUser) -> None:
    token = mint_token(alex.session)
    headers = {"Authorization": f"Bearer {token}"}
    assert _conversations(api_url, headers).status_code == 200
    assert httpx.post(f"{api_url}/auth/revoke", headers=headers).status_code == 204
    _assert_401(_conversations(api_url, headers), "revoked")
    assert _conversations(api_url, alex.headers).status_code == 200  # other tokens still work


def test_a_session_revokes_a_token_it_names_but_not_someone_elses(api_url: str, alex: ApiUser, sarah: ApiUser) -> None:
    token = mint_token(alex.session)
    refused = sarah.session.post("/auth/revoke", json={"token": token}, headers=browser_headers(sarah.session))
    assert refused.status_code == 404
    assert (
        alex.session.post("/auth/revoke", json={"token": token}, headers=browser_headers(alex.session)).status_code
        == 204
    )
    _assert_401(_conversations(api_url, {"Authorization": f"Bearer {token}"}), "revoked")


def test_tokens_come_only_from_a_signed_in_session(api_url: str, alex: ApiUser) -> None:
    _assert_401(httpx.post(f"{api_url}/auth/token"), "sign in")
    _assert_401(httpx.post(f"{api_url}/auth/token", headers=alex.headers), "sign in")  # a token cannot mint tokens
    claims = jwt.decode(alex.token, options={"verify_signature": False})
    assert set(claims) == {"iss", "aud", "sub", "jti", "sid", "iat", "exp"}  # no email, no Google token
    assert claims["exp"] - claims["iat"] == 3600


def test_the_ui_session_works_without_a_token(api_url: str, alex: ApiUser) -> None:
    assert alex.session.get("/conversations").status_code == 200
