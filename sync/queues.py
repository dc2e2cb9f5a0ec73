"""RQ queues for sync jobs, and the one function that puts a sync on them.

Three queues, taken by workers in priority order: `high` (a user is waiting: first
login, the UI's refresh button, a push notification), `default` (periodic incremental
syncs of active users), `low` (periodic syncs of idle users, full backfills).
"""

from __future__ import annotations

import logging
from enum import StrEnum

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from assistant.core.services import CACHE_NAMES

log = logging.getLogger(__name__)

#: Every service, as its sync jobs and status name it (assistant/core/services.py).
SERVICES = CACHE_NAMES


class Priority(StrEnum):
    HIGH = "high"
    DEFAULT = "default"
    LOW = "low"


QUEUE_ORDER = [Priority.HIGH, Priority.DEFAULT, Priority.LOW]

# A killed worker's job is re-run by another worker (RQ retries abandoned jobs that have
# retries left); a full sync resumes from its checkpoint, so a retry repeats little.
# The first retry is queued at once: an abandoned job is only found once its worker has
# been silent for `worker_liveness_seconds`, and a delayed retry would wait for RQ's
# scheduler, whose lock a killed worker holds for another minute.
SYNC_RETRY = Retry(max=3, interval=[0, 60, 300])
SYNC_TIMEOUT_SECONDS = 60 * 60


def queue(redis: Redis, priority: Priority) -> Queue:
    return Queue(priority.value, connection=redis)


def sync_job_ids(account_id: str, service: str) -> tuple[str, str]:
    """The job's id, and the id of the one follow-up allowed while it runs."""
    base = f"sync-{account_id}-{service}"
    return base, f"{base}-again"


_WAITING = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


def _status(redis: Redis, job_id: str) -> tuple[Job | None, JobStatus | None]:
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return None, None
    return job, job.get_status()


def enqueue_account_syncs(redis: Redis, account_id: str, priority: Priority) -> None:
    """Queue a sync of every service of one account (sign-in, linking, Refresh)."""
    for service in SERVICES:
        enqueue_sync(redis, account_id, service, priority=priority)


def enqueue_sync(
    redis: Redis,
    account_id: str,
    service: str,
    *,
    priority: Priority = Priority.DEFAULT,
    full: bool = False,
) -> Job | None:
    """Queue a sync of one service of one account, unless one is already waiting.

    Returns the queued job, or None when an equivalent job is already waiting (a second
    trigger adds nothing: the waiting job will see the same changes). While a job runs,
    one follow-up may wait behind it, since changes may have arrived after it read them;
    the per-account lock inside the job keeps the two from overlapping.
    """
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {SERVICES}")
    base_id, again_id = sync_job_ids(account_id, service)
    base, base_status = _status(redis, base_id)
    job_id = again_id if base_status == JobStatus.STARTED else base_id
    existing, status = (base, base_status) if job_id == base_id else _status(redis, again_id)
    if status == JobStatus.STARTED:
        return None  # the follow-up already started: it reads after taking the lock
    if existing is not None and status in _WAITING:
        if not full or existing.kwargs.get("full", False):
            return None
        existing.cancel()  # a waiting incremental sync is replaced by the full one
    if existing is not None:
        existing.delete()
    return queue(redis, priority).enqueue(
        "sync.jobs.run_sync",
        kwargs={"account_id": account_id, "service": service, "full": full},
        job_id=job_id,
        job_timeout=SYNC_TIMEOUT_SECONDS,
        retry=SYNC_RETRY,
        result_ttl=24 * 3600,
        failure_ttl=7 * 24 * 3600,
        description=f"sync {service} of account {account_id}{' (full)' if full else ''}",
    )
