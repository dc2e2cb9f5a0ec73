"""Liveness, readiness and Prometheus metrics; and the per-stage timing of a query.

`/healthz` answers while the process serves requests at all (no dependencies checked).
`/readyz` checks PostgreSQL and Redis, and reads RQ's workers (alive while their heartbeat
is recent) and sync queues (depth, how long the next job has waited): 503 when a server
fails or when jobs wait in a queue that no live worker takes. It reads Redis in two round
trips, each check bounded by `CHECK_TIMEOUT_SECONDS`.
`/metrics` is the Prometheus exposition: request latency, stage latency, LLM and Google
calls, cache hits, 429s (assistant/core/metrics.py), plus queue depths and sync lag read now.
None of them needs a token, and none shows anything about a particular user.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import UTC, datetime

import redis
import redis.asyncio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rq import Queue, Worker
from rq.job import Job
from rq.utils import utcparse
from rq.worker_registration import WORKERS_BY_QUEUE_KEY
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from assistant.api.schemas import Check, QueueState, Readiness, Workers
from assistant.core.metrics import ACCOUNTS_NEVER_SYNCED, QUEUE_DEPTH, STAGE_SECONDS, SYNC_LAG
from assistant.core.models import GoogleAccount, SyncStatus
from assistant.orchestrator import StepEvent
from assistant.pipeline import DoneEvent, IntentEvent, PipelineEvent, PlanEvent
from sync.queues import QUEUE_ORDER, SERVICES

CHECK_TIMEOUT_SECONDS = 2.0
#: A worker is alive while its last heartbeat is at most this many heartbeat periods
#: (`worker_liveness_seconds`) old. An idle worker beats once a period (its wait for a job
#: times out that often: measured 3.01-3.03 s apart at 3 s), a busy one three times
#: (sync/worker.py); two periods let one beat come late before the worker counts as dead.
ALIVE_HEARTBEAT_PERIODS = 2


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


async def readiness(engine: AsyncEngine, async_redis: redis.asyncio.Redis, liveness_seconds: int) -> Readiness:
    """Ready when PostgreSQL and Redis answer and every queue with waiting jobs has a live worker."""
    database, cache = await asyncio.gather(_timed_check(_select_one(engine)), _timed_check(async_redis.ping()))
    problems = [
        f"{name} is unreachable ({check.error})"
        for name, check in (("PostgreSQL", database), ("Redis", cache))
        if not check.ok
    ]
    workers: Workers | None = None
    queues: dict[str, QueueState] = {}
    if cache.ok:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                workers, queues = await workers_and_queues(async_redis, liveness_seconds)
        except Exception as error:  # the boundary: readiness reports a failure, it never raises one
            problems.append(f"the sync queues could not be read ({type(error).__name__})")
    problems += [
        f"{queue.depth} sync job(s) wait in queue {name} and no live worker takes it"
        for name, queue in queues.items()
        if queue.depth and not queue.workers
    ]
    return Readiness(
        status="not_ready" if problems else "ready",
        database=database,
        redis=cache,
        workers=workers,
        queues=queues,
        problems=problems,
    )


async def workers_and_queues(
    client: redis.asyncio.Redis, liveness_seconds: int
) -> tuple[Workers, dict[str, QueueState]]:
    """RQ's workers and the sync queues, from RQ's own keys in two round trips: the
    registered workers and each queue's length, head job and listeners; then the workers'
    last heartbeats and the head jobs' enqueue times."""
    names = [priority.value for priority in QUEUE_ORDER]
    async with client.pipeline(transaction=False) as pipe:
        pipe.smembers(Worker.redis_workers_keys)
        for name in names:
            pipe.llen(Queue.redis_queue_namespace_prefix + name)
            pipe.lindex(Queue.redis_queue_namespace_prefix + name, 0)
            pipe.smembers(WORKERS_BY_QUEUE_KEY % name)
        registered, *per_queue = await pipe.execute()
    worker_keys = sorted(_text(key) for key in registered)
    depths, heads, listeners = per_queue[0::3], per_queue[1::3], per_queue[2::3]
    waiting = {name: _text(head) for name, head in zip(names, heads, strict=True) if head is not None}
    async with client.pipeline(transaction=False) as pipe:
        for key in worker_keys:
            pipe.hget(key, "last_heartbeat")
        for job_id in waiting.values():
            pipe.hget(Job.key_for(job_id), "enqueued_at")
        stamps = await pipe.execute()

    now = datetime.now(UTC)
    heartbeats = {
        key: age
        for key, stamp in zip(worker_keys, stamps[: len(worker_keys)], strict=True)
        if (age := _age(stamp, now)) is not None
    }
    waited = {name: _age(stamp, now) for name, stamp in zip(waiting, stamps[len(worker_keys) :], strict=True)}
    alive = {key for key, age in heartbeats.items() if age <= ALIVE_HEARTBEAT_PERIODS * liveness_seconds}
    workers = Workers(
        alive=len(alive), registered=len(heartbeats), freshest_heartbeat_seconds=min(heartbeats.values(), default=None)
    )
    queues = {
        name: QueueState(
            depth=depth, oldest_seconds=waited.get(name), workers=len(alive & {_text(key) for key in listening})
        )
        for name, depth, listening in zip(names, depths, listeners, strict=True)
    }
    return workers, queues


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


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _age(stamp: bytes | str | None, now: datetime) -> float | None:
    """Seconds since an RQ timestamp (UTC, written by the worker's or enqueuer's clock)."""
    if stamp is None:
        return None
    return round(max(0.0, (now - utcparse(_text(stamp))).total_seconds()), 3)
