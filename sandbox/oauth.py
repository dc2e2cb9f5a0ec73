"""OAuth 2.0 as Google serves it: consent page, token endpoint, userinfo, revocation.

- `GET /o/oauth2/v2/auth` shows a consent screen listing the requested scopes and the
  sandbox's accounts; `POST` of that form redirects to `redirect_uri` with a `code`
  (or `error=access_denied`).
- `POST /token`: `authorization_code` (PKCE `S256` or `plain` checked when a challenge
  was sent) and `refresh_token` grants. A refresh token is issued with
  `access_type=offline`. A revoked or unknown grant answers 400 `invalid_grant`.
- `GET /v1/userinfo` (and Google's other userinfo paths), `POST /revoke`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.api import Sandbox, bearer_token
from sandbox.errors import OAuthError
from sandbox.store import Store

CODE_LIFETIME_SECONDS = 600
ALL_SCOPES = (
    "openid https://www.googleapis.com/auth/userinfo.email "
    "https://www.googleapis.com/auth/userinfo.profile https://mail.google.com/ "
    "https://www.googleapis.com/auth/calendar https://www.googleapis.com/auth/drive"
)


def issue_access_token(
    store: Store, email: str, client_id: str, scope: str, lifetime: float, parent: str | None = None
) -> str:
    token = "ya29.sandbox-" + secrets.token_urlsafe(32)
    store.add_token(token, "access", email, client_id, scope, lifetime, parent=parent)
    return token


def issue_refresh_token(store: Store, email: str, client_id: str, scope: str) -> str:
    token = "1//sandbox-" + secrets.token_urlsafe(32)
    store.add_token(token, "refresh", email, client_id, scope, None)
    return token


def accounts_in_order(store: Store) -> list[dict]:
    """Accounts, the workspace's main account first."""
    return sorted(store.all("account"), key=lambda account: account["order"])


CONSENT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Google Accounts (sandbox)</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}li{{margin:.3rem 0}}</style>
</head><body>
<h1>Choose an account</h1>
<p><b>{client}</b> wants to access your Google Account (sandbox):</p>
<ul>{scopes}</ul>
<form method="post">
{hidden}
<fieldset><legend>Account</legend>{accounts}</fieldset>
<p><button name="decision" value="allow">Allow</button>
<button name="decision" value="deny">Cancel</button></p>
</form></body></html>"""


async def authorize_page(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    params = request.query_params
    if not params.get("client_id") or not params.get("redirect_uri"):
        return HTMLResponse("<h1>400. Missing client_id or redirect_uri.</h1>", status_code=400)
    if params.get("response_type", "code") != "code":
        return HTMLResponse("<h1>400. Only response_type=code is supported.</h1>", status_code=400)
    accounts = accounts_in_order(sandbox.store)
    hint = params.get("login_hint")
    choices = "".join(
        f'<label><input type="radio" name="account" value="{html.escape(a["email"])}"'
        f"{' checked' if (a['email'] == hint or (not hint and i == 0)) else ''}> "
        f"{html.escape(a['name'])} &lt;{html.escape(a['email'])}&gt;</label><br>"
        for i, a in enumerate(accounts)
    )
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
    )
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params.get("scope", "").split())
    page = CONSENT_PAGE.format(client=html.escape(params["client_id"]), scopes=scopes, hidden=hidden, accounts=choices)
    return HTMLResponse(page)


async def authorize_decision(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    form = await request.form()
    fields = {key: str(value) for key, value in form.items()}
    redirect_uri = fields.get("redirect_uri", "")
    if not redirect_uri:
        return HTMLResponse("<h1>400. Missing redirect_uri.</h1>", status_code=400)
    reply: dict[str, str] = {}
    if "state" in fields:
        reply["state"] = fields["state"]
    email = fields.get("account", "")
    if fields.get("decision") != "allow":
        reply["error"] = "access_denied"
    elif sandbox.store.get("account", "", email) is None:
        return HTMLResponse("<h1>400. Choose one of the listed accounts.</h1>", status_code=400)
    else:
        code = "4/sandbox-" + secrets.token_urlsafe(24)
        extra = {
            "redirect_uri": redirect_uri,
            "code_challenge": fields.get("code_challenge"),
            "code_challenge_method": fields.get("code_challenge_method", "plain"),
            "offline": fields.get("access_type") == "offline",
        }
        scope = fields.get("scope", "")
        sandbox.store.add_token(
            code, "code", email, fields.get("client_id", ""), scope, CODE_LIFETIME_SECONDS, extra=extra
        )
        reply.update(code=code, scope=scope)
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + separator + urlencode(reply), status_code=302)


def _client_id(request: Request, form: dict[str, str]) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        decoded = base64.b64decode(header[6:]).decode()
        return decoded.split(":", 1)[0]
    return form.get("client_id", "")


def _check_pkce(extra: dict, verifier: str | None) -> None:
    challenge = extra.get("code_challenge")
    if not challenge:
        return
    if not verifier:
        raise OAuthError("invalid_grant", "Missing code verifier.")
    if extra.get("code_challenge_method") == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        computed = verifier
    if computed != challenge:
        raise OAuthError("invalid_grant", "Invalid code verifier.")


async def token_endpoint(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    store = sandbox.store
    form = {key: str(value) for key, value in (await request.form()).items()}
    client_id = _client_id(request, form)
    grant_type = form.get("grant_type")
    try:
        if grant_type == "authorization_code":
            grant = store.token(form.get("code", ""))
            if grant is None or grant.kind != "code" or not grant.live or grant.client_id != client_id:
                raise OAuthError("invalid_grant", "Malformed auth code.")
            if grant.extra.get("redirect_uri") != form.get("redirect_uri"):
                raise OAuthError("redirect_uri_mismatch", "Bad Request")
            _check_pkce(grant.extra, form.get("code_verifier"))
            store.revoke_token(grant.token)  # a code is good for one exchange
            refresh = (
                issue_refresh_token(store, grant.email, client_id, grant.scope) if grant.extra.get("offline") else None
            )
            email, scope = grant.email, grant.scope
        elif grant_type == "refresh_token":
            grant = store.token(form.get("refresh_token", ""))
            if grant is None or grant.kind != "refresh" or not grant.live:
                raise OAuthError("invalid_grant", "Token has been expired or revoked.")
            if grant.client_id != client_id:
                raise OAuthError("unauthorized_client", "Unauthorized", status=401)
            refresh, email, scope = None, grant.email, grant.scope
        else:
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    except OAuthError as error:
        return error.response()
    access = issue_access_token(store, email, client_id, scope, sandbox.token_lifetime, parent=refresh or grant.token)
    body = {
        "access_token": access,
        "expires_in": int(sandbox.token_lifetime),
        "token_type": "Bearer",
        "scope": scope,
    }
    if refresh:
        body["refresh_token"] = refresh
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


async def userinfo(request: Request) -> Response:
    store: Store = request.app.state.sandbox.store
    value = bearer_token(request)
    token = store.token(value) if value else None
    if token is None or token.kind != "access" or not token.live:
        return OAuthError("invalid_request", "Invalid Credentials", status=401).response()
    account = store.get("account", "", token.email) or {}
    name = account.get("name", token.email)
    given, _, family = name.partition(" ")
    return JSONResponse(
        {
            "sub": account.get("sub", token.email),
            "id": account.get("sub", token.email),
            "email": token.email,
            "email_verified": True,
            "verified_email": True,
            "name": name,
            "given_name": given,
            "family_name": family,
            "picture": "",
            "locale": "en",
        }
    )


async def revoke(request: Request) -> Response:
    store: Store = request.app.state.sandbox.store
    form = {key: str(value) for key, value in (await request.form()).items()}
    token = request.query_params.get("token") or form.get("token", "")
    if not store.revoke_token(token):
        return OAuthError("invalid_token", "Token expired or revoked").response()
    return JSONResponse({})


routes = [
    Route("/o/oauth2/v2/auth", authorize_page, methods=["GET"]),
    Route("/o/oauth2/v2/auth", authorize_decision, methods=["POST"]),
    Route("/o/oauth2/auth", authorize_page, methods=["GET"]),
    Route("/o/oauth2/auth", authorize_decision, methods=["POST"]),
    Route("/token", token_endpoint, methods=["POST"]),
    Route("/oauth2/v4/token", token_endpoint, methods=["POST"]),
    Route("/v1/userinfo", userinfo, methods=["GET"]),
    Route("/oauth2/v3/userinfo", userinfo, methods=["GET"]),
    Route("/oauth2/v2/userinfo", userinfo, methods=["GET"]),
    Route("/userinfo/v2/me", userinfo, methods=["GET"]),
    Route("/revoke", revoke, methods=["POST"]),
    Route("/o/oauth2/revoke", revoke, methods=["POST", "GET"]),
]
