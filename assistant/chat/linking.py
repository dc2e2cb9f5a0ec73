"""Linking a second Google account to the signed-in person.

Signing in links the account you sign in with. Another account (a work and a personal
one) goes through the same consent, on routes of our own so that Chainlit's sign-in does
not switch users:

    GET /accounts/link            signed in -> Google's consent screen (state kept in Redis)
    GET /accounts/link/callback   code + state -> tokens stored encrypted, first sync queued,
                                  back to the chat

The state names the person who started the flow and is good for one use within ten
minutes, so a callback cannot attach an account to somebody else.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from urllib.parse import urlencode

from chainlit.auth import get_current_user
from chainlit.user import User as ChainlitUser
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse

from assistant.core import runtime
from assistant.google.accounts import link_google_account
from assistant.login import GoogleSignIn, expiry_of
from assistant.routing import include_first
from sync.queues import Priority, enqueue_account_syncs

log = logging.getLogger(__name__)

STATE_TTL_SECONDS = 600
LINK_ROUTE = "/accounts/link"


def install(app: FastAPI, provider: GoogleSignIn) -> None:
    router = APIRouter()

    @router.get(LINK_ROUTE)
    async def start_link(request: Request, user: ChainlitUser = Depends(get_current_user)) -> RedirectResponse:
        state = secrets.token_urlsafe(24)
        await runtime.async_redis_client().set(f"link-state:{state}", user.identifier, ex=STATE_TTL_SECONDS)
        params = provider.authorize_params | {
            "client_id": provider.client_id,
            "redirect_uri": str(request.url_for("finish_link")),
            "state": state,
            "prompt": "consent select_account",
        }
        return RedirectResponse(f"{provider.authorize_url}?{urlencode(params)}", status_code=302)

    @router.get(LINK_ROUTE + "/callback", name="finish_link")
    async def finish_link(
        request: Request,
        state: str,
        code: str | None = None,
        error: str | None = None,
        user: ChainlitUser = Depends(get_current_user),
    ) -> RedirectResponse:
        started_by = await runtime.async_redis_client().getdel(f"link-state:{state}")
        if started_by is None or started_by.decode() != user.identifier:
            raise HTTPException(status_code=400, detail="This link request expired or is not yours; start again.")
        if error or not code:
            return RedirectResponse("/?link=cancelled", status_code=302)
        grant = await provider.get_raw_token_response(code, str(request.url_for("finish_link")))
        profile, _ = await provider.get_user_info(grant["access_token"])
        async with runtime.sessions()() as session:
            _, account = await link_google_account(
                session,
                user_email=user.identifier,
                account_email=profile["email"],
                access_token=grant["access_token"],
                refresh_token=grant.get("refresh_token"),
                expires_at=expiry_of(grant),
                scopes=str(grant.get("scope", "")).split(),
                display_name=None,
                google_subject=str(profile.get("id", "")) or None,
            )
            await session.commit()
        await asyncio.to_thread(enqueue_account_syncs, runtime.redis_client(), str(account.id), Priority.HIGH)
        log.info("google account linked", extra={"account_id": str(account.id)})
        return RedirectResponse("/?link=done", status_code=302)

    include_first(app, router)
