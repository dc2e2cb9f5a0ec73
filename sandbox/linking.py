"""Linking a sandbox account to a Concierge user without the OAuth web flow.

The benches, the search evaluation and the end-to-end tests need an account linked as if
its owner had consented; here the sandbox issues the tokens directly instead.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from assistant.core.models import GoogleAccount, User
from assistant.google.accounts import link_google_account
from sandbox.oauth import ALL_SCOPES, issue_access_token, issue_refresh_token
from sandbox.store import Store

ACCESS_TOKEN_SECONDS = 3600


async def link_sandbox_account(
    session: AsyncSession, store: Store, *, user_email: str, account_email: str, client_id: str
) -> tuple[User, GoogleAccount]:
    """Link `account_email` of the sandbox `store` to the user `user_email` (created if new).

    The tokens are freshly issued to `client_id` with every scope the sandbox knows: an
    access token valid for an hour and a refresh token, so that a sync running with the
    same client id can refresh at the sandbox's token endpoint. Nothing is committed: the
    caller commits `session`, after any changes of its own to the user.
    """
    return await link_google_account(
        session,
        user_email=user_email,
        account_email=account_email,
        access_token=issue_access_token(store, account_email, client_id, ALL_SCOPES, ACCESS_TOKEN_SECONDS),
        refresh_token=issue_refresh_token(store, account_email, client_id, ALL_SCOPES),
        expires_at=None,
        scopes=[],
    )
