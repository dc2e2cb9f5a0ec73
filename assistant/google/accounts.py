"""People and their linked Google accounts: linking after consent, and the credentials
that sync jobs and agents use to call Google on an account's behalf."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from google.oauth2.credentials import Credentials
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.core.models import GoogleAccount, User
from assistant.core.settings import Settings
from assistant.google.client import make_credentials


async def link_google_account(
    session: AsyncSession,
    *,
    user_email: str,
    account_email: str,
    access_token: str | None,
    refresh_token: str | None,
    expires_at: datetime | None,
    scopes: list[str],
    display_name: str | None = None,
    google_subject: str | None = None,
) -> tuple[User, GoogleAccount]:
    """Create or refresh the user `user_email` and their link to `account_email`.

    The first account a person links is their primary one. Linking again (a new consent)
    replaces the tokens and clears a `needs_reconsent` status; a consent that came back
    without a refresh token keeps the one already stored (Google only sends it once).
    """
    user_email, account_email = user_email.lower(), account_email.lower()
    user = (await session.execute(select(User).where(User.email == user_email))).scalar_one_or_none()
    if user is None:
        user = User(email=user_email, display_name=display_name)
        session.add(user)
        await session.flush()
    account = (
        await session.execute(
            select(GoogleAccount).where(GoogleAccount.user_id == user.id, GoogleAccount.email == account_email)
        )
    ).scalar_one_or_none()
    if account is None:
        has_primary = (
            await session.execute(
                select(GoogleAccount.id).where(GoogleAccount.user_id == user.id, GoogleAccount.is_primary)
            )
        ).first() is not None
        account = GoogleAccount(user_id=user.id, email=account_email, is_primary=not has_primary)
        session.add(account)
    account.display_name = display_name or account.display_name
    account.google_subject = google_subject or account.google_subject
    account.access_token = access_token
    account.refresh_token = refresh_token or account.refresh_token
    account.token_expires_at = expires_at
    account.scopes = scopes
    account.status = "active"
    await session.flush()
    return user, account


def credentials_for(account: GoogleAccount, settings: Settings) -> Credentials:
    """OAuth credentials for one linked account; refreshes go to the configured endpoint."""
    expiry = account.token_expires_at
    return make_credentials(
        access_token=account.access_token,
        refresh_token=account.refresh_token,
        client_id=settings.google_client_id,
        client_secret=settings.google_client_secret.get_secret_value(),
        scopes=list(account.scopes) or None,
        # google-auth compares expiry with a naive UTC datetime.
        expiry=expiry.astimezone(UTC).replace(tzinfo=None) if expiry else None,
        base_url=settings.google_api_base_url,
    )


async def save_refreshed_token(session: AsyncSession, account_id: uuid.UUID, credentials: Credentials) -> bool:
    """Persist a token google-auth refreshed during calls; True when there was one."""
    account = await session.get(GoogleAccount, account_id)
    if account is None or credentials.token is None or credentials.token == account.access_token:
        return False
    account.access_token = credentials.token
    account.token_expires_at = credentials.expiry.replace(tzinfo=UTC) if credentials.expiry else None
    if credentials.refresh_token and credentials.refresh_token != account.refresh_token:
        account.refresh_token = credentials.refresh_token
    await session.flush()
    return True


async def mark_needs_reconsent(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(update(GoogleAccount).where(GoogleAccount.id == account_id).values(status="needs_reconsent"))
