"""The periodic sweep: which accounts are due for an incremental sync, and in what order.

Runs as an RQ job every minute (`concierge cron`). An account is due when autosync is on,
its consent is valid, and its last attempt for that service is older than its
`sync_interval_minutes`. Users active in the last half hour go to the default queue,
idle ones to the low queue, so that people who are using the product see fresh data first.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.core.db import session_factory, short_lived_engine
from assistant.core.runtime import redis_client, urls
from assistant.core.services import CACHE_NAMES
from sync.queues import Priority, enqueue_sync

log = logging.getLogger(__name__)

ACTIVE_WINDOW = timedelta(minutes=30)

#: Every service, as the caches name them (the registry's), for the statement below.
_SERVICES = ", ".join(f"('{name}')" for name in CACHE_NAMES)
_DUE = text(
    f"""
    SELECT a.id AS account_id, svc.service, coalesce(u.last_active_at > CAST(:active_since AS timestamptz), false) AS active
    FROM google_accounts a
    JOIN users u ON u.id = a.user_id
    CROSS JOIN (VALUES {_SERVICES}) AS svc(service)
    LEFT JOIN sync_status s ON s.account_id = a.id AND s.service = svc.service
    WHERE a.autosync_enabled
      AND a.status = 'active'
      AND (s.last_attempt_at IS NULL
           OR s.last_attempt_at < CAST(:now AS timestamptz) - make_interval(mins => a.sync_interval_minutes))
    ORDER BY active DESC, s.last_success_at ASC NULLS FIRST
    """  # noqa: E501 - the select list stays on one line, as written
)


@dataclass(frozen=True)
class DueSync:
    account_id: uuid.UUID
    service: str
    active: bool


async def due_syncs(session: AsyncSession, now: datetime) -> list[DueSync]:
    rows = await session.execute(_DUE, {"now": now, "active_since": now - ACTIVE_WINDOW})
    return [DueSync(row.account_id, row.service, row.active) for row in rows]


def enqueue_due_syncs() -> int:
    """RQ job: queue every due sync; returns how many were queued (not already waiting)."""

    async def find() -> list[DueSync]:
        async with short_lived_engine(urls().database_url) as engine, session_factory(engine)() as session:
            return await due_syncs(session, datetime.now().astimezone())

    queued = 0
    for due in asyncio.run(find()):
        priority = Priority.DEFAULT if due.active else Priority.LOW
        if enqueue_sync(redis_client(), str(due.account_id), due.service, priority=priority):
            queued += 1
    log.info("periodic sync sweep", extra={"queued": queued})
    return queued
