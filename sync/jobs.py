"""The sync job: one service of one linked account, full or incremental.

`run_sync` is what RQ runs (enqueued by `sync.queues.enqueue_sync`); `sync_service` is
the same work for callers that already have an event loop (tests, `concierge sync`), and
`sync_every_service` runs it for each service of an account in turn (benches, evaluation).

At most one sync per account and service runs at a time: a Redis lock, renewed while the
job runs and expiring `worker_liveness_seconds` after a killed worker stops renewing it. Outcomes are written
to `sync_status`; a revoked grant marks the account as needing consent and is not
retried; other failures raise so that RQ retries the job.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import LockError, LockNotOwnedError, RedisError
from sqlalchemy.ext.asyncio import AsyncEngine

from assistant.core.db import session_factory, short_lived_engine
from assistant.core.models import GoogleAccount
from assistant.core.runtime import redis_client, urls
from assistant.core.services import by_cache_name
from assistant.core.settings import Settings, get_settings
from assistant.google.accounts import mark_needs_reconsent, save_refreshed_token
from assistant.google.api import google_api_for
from assistant.google.calls import AccountNeedsReconsent
from search.embeddings import Embedder, get_embedder
from search.indexing import Indexer
from sync.base import CursorExpired, ServiceSync, SyncContext
from sync.calendar import CalendarSync
from sync.drive import DriveSync
from sync.gmail import GmailSync
from sync.queues import SERVICES
from sync.status import SyncStatusRecorder

log = logging.getLogger(__name__)

SYNCERS: dict[str, ServiceSync] = {"gmail": GmailSync(), "gcal": CalendarSync(), "gdrive": DriveSync()}
LOCK_WAIT_SECONDS = 15 * 60


def sync_lock_key(account_id: uuid.UUID, service: str) -> str:
    return f"sync-lock:{account_id}:{service}"


class SyncBusy(Exception):
    """Another sync of the same account and service held the lock for too long."""


@dataclass(frozen=True)
class SyncOutcome:
    account_id: str
    service: str
    status: str  # "ok", "needs_reconsent", "skipped"
    full: bool = False
    cursor: str | None = None
    detail: str = ""


def run_sync(account_id: str, service: str, full: bool = False) -> dict[str, Any]:
    """RQ job entry point; returns the outcome as a dict (RQ stores it as the result)."""

    async def work() -> SyncOutcome:
        async with short_lived_engine(urls().database_url) as engine:
            return await sync_service(engine, redis_client(), uuid.UUID(account_id), service, full=full)

    return asyncio.run(work()).__dict__


async def sync_service(
    engine: AsyncEngine,
    redis: Redis,
    account_id: uuid.UUID,
    service: str,
    *,
    full: bool = False,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
) -> SyncOutcome:
    """Sync one service of one account (see the module docstring).

    `embedder` defaults to the configured model; benchmarks pass another to measure
    the cost of embedding.
    """
    settings = settings or get_settings()
    syncer = SYNCERS[service]
    async with _exclusive(redis, sync_lock_key(account_id, service), settings.worker_liveness_seconds):
        sessions = session_factory(engine)
        async with sessions() as session:
            account = await session.get(GoogleAccount, account_id)
        if account is None or account.status != "active":
            reason = "account unlinked" if account is None else f"account {account.status}"
            return SyncOutcome(str(account_id), service, "skipped", detail=reason)

        status = SyncStatusRecorder(sessions, user_id=account.user_id, account_id=account.id, service=service)
        row = await status.load()
        api = google_api_for(account, by_cache_name(service).service, settings, redis)
        context = SyncContext(
            user_id=account.user_id,
            account_id=account.id,
            api=api,
            indexer=Indexer(engine, embedder or await asyncio.to_thread(get_embedder, settings)),
            status=status,
            sessions=sessions,
        )
        await status.started()
        run_full = full or row.cursor is None
        try:
            if run_full:
                cursor = await syncer.full(context, row.checkpoint)
            else:
                try:
                    cursor = await syncer.incremental(context, row.cursor)
                except CursorExpired as expired:
                    log.warning(
                        "sync cursor expired, running a full sync", extra={"service": service, "reason": str(expired)}
                    )
                    await status.forget_cursor()
                    run_full = True
                    cursor = await syncer.full(context, None)
            await status.succeeded(cursor, full=run_full, items_synced=context.items_synced)
            return SyncOutcome(str(account_id), service, "ok", full=run_full, cursor=cursor)
        except AccountNeedsReconsent as error:
            async with sessions() as session:
                await mark_needs_reconsent(session, account.id)
                await session.commit()
            await status.failed(error, needs_reconsent=True)
            return SyncOutcome(str(account_id), service, "needs_reconsent", detail="consent revoked or expired")
        except Exception as error:
            await status.failed(error)
            raise
        finally:
            async with sessions() as session:
                if await save_refreshed_token(session, account.id, api.credentials):
                    await session.commit()


async def sync_every_service(
    engine: AsyncEngine,
    redis: Redis,
    account_id: uuid.UUID,
    *,
    full: bool = False,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
) -> dict[str, SyncOutcome]:
    """Sync each of `SERVICES` of one account in turn, as `sync_service` does with these arguments.

    Returns the outcomes by service. Raises `RuntimeError` naming the service, the
    account and the outcome as soon as a sync ends other than "ok" (skipped, or consent
    revoked); the services after it are not synced.
    """
    outcomes: dict[str, SyncOutcome] = {}
    for service in SERVICES:
        outcome = await sync_service(
            engine, redis, account_id, service, full=full, settings=settings, embedder=embedder
        )
        if outcome.status != "ok":
            raise RuntimeError(f"{service} sync of account {account_id} ended {outcome.status}: {outcome.detail}")
        outcomes[service] = outcome
    return outcomes


@asynccontextmanager
async def _exclusive(redis: Redis, key: str, expire_seconds: int) -> AsyncIterator[None]:
    """Hold a Redis lock for the block, renewing it until the block ends.

    Waiting for the lock happens in a thread, so the event loop is never blocked. A killed
    worker stops renewing, so the lock frees itself within `expire_seconds`.
    """
    lock = redis.lock(key, timeout=expire_seconds, blocking_timeout=LOCK_WAIT_SECONDS, thread_local=False)
    if not await asyncio.to_thread(lock.acquire):
        raise SyncBusy(f"{key} still held after {LOCK_WAIT_SECONDS}s")
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(expire_seconds / 3):
            try:
                lock.reacquire()
            except LockNotOwnedError:
                # The key is gone (Redis restarted empty, or it expired during an
                # outage): take it back, unless another sync has it by now.
                if not lock.acquire(blocking=False):
                    log.error("lost the sync lock", extra={"key": key})
                    return
            except RedisError as error:
                log.warning("could not renew the sync lock, trying again", extra={"key": key, "error": str(error)})

    renewer = threading.Thread(target=renew, name=f"renew {key}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        await asyncio.to_thread(renewer.join)
        try:
            lock.release()
        except (LockError, RedisError):
            pass  # expired, or Redis is away: either way it frees itself within expire_seconds
