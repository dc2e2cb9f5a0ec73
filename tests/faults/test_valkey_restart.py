"""Valkey (Redis) restarted: queued jobs survive, caches and rate-limit buckets rebuild.

The drill's own embedded Valkey runs as deployed, with its append-only file fsynced every
second. A crash (SIGKILL) keeps every write older than that; losing the data altogether
(a replacement server) costs cache entries and bucket state, which are rebuilt on use,
never answers.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from datetime import datetime

import httpx
import pytest
import redis.asyncio
from rq import Queue
from rq.job import Job

from assistant.core.embedded import EmbeddedServers
from assistant.pipeline import Concierge, DoneEvent
from sync.jobs import sync_service
from sync.queues import SERVICES, Priority, enqueue_sync
from tests.faults.support import assert_mirrors_google
from tests.faults.test_killed_worker import start_worker
from tests.sandbox.conftest import ALEX, NOW
from tests.sync.conftest import LinkedAccount
from tests.sync.test_sync import control_call, sync_all, sync_status

# A sync's lock renewer dying in its thread must fail the drill, not just warn.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")


def crash_valkey(servers: EmbeddedServers, *, lose_data: bool = False) -> None:
    """SIGKILL the server; with `lose_data`, start the next one on an empty directory."""
    pid = servers.valkey_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    while servers.valkey_pid() is not None:
        time.sleep(0.02)
    if lose_data:
        shutil.rmtree(servers.valkey_dir)


async def test_queued_jobs_survive_a_valkey_crash(
    link_on_own_servers, own_servers: EmbeddedServers, own_database_url: str, base_url: str, connect
) -> None:
    linked: LinkedAccount = await link_on_own_servers(ALEX)
    jobs = [
        enqueue_sync(linked.redis, str(linked.account_id), service, priority=Priority.DEFAULT) for service in SERVICES
    ]
    assert all(job is not None for job in jobs)

    # Valkey appends every write to its file before answering, and fsyncs the file once
    # a second (appendfsync everysec): a crash loses at most the last second or so. The
    # jobs are older than that when the server dies (WAITAOF: fsynced).
    assert linked.redis.execute_command("WAITAOF", 1, 0, 5000) == [1, 0]
    crash_valkey(own_servers)
    redis_url = own_servers.acquire().redis_url or ""
    queued = Queue(Priority.DEFAULT.value, connection=linked.redis).job_ids
    assert sorted(queued) == sorted(job.id for job in jobs if job is not None)

    worker = start_worker(own_database_url, redis_url, base_url, "drill-burst", "--burst")
    assert await asyncio.to_thread(worker.wait, 120) == 0
    for job in jobs:
        assert job is not None and Job.fetch(job.id, connection=linked.redis).get_status() == "finished"
    await assert_mirrors_google(linked, connect(ALEX))


async def test_a_sync_carries_on_across_a_valkey_restart(
    link_on_own_servers, own_servers: EmbeddedServers, connect, control: httpx.Client
) -> None:
    """The sync's lock and its account's quota bucket live in Valkey."""
    linked: LinkedAccount = await link_on_own_servers(ALEX)
    # The lock is renewed every second: renewals fall into the outage.
    linked.settings = linked.settings.model_copy(update={"worker_liveness_seconds": 3})
    control_call(
        control,
        "POST",
        "/faults",
        {"method": "gmail.users.messages.get", "kind": "latency", "latency_seconds": 0.3, "count": 100},
    )
    try:
        running = asyncio.create_task(
            sync_service(linked.engine, linked.redis, linked.account_id, "gmail", settings=linked.settings)
        )
        while (row := (await sync_status(linked)).get("gmail")) is None or row.status != "running":
            assert not running.done()
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        crash_valkey(own_servers, lose_data=True)
        await asyncio.sleep(2.0)
        own_servers.acquire()
        outcome = await asyncio.wait_for(running, timeout=120)
    finally:
        control_call(control, "DELETE", "/faults")
    assert outcome.status == "ok"
    await assert_mirrors_google(linked, connect(ALEX), only="gmail")


async def test_the_app_rebuilds_its_caches_after_losing_valkey(
    link_on_own_servers, own_servers: EmbeddedServers, connect
) -> None:
    linked: LinkedAccount = await link_on_own_servers(ALEX)
    await sync_all(linked)
    async_redis = redis.asyncio.Redis.from_url(own_servers.acquire().redis_url or "")
    concierge = Concierge(linked.settings, linked.engine, linked.redis, async_redis)
    now = datetime.fromisoformat(NOW)
    question = "emails from Sarah about the Q4 review"

    async def ask() -> DoneEvent:
        events = [e async for e in concierge.ask(linked.user_id, question, now=now)]
        assert isinstance(events[-1], DoneEvent)
        return events[-1]

    before = await ask()
    cached_keys = set(linked.redis.keys("concierge:*"))
    assert cached_keys  # what the answer cached (the query's embedding, the understanding)

    crash_valkey(own_servers, lose_data=True)
    own_servers.acquire()
    assert linked.redis.dbsize() == 0  # a new, empty server on the same address

    after = await ask()  # the same clients reconnect
    assert [s.id for s in after.sources] == [s.id for s in before.sources] and not after.failures
    assert set(linked.redis.keys("concierge:*")) == cached_keys  # rebuilt on use

    outcome = await sync_service(linked.engine, linked.redis, linked.account_id, "gcal", settings=linked.settings)
    assert outcome.status == "ok"
    assert linked.redis.exists(f"quota:{linked.account_id}:gcal")  # the bucket, rebuilt
    await assert_mirrors_google(linked, connect(ALEX))
    await async_redis.aclose()
