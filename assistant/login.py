"""Signing in with Google, and linking the account for Gmail, Calendar and Drive.

Chainlit's own Google provider asks only for the profile and throws the refresh token
away. Ours asks for the product's scopes with offline access and consent, takes its
authorize / token / userinfo URLs from the settings (so the demo signs in through the
sandbox's consent screen on the same code path), and hands the whole token response to
`complete_sign_in`, which stores the tokens encrypted in our tables. Tokens never go into
the Chainlit user (its metadata ends up in a cookie and in Chainlit's tables).
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from chainlit.oauth_providers import GoogleOAuthProvider, providers
from chainlit.user import User as ChainlitUser
from fastapi import HTTPException

from assistant.core.crypto import secret_file
from assistant.core.settings import Settings
from assistant.google.client import SCOPES, oauth_endpoints

log = logging.getLogger(__name__)

AUTH_SECRET_FILE = "chainlit-auth-secret"
# Token responses wait here between Chainlit's `get_token` and our callback, which run
# one after the other in the same request; anything older is abandoned.
_GRANTS: dict[str, tuple[float, dict[str, Any]]] = {}
_GRANT_TTL_SECONDS = 120


class GoogleSignIn(GoogleOAuthProvider):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        endpoints = oauth_endpoints(settings.google_api_base_url)
        self.client_id = settings.google_client_id
        self.client_secret = settings.google_client_secret.get_secret_value()
        self.authorize_url = endpoints.authorize_url
        self.token_url = endpoints.token_url
        # The profile endpoint Chainlit's provider reads (it has the picture).
        root = (settings.google_api_base_url or "https://www.googleapis.com").rstrip("/")
        self.userinfo_url = f"{root}/userinfo/v2/me"
        self.authorize_params = {
            "scope": " ".join(SCOPES),
            "response_type": "code",
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
        }

    def is_configured(self) -> bool:
        return True

    async def get_raw_token_response(self, code: str, url: str) -> dict[str, Any]:
        payload = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": url,
        }
        async with httpx.AsyncClient(timeout=15) as client:
            response = await client.post(self.token_url, data=payload)
            response.raise_for_status()
            return response.json()

    async def get_token(self, code: str, url: str) -> str:
        grant = await self.get_raw_token_response(code, url)
        token = grant.get("access_token")
        if not token:
            raise HTTPException(status_code=400, detail="Google answered without an access token")
        _forget_stale_grants()
        _GRANTS[token] = (time.monotonic(), grant)
        return token

    async def get_user_info(self, token: str) -> tuple[dict[str, Any], ChainlitUser]:
        async with httpx.AsyncClient(timeout=15) as client:
            response = await client.get(self.userinfo_url, headers={"Authorization": f"Bearer {token}"})
            response.raise_for_status()
            google_user = response.json()
        user = ChainlitUser(
            identifier=google_user["email"].lower(),
            display_name=google_user.get("name"),
            metadata={"provider": "google", "image": google_user.get("picture", "")},
        )
        return google_user, user


def install(settings: Settings) -> GoogleSignIn:
    """Put our provider in Chainlit's list in place of its Google provider."""
    provider = GoogleSignIn(settings)
    providers[:] = [p for p in providers if p.id != "google"] + [provider]
    os.environ.setdefault("CHAINLIT_AUTH_SECRET", auth_secret(settings))
    return provider


def auth_secret(settings: Settings) -> str:
    """The secret Chainlit signs its session tokens with: generated once per data dir."""
    return secret_file(
        settings.data_dir / AUTH_SECRET_FILE, lambda: base64.urlsafe_b64encode(secrets.token_bytes(48)).decode()
    )


def take_grant(access_token: str) -> dict[str, Any]:
    """The token response `get_token` received for this access token (once)."""
    _forget_stale_grants()
    entry = _GRANTS.pop(access_token, None)
    if entry is None:
        raise HTTPException(status_code=400, detail="the sign-in took too long; please try again")
    return entry[1]


def expiry_of(grant: dict[str, Any]) -> datetime | None:
    seconds = grant.get("expires_in")
    return datetime.now(UTC) + timedelta(seconds=int(seconds)) if seconds else None


def _forget_stale_grants() -> None:
    now = time.monotonic()
    for token, (at, _) in list(_GRANTS.items()):
        if now - at > _GRANT_TTL_SECONDS:
            del _GRANTS[token]
