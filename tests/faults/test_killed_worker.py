"""A worker killed mid-job (SIGKILL): another worker re-runs the job, the end state is right.

The workers run with a short liveness (`CONCIERGE_WORKER_LIVENESS_SECONDS`), the time a
silent worker keeps its job and the account's sync lock: the same recovery path as in
production (RQ's maintenance finds the abandoned job, retries it, the retry resumes from
the checkpoint), only sooner.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import psutil
from rq.job import Job
from sqlalchemy import text

from sync.queues import Priority, enqueue_sync
from tests.faults.support import assert_mirrors_google
from tests.sandbox.conftest import ALEX, CLIENT_ID, CLIENT_SECRET
from tests.sync.conftest import LinkedAccount
from tests.sync.test_sync import control_call

LIVENESS_SECONDS = 3


def start_worker(database_url: str, redis_url: str, base_url: str, name: str, *extra: str) -> subprocess.Popen[bytes]:
    """`concierge worker` in a process of its own, as deployed."""
    env = os.environ | {
        "CONCIERGE_DATABASE_URL": database_url,
        "CONCIERGE_REDIS_URL": redis_url,
        "CONCIERGE_GOOGLE_API_BASE_URL": base_url,
        "CONCIERGE_GOOGLE_CLIENT_ID": CLIENT_ID,
        "CONCIERGE_GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "CONCIERGE_WORKER_LIVENESS_SECONDS": str(LIVENESS_SECONDS),
        "CONCIERGE_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "assistant.cli", "worker", "--name", name, *extra], env=env)


def stop_worker(worker: subprocess.Popen[bytes] | None) -> None:
    if worker is not None and worker.poll() is None:
        worker.terminate()
        worker.wait(timeout=30)


async def sync_row(linked: LinkedAccount):
    async with linked.engine.connect() as connection:
        return (await connection.execute(text("SELECT status, items_synced FROM sync_status"))).one_or_none()


async def test_a_killed_worker_s_job_is_rerun_by_another(
    link, connect, control: httpx.Client, database_url: str, redis_url: str, base_url: str
) -> None:
    linked: LinkedAccount = await link(ALEX)
    linked.redis.flushdb()
    # Slow message fetches down so that the kill lands mid-sync.
    control_call(
        control,
        "POST",
        "/faults",
        {"method": "gmail.users.messages.get", "kind": "latency", "latency_seconds": 1.5, "count": 4},
    )
    first = start_worker(database_url, redis_url, base_url, "drill-first")
    second = None
    try:
        job = enqueue_sync(linked.redis, str(linked.account_id), "gmail", priority=Priority.HIGH)
        assert job is not None
        deadline = time.monotonic() + 60
        while (row := await sync_row(linked)) is None or row.status != "running":
            assert time.monotonic() < deadline, "the first worker never started the sync"
            await asyncio.sleep(0.2)
        # The worker and its work horse (RQ runs each job in a forked child of its own
        # session), killed the way an OOM killer or a lost machine would.
        for process in [*psutil.Process(first.pid).children(recursive=True), psutil.Process(first.pid)]:
            process.kill()
        first.wait()
        killed_at = time.monotonic()
        assert Job.fetch(job.id, connection=linked.redis).get_status() == "started"  # abandoned, not finished

        second = start_worker(database_url, redis_url, base_url, "drill-second")
        deadline = time.monotonic() + 120
        while (row := await sync_row(linked)) is None or row.status != "ok":
            assert time.monotonic() < deadline, f"the job was not re-run: {row}"
            await asyncio.sleep(0.5)
        # Found within the liveness, retried after RQ's first retry interval (10 s).
        print(f"re-run finished {time.monotonic() - killed_at:.1f} s after the kill")
        await assert_mirrors_google(linked, connect(ALEX), only="gmail")
        assert Job.fetch(job.id, connection=linked.redis).get_status() == "finished"
    finally:
        control_call(control, "DELETE", "/faults")
        stop_worker(first)
        stop_worker(second)
