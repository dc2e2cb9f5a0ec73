"""Liveness, readiness and Prometheus metrics; and the per-stage timing of a query.

`/healthz` answers while the process serves requests at all (no dependencies checked).
`/readyz` checks PostgreSQL and Redis (503 when either fails) and reports queue depths.
`/metrics` is the Prometheus exposition: request latency, stage latency, LLM and Google
calls, cache hits, 429s (assistant/metrics.py), plus queue depths and sync lag read now.
None of them needs a token, and none shows anything about a particular user.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

import redis
import redis.asyncio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rq import Queue
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from assistant.api.schemas import Check, Readiness
from assistant.metrics import ACCOUNTS_NEVER_SYNCED, QUEUE_DEPTH, STAGE_SECONDS, SYNC_LAG
from assistant.models import GoogleAccount, SyncStatus
from assistant.orchestrator import StepEvent
from assistant.pipeline import DoneEvent, IntentEvent, PipelineEvent, PlanEvent
from sync.queues import QUEUE_ORDER, SERVICES

CHECK_TIMEOUT_SECONDS = 2.0


async def _timed_check(probe: Awaitable[object]) -> Check:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await probe
    except Exception as error:
        return Check(ok=False, milliseconds=_ms(started), error=type(error).__name__)
    return Check(ok=True, milliseconds=_ms(started))


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def queue_depths(client: redis.Redis) -> dict[str, int]:
    def count() -> dict[str, int]:
        return {priority.value: Queue(priority.value, connection=client).count for priority in QUEUE_ORDER}

    return await asyncio.to_thread(count)


async def readiness(engine: AsyncEngine, async_redis: redis.asyncio.Redis, sync_redis: redis.Redis) -> Readiness:
    database, cache = await asyncio.gather(_timed_check(_select_one(engine)), _timed_check(async_redis.ping()))
    queues: dict[str, int] = {}
    if cache.ok:
        queues = await queue_depths(sync_redis)
    return Readiness(status="ready" if database.ok and cache.ok else "not_ready", database=database, redis=cache, queues=queues)


async def metrics_text(engine: AsyncEngine, sync_redis: redis.Redis) -> tuple[bytes, str]:
    """The exposition, after reading the queue depths and the sync lag (as the owner: all accounts)."""
    for queue_name, depth in (await queue_depths(sync_redis)).items():
        QUEUE_DEPTH.labels(queue_name).set(depth)
    async with engine.connect() as connection:
        # Per service, the oldest last success among active accounts (NULL: never synced).
        rows = await connection.execute(
            select(
                SyncStatus.service,
                func.now() - func.min(SyncStatus.last_success_at),
                func.count().filter(SyncStatus.last_success_at.is_(None)),
            )
            .join(GoogleAccount, GoogleAccount.id == SyncStatus.account_id)
            .where(GoogleAccount.status == "active")
            .group_by(SyncStatus.service)
        )
        seen = {service: (lag, never) for service, lag, never in rows}
    for service in SERVICES:
        lag, never = seen.get(service, (None, 0))
        SYNC_LAG.labels(service).set(lag.total_seconds() if lag is not None else 0)
        ACCOUNTS_NEVER_SYNCED.labels(service).set(never)
    return generate_latest(), CONTENT_TYPE_LATEST


class QueryStages:
    """Times a query's stages from its events, into `concierge_pipeline_stage_seconds`."""

    def __init__(self) -> None:
        self.started = self.mark = time.perf_counter()

    def saw(self, event: PipelineEvent) -> None:
        now = time.perf_counter()
        if isinstance(event, IntentEvent):
            STAGE_SECONDS.labels("understand").observe(now - self.mark)
            self.mark = now
        elif isinstance(event, PlanEvent):
            STAGE_SECONDS.labels("plan").observe(now - self.mark)
            self.mark = now
        elif isinstance(event, StepEvent) and event.result is not None:
            STAGE_SECONDS.labels(f"step_{event.step.service}").observe(event.result.duration_ms / 1000)
            self.mark = now  # the answer is written after the last step
        elif isinstance(event, DoneEvent):
            STAGE_SECONDS.labels("answer").observe(now - self.mark)
            STAGE_SECONDS.labels("total").observe(now - self.started)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
