"""The one place that builds google-api-python-client services and OAuth credentials.

With no base URL the services and endpoints are Google's own. With a base URL (the
sandbox, `settings.google_api_base_url`) every request goes there instead: ordinary
calls, media uploads, resumable uploads and batch requests alike. `client_options=
{"api_endpoint": ...}` is not enough for that (uploads keep https and lose the path,
batch still goes to Google), so the bundled discovery document is loaded and its
`rootUrl`, `mtlsRootUrl` and `baseUrl` are rewritten before building the service.

Both ways build from the discovery documents shipped inside the library, so building
never touches the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import Resource, build_from_document

from assistant.core.services import SPECS

#: A Google API by its discovery name: one of the registry's `api_name`s (`API_VERSIONS`).
Api = str

API_VERSIONS: dict[str, str] = {spec.api_name: spec.api_version for spec in SPECS.values()}

GOOGLE_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_REVOKE_URL = "https://oauth2.googleapis.com/revoke"
GOOGLE_USERINFO_URL = "https://openidconnect.googleapis.com/v1/userinfo"

# The scopes Concierge asks for: who the user is, then each service's (the registry's).
SCOPES = [
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
    *(scope for spec in SPECS.values() for scope in spec.scopes),
]


@dataclass(frozen=True)
class OAuthEndpoints:
    authorize_url: str
    token_url: str
    revoke_url: str
    userinfo_url: str


def oauth_endpoints(base_url: str | None) -> OAuthEndpoints:
    """Google's OAuth endpoints, or the sandbox's (same paths as Google's) under `base_url`."""
    if base_url is None:
        return OAuthEndpoints(GOOGLE_AUTHORIZE_URL, GOOGLE_TOKEN_URL, GOOGLE_REVOKE_URL, GOOGLE_USERINFO_URL)
    root = base_url.rstrip("/")
    return OAuthEndpoints(
        authorize_url=f"{root}/o/oauth2/v2/auth",
        token_url=f"{root}/token",
        revoke_url=f"{root}/revoke",
        userinfo_url=f"{root}/v1/userinfo",
    )


def make_credentials(
    *,
    access_token: str | None,
    refresh_token: str | None,
    client_id: str,
    client_secret: str,
    scopes: list[str] | None = None,
    expiry: datetime | None = None,
    base_url: str | None,
) -> Credentials:
    """OAuth credentials whose refreshes go to the right token endpoint.

    `expiry` is a naive UTC datetime, as google-auth expects. Never use
    `Credentials.from_authorized_user_info`: it resets `token_uri` to Google's host.
    After a refresh (`credentials.token` / `credentials.expiry` change), persist both.
    """
    return Credentials(  # type: ignore[no-untyped-call]  # google-auth's __init__ has no annotations
        token=access_token,
        refresh_token=refresh_token,
        token_uri=oauth_endpoints(base_url).token_url,
        client_id=client_id,
        client_secret=client_secret,
        scopes=scopes,
        expiry=expiry,
    )


@cache
def _discovery_text(api: Api) -> str:
    name = f"{api}.{API_VERSIONS[api]}.json"
    documents = resources.files("googleapiclient") / "discovery_cache" / "documents"
    return (documents / name).read_text(encoding="utf-8")


def discovery_document(api: Api, base_url: str | None) -> dict[str, Any]:
    """The bundled discovery document, pointed at `base_url` when one is given."""
    document: dict[str, Any] = json.loads(_discovery_text(api))
    if base_url is not None:
        root = base_url.rstrip("/") + "/"
        document["rootUrl"] = root
        document["mtlsRootUrl"] = root
        document["baseUrl"] = root + document["servicePath"]
    return document


def build_service(api: Api, credentials: Credentials, base_url: str | None) -> Resource:
    """A service object for `api`, talking to Google (no base URL) or to `base_url`.

    Service objects wrap an `httplib2.Http`, which is not thread-safe: build one per
    thread.
    """
    return build_from_document(discovery_document(api, base_url), credentials=credentials)
