"""Two app processes and two workers on one PostgreSQL and one Redis: nothing lives in a
process, so a conversation started on one app process continues on the other, and two
workers share the sync queues without running a job twice.

The app processes are `concierge ask` (the same `Concierge.ask` the chat UI and the HTTP
API serve); the workers are `concierge worker`, as deployed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any

from rq.job import Job
from sqlalchemy import func, select

from assistant.core.models import Message
from sync.queues import SERVICES, Priority, enqueue_sync
from tests.faults.support import assert_mirrors_google
from tests.faults.test_killed_worker import start_worker, stop_worker
from tests.sandbox.conftest import ALEX, NOW
from tests.sync.conftest import LinkedAccount


def ask_in_new_process(database_url: str, redis_url: str, base_url: str, *arguments: str) -> dict[str, Any]:
    env = os.environ | {
        "CONCIERGE_DATABASE_URL": database_url,
        "CONCIERGE_REDIS_URL": redis_url,
        "CONCIERGE_GOOGLE_API_BASE_URL": base_url,
        "CONCIERGE_LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", *arguments, "--user", ALEX, "--now", NOW, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


async def test_two_workers_and_two_app_processes_share_nothing_but_the_stores(
    link, connect, database_url: str, redis_url: str, base_url: str
) -> None:
    linked: LinkedAccount = await link(ALEX)
    linked.redis.flushdb()
    workers = [start_worker(database_url, redis_url, base_url, f"drill-{n}") for n in (1, 2)]
    try:
        jobs = [enqueue_sync(linked.redis, str(linked.account_id), s, priority=Priority.HIGH) for s in SERVICES]
        # A second trigger of each while they wait or run: at most one follow-up each.
        jobs += [enqueue_sync(linked.redis, str(linked.account_id), s, priority=Priority.HIGH) for s in SERVICES]
        queued = [job for job in jobs if job is not None]
        deadline = time.monotonic() + 180
        while not all(Job.fetch(j.id, connection=linked.redis).get_status() == "finished" for j in queued):
            assert all(w.poll() is None for w in workers), "a worker died"
            assert time.monotonic() < deadline, [Job.fetch(j.id, connection=linked.redis).get_status() for j in queued]
            await asyncio.sleep(0.5)
    finally:
        for worker in workers:
            stop_worker(worker)
    await assert_mirrors_google(linked, connect(ALEX))

    first = await asyncio.to_thread(
        ask_in_new_process, database_url, redis_url, base_url, "emails with Sarah about the Q4 review"
    )
    assert len(first["sources"]) >= 2
    second = await asyncio.to_thread(
        ask_in_new_process,
        database_url,
        redis_url,
        base_url,
        "open the second one",
        "--conversation",
        first["conversation_id"],
    )
    assert second["conversation_id"] == first["conversation_id"]
    assert [item["id"] for item in second["intent"]["items"]] == [first["sources"][1]["id"]]
    assert [source["id"] for source in second["sources"]] == [first["sources"][1]["id"]]

    async with linked.engine.connect() as connection:
        turns = dict(
            (
                await connection.execute(
                    select(Message.role, func.count())
                    .where(Message.conversation_id == first["conversation_id"])
                    .group_by(Message.role)
                )
            ).all()
        )
    assert turns == {"user": 2, "assistant": 2}
