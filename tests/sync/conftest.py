"""Sync tests run against a real sandbox (reached through google-api-python-client), the
real embedded PostgreSQL and Valkey, and the real embedding model."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC

import pytest
import redis
from google.oauth2.credentials import Credentials
from sqlalchemy.ext.asyncio import AsyncEngine

from assistant.core.db import create_engine, session_factory
from assistant.core.settings import Settings, get_settings
from assistant.google.accounts import link_google_account
from assistant.google.client import SCOPES
from tests.sandbox.conftest import (  # noqa: F401  (fixtures, re-used here)
    ALEX,
    CLIENT_ID,
    CLIENT_SECRET,
    authorize,
    base_url,
    control,
    sandbox_server,
)


@dataclass
class LinkedAccount:
    engine: AsyncEngine
    redis: redis.Redis
    settings: Settings
    user_id: uuid.UUID
    account_id: uuid.UUID
    credentials: Credentials


@asynccontextmanager
async def linker(
    database_url: str, client: redis.Redis, base_url: str, authorize: Callable[[str], Credentials]
) -> AsyncIterator[Callable[[str], Awaitable[LinkedAccount]]]:
    """Sign accounts in through the sandbox's OAuth flow and link them in `database_url`."""
    engine = create_engine(database_url)
    settings = get_settings().model_copy(
        update={
            "google_api_base_url": base_url,
            "google_client_id": CLIENT_ID,
            "google_client_secret": get_settings().google_client_secret.__class__(CLIENT_SECRET),
        }
    )

    async def run(email: str) -> LinkedAccount:
        credentials = authorize(email)
        async with session_factory(engine)() as session:
            user, account = await link_google_account(
                session,
                user_email=email,
                account_email=email,
                access_token=credentials.token,
                refresh_token=credentials.refresh_token,
                expires_at=credentials.expiry.replace(tzinfo=UTC) if credentials.expiry else None,
                scopes=SCOPES,
            )
            await session.commit()
        return LinkedAccount(engine, client, settings, user.id, account.id, credentials)

    try:
        yield run
    finally:
        await engine.dispose()


@pytest.fixture
async def link(
    database_url: str, redis_url: str, base_url: str, authorize: Callable[[str], Credentials]
) -> AsyncIterator[Callable[[str], Awaitable[LinkedAccount]]]:
    """Sign an account in through the sandbox's OAuth flow and link it in a fresh database."""
    client = redis.Redis.from_url(redis_url)
    async with linker(database_url, client, base_url, authorize) as run:
        yield run
    client.close()
