"""Everything an agent may use while serving one user: search, the caches, Google."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from assistant.core.db import session_factory
from assistant.core.models import GoogleAccount
from assistant.core.settings import Settings
from assistant.google.accounts import save_refreshed_token
from assistant.google.api import GoogleApi, google_api_for
from assistant.google.client import Api
from assistant.rerank import Reranker
from search.hybrid import HybridSearch
from search.indexing import Indexer


class NoLinkedAccount(Exception):
    """The user has no usable Google account for this."""


@dataclass
class AgentContext:
    user_id: uuid.UUID
    now: datetime
    timezone: ZoneInfo
    settings: Settings
    engine: AsyncEngine
    redis: Redis
    search: HybridSearch
    indexer: Indexer
    #: Reorders searches' best results by a language model; None without one.
    reranker: Reranker | None = None
    _apis: dict[tuple[uuid.UUID, Api], GoogleApi] = field(default_factory=dict)
    _usable: list[GoogleAccount] | None = None

    async def accounts(self) -> list[GoogleAccount]:
        """The user's linked accounts that can be used, the primary one first.

        Read once per context (a context serves one request): a write's steps ask several
        times, and each read is a transaction.
        """
        if self._usable is None:
            async with session_factory(self.engine)() as session:
                rows = (
                    (
                        await session.execute(
                            select(GoogleAccount)
                            .where(GoogleAccount.user_id == self.user_id, GoogleAccount.status == "active")
                            .order_by(GoogleAccount.is_primary.desc(), GoogleAccount.created_at)
                        )
                    )
                    .scalars()
                    .all()
                )
            self._usable = list(rows)
        return list(self._usable)

    async def primary_account(self) -> GoogleAccount:
        accounts = await self.accounts()
        if not accounts:
            raise NoLinkedAccount("no Google account is linked, or its consent has expired; sign in again")
        return accounts[0]

    async def google(self, account_id: uuid.UUID | str, api: Api) -> GoogleApi:
        """The account's API client; the account must belong to this user."""
        account_id = uuid.UUID(str(account_id))
        key = (account_id, api)
        if key not in self._apis:
            account = next((account for account in await self.accounts() if account.id == account_id), None)
            if account is None:
                raise NoLinkedAccount("that Google account is not linked to you (or needs consent again)")
            self._apis[key] = google_api_for(account, api, self.settings, self.redis)
        return self._apis[key]

    async def save_tokens(self) -> None:
        """Persist access tokens google-auth refreshed during this request."""
        async with session_factory(self.engine)() as session:
            changed = [
                await save_refreshed_token(session, account_id, api.credentials)
                for (account_id, _), api in self._apis.items()
            ]
            if any(changed):
                await session.commit()
