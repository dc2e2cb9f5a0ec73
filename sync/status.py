"""The `sync_status` row of one account's service: cursor, checkpoint, progress, outcome.

Every change is committed at once, so the UI sees progress while a backfill runs and a
crashed job's successor finds the checkpoint where it was left.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assistant.core.logs import redact
from assistant.core.models import SyncStatus

ERROR_CHARS = 500


class SyncStatusRecorder:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        user_id: uuid.UUID,
        account_id: uuid.UUID,
        service: str,
    ) -> None:
        self.sessions = sessions
        self.user_id = user_id
        self.account_id = account_id
        self.service = service

    async def load(self) -> SyncStatus:
        """The row, created on first use."""
        async with self.sessions() as session:
            await session.execute(
                insert(SyncStatus)
                .values(user_id=self.user_id, account_id=self.account_id, service=self.service)
                .on_conflict_do_nothing(index_elements=["account_id", "service"])
            )
            await session.commit()
            return (
                await session.execute(
                    select(SyncStatus).where(
                        SyncStatus.account_id == self.account_id, SyncStatus.service == self.service
                    )
                )
            ).scalar_one()

    async def _update(self, **values: Any) -> None:
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(SyncStatus)
                    .where(SyncStatus.account_id == self.account_id, SyncStatus.service == self.service)
                    .with_for_update()
                )
            ).scalar_one()
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = func.now()
            await session.commit()

    async def started(self) -> None:
        await self._update(status="running", last_attempt_at=func.now())

    async def progress(self, *, items_synced: int, items_total_estimate: int | None = None) -> None:
        values: dict[str, Any] = {"items_synced": items_synced}
        if items_total_estimate is not None:
            values["items_total_estimate"] = items_total_estimate
        await self._update(**values)

    async def checkpoint(self, checkpoint: dict[str, Any] | None, *, items_synced: int | None = None) -> None:
        values: dict[str, Any] = {"checkpoint": checkpoint}
        if items_synced is not None:
            values["items_synced"] = items_synced
        await self._update(**values)

    async def succeeded(self, cursor: str, *, full: bool, items_synced: int) -> None:
        values: dict[str, Any] = {
            "status": "ok",
            "cursor": cursor,
            "checkpoint": None,
            "items_synced": items_synced,
            "consecutive_failures": 0,
            "last_error": None,
            "last_success_at": func.now(),
        }
        if full:
            values["last_full_sync_at"] = func.now()
        await self._update(**values)

    async def failed(self, error: BaseException, *, needs_reconsent: bool = False) -> None:
        message = redact(f"{type(error).__name__}: {error}")[:ERROR_CHARS]
        await self._update(
            status="needs_reconsent" if needs_reconsent else "error",
            last_error=message,
            last_error_at=func.now(),
            consecutive_failures=SyncStatus.consecutive_failures + 1,
        )

    async def forget_cursor(self) -> None:
        """The cursor expired (Gmail 404, Calendar 410): the next run is a full sync."""
        await self._update(cursor=None, checkpoint=None)
