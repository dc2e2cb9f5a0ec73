"""What every service's sync shares: its context, the cursor-expired signal, and the
mark-and-sweep that removes items a full sync no longer saw.

A full sync records the database's clock when it starts (kept in the checkpoint, so a
resumed run keeps it); every item it writes gets `synced_at = now()` from the indexer;
when the listing is complete, rows of the account older than the start were deleted at
Google while we were not looking (during a cursor gap), and are swept.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assistant.google.api import GoogleApi
from search.indexing import Indexer, ServiceTable
from sync.status import SyncStatusRecorder


class CursorExpired(Exception):
    """Google no longer accepts the stored cursor (Gmail 404, Calendar 410)."""


@dataclass
class SyncContext:
    user_id: uuid.UUID
    account_id: uuid.UUID
    api: GoogleApi
    indexer: Indexer
    status: SyncStatusRecorder
    sessions: async_sessionmaker[AsyncSession]
    #: Google calls in flight at once for one account (each in its own thread).
    concurrency: int = 4
    #: Items written to the cache by this run, for sync_status.
    items_synced: int = 0


class ServiceSync(Protocol):
    service: str

    async def full(self, context: SyncContext, checkpoint: dict[str, Any] | None) -> str:
        """Mirror everything, resuming from `checkpoint`; return the new cursor."""

    async def incremental(self, context: SyncContext, cursor: str) -> str:
        """Apply the changes since `cursor`; return the new cursor. Raises CursorExpired."""


@dataclass
class FullSyncProgress:
    """Where a full sync is, saved as the checkpoint after every page."""

    started_at: datetime
    #: The incremental cursor taken before listing (Gmail history id, Drive start token).
    baseline: str | None = None
    page_token: str | None = None
    done: int = 0

    def as_checkpoint(self) -> dict[str, Any]:
        return asdict(self) | {"started_at": self.started_at.isoformat()}

    async def save(self, context: SyncContext) -> None:
        await context.status.checkpoint(self.as_checkpoint(), items_synced=self.done)


async def begin_full_sync(
    context: SyncContext,
    checkpoint: dict[str, Any] | None,
    baseline: Callable[[], Awaitable[str | None]] | None = None,
) -> FullSyncProgress:
    """Resume the full sync saved in `checkpoint`, or start one (taking the baseline first)."""
    if checkpoint:
        return FullSyncProgress(**(checkpoint | {"started_at": datetime.fromisoformat(checkpoint["started_at"])}))
    cursor = await baseline() if baseline else None
    return FullSyncProgress(started_at=await database_now(context.sessions), baseline=cursor)


async def database_now(sessions: async_sessionmaker[AsyncSession]) -> datetime:
    async with sessions() as session:
        return (await session.execute(text("SELECT now()"))).scalar_one()


async def sweep_unseen(
    sessions: async_sessionmaker[AsyncSession], table: ServiceTable, account_id: uuid.UUID, started_at: datetime
) -> int:
    """Delete the account's rows that the full sync begun at `started_at` did not write."""
    async with sessions() as session:
        result = await session.execute(
            delete(table.table).where(table.table.c.account_id == account_id, table.table.c.synced_at < started_at)
        )
        await session.commit()
    return result.rowcount
