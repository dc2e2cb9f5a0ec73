"""Outages: with Valkey or PostgreSQL down, the app says so, and `/readyz` sees idle queues.

A dependency that is down is the caller's cue to come back shortly: every endpoint then
answers 503 with `Retry-After` in the documented error shape (docs/api.md), and logs one
warning line, not a traceback; never a 500 (a bug of ours) or a wrong answer (Chainlit's
404 "User not found" while its user query fails). `/readyz` is not ready while sync jobs
wait and no worker has sent a heartbeat lately.

One app (`chainlit run chat_app.py` and its worker, tests/app_process.py) runs on
embedded PostgreSQL and Valkey of this module's own, which the tests stop the way a crash
does and start again; the session's servers are never touched. Alex signs in through the
sandbox's consent screen, as in the browser.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import redis
from rq import Worker

from assistant.core import migrate
from assistant.core.embedded import EmbeddedServers
from sync.queues import Priority, enqueue_sync
from tests.api.conftest import browser_headers, mint_token, sign_in
from tests.app_process import running_app
from tests.conftest import server_dir
from tests.sandbox.conftest import ALEX, base_url, sandbox_server  # noqa: F401  (fixtures)
from tests.support import create_database

#: The worker's heartbeat period when idle (measured: 3.01 s apart); the app counts a
#: worker dead once its last heartbeat is two periods old.
LIVENESS_SECONDS = 3
#: Chainlit's thread list, as its sidebar asks for it.
THREADS_PAGE = {"pagination": {"first": 20, "cursor": None}, "filter": {}}


@dataclass
class OutageApp:
    url: str
    servers: EmbeddedServers
    settings: dict[str, str]
    #: Alex's browser: Chainlit's session cookie (and the CSRF cookie that goes with it).
    browser: httpx.Client
    token: str
    log: Path

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def redis_client(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings["CONCIERGE_REDIS_URL"])


@pytest.fixture(scope="module")
def outage_app(data_dir: Path, base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OutageApp]:  # noqa: F811
    directory = server_dir("outages")
    servers = EmbeddedServers(directory)
    try:
        endpoints = servers.acquire()
        database_url = asyncio.run(create_database(endpoints.database_url or "", "outages"))
        migrate.upgrade(database_url)
        settings = {
            "CONCIERGE_DATABASE_URL": database_url,
            "CONCIERGE_REDIS_URL": endpoints.redis_url or "",
            "CONCIERGE_DATA_DIR": str(data_dir),
            "CONCIERGE_GOOGLE_API_BASE_URL": base_url,
            "CONCIERGE_WORKER_LIVENESS_SECONDS": str(LIVENESS_SECONDS),
            "CONCIERGE_LOG_FORMAT": "json",  # one record a line: the log is read below
        }
        logs = tmp_path_factory.mktemp("outages")
        with running_app(settings, logs, name="outages") as url:
            browser = sign_in(url, ALEX)
            try:
                yield OutageApp(url, servers, settings, browser, mint_token(browser), logs / "outages.log")
            finally:
                browser.close()
    finally:
        servers.stop()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def crashed(servers: EmbeddedServers, server: str) -> Iterator[None]:
    """The server killed the way a crash ends it (Valkey: SIGKILL; PostgreSQL: immediate
    shutdown, every session cut), then started again on the same data."""
    if server == "valkey":
        # Valkey fsyncs its append-only file once a second: a write of ours, fsynced
        # (WAITAOF), puts every earlier write of the app's (sign-in sessions) on disk too.
        with redis.Redis.from_url(servers.acquire().redis_url or "") as client:
            client.set("outages:marker", 1)
            assert client.execute_command("WAITAOF", 1, 0, 5000) == [1, 0]
    running = servers.valkey_pid if server == "valkey" else servers.postgres_pid
    pid = running()
    assert pid is not None, f"{server} is not running"
    os.kill(pid, signal.SIGKILL if server == "valkey" else signal.SIGQUIT)
    while running() is not None:
        time.sleep(0.02)
    try:
        yield
    finally:
        servers.acquire()


def assert_unavailable(response: httpx.Response) -> dict[str, Any]:
    """503, `Retry-After` in whole seconds, and the documented error shape."""
    assert response.status_code == 503, (response.status_code, response.text)
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["error"]["code"] == "unavailable", body
    assert body["error"]["message"] and body["error"]["details"] == []
    return body


def eventually(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} (waited {seconds} s)")
        time.sleep(0.2)


def api_log_records(log: Path, since: int) -> list[dict[str, Any]]:
    """The API's own log records (JSON lines) written after byte `since` of the app's log."""
    with log.open("rb") as handle:
        handle.seek(since)
        lines = handle.read().decode(errors="replace").splitlines()
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # Chainlit's own lines are not JSON
        if isinstance(record, dict) and str(record.get("logger", "")).startswith("assistant.api"):
            records.append(record)
    return records


def assert_logged_as_warnings(log: Path, since: int) -> None:
    """Each failed request was one warning line, without a traceback."""
    records = api_log_records(log, since)
    assert records, "the failed requests were not logged"
    for record in records:
        assert record["level"] == "warning" and "exception" not in record, record


def test_with_valkey_down_the_api_and_metrics_answer_503_with_retry_after(outage_app: OutageApp) -> None:
    """A bearer-token call, `/metrics` and `/query` answered 500 `internal_error`."""
    conversations = f"{outage_app.url}/conversations"
    assert httpx.get(conversations, headers=outage_app.bearer, timeout=30).status_code == 200
    since = outage_app.log.stat().st_size
    with crashed(outage_app.servers, "valkey"):
        assert_unavailable(httpx.get(conversations, headers=outage_app.bearer, timeout=30))
        assert_unavailable(httpx.get(f"{outage_app.url}/metrics", timeout=30))
        # Server-sent events: refused before the stream starts, like any other request.
        asked = httpx.post(
            f"{outage_app.url}/query", json={"text": "emails from Sarah"}, headers=outage_app.bearer, timeout=30
        )
        assert_unavailable(asked)
        ready = httpx.get(f"{outage_app.url}/readyz", timeout=30)
        assert ready.status_code == 503 and not ready.json()["redis"]["ok"]
        assert ready.json()["workers"] is None and ready.json()["queues"] == {}
    assert_logged_as_warnings(outage_app.log, since)
    eventually(
        lambda: httpx.get(conversations, headers=outage_app.bearer, timeout=30).status_code == 200,
        15,
        "the API did not recover after Valkey came back",
    )


def test_with_postgres_down_the_api_and_chainlit_s_routes_answer_503(outage_app: OutageApp) -> None:
    """Chainlit's thread list answered 404 "User not found"; the API 500."""
    browser, conversations = outage_app.browser, f"{outage_app.url}/conversations"
    assert browser.post("/project/threads", json=THREADS_PAGE, headers=browser_headers(browser)).status_code == 200
    since = outage_app.log.stat().st_size
    with crashed(outage_app.servers, "postgres"):
        # Chainlit's data layer swallows the failed query: it answered 404 "User not found".
        threads = assert_unavailable(
            browser.post("/project/threads", json=THREADS_PAGE, headers=browser_headers(browser))
        )
        assert threads["detail"] == threads["error"]["message"]  # what Chainlit's frontend shows
        assert_unavailable(httpx.get(conversations, headers=outage_app.bearer, timeout=30))
        assert_unavailable(httpx.get(f"{outage_app.url}/metrics", timeout=30))
        ready = httpx.get(f"{outage_app.url}/readyz", timeout=30)
        assert ready.status_code == 503 and not ready.json()["database"]["ok"]
    assert_logged_as_warnings(outage_app.log, since)
    eventually(
        lambda: (
            browser.post("/project/threads", json=THREADS_PAGE, headers=browser_headers(browser)).status_code == 200
            and httpx.get(conversations, headers=outage_app.bearer, timeout=30).status_code == 200
        ),
        15,
        "the app did not recover after PostgreSQL came back",
    )


def kill_workers(client: redis.Redis) -> None:
    """SIGKILL the app's worker (with its work horse and scheduler), as a lost machine
    would end it: it stops sending heartbeats but stays registered."""
    for worker in Worker.all(connection=client):
        assert worker.pid is not None and psutil.pid_exists(worker.pid)
        process = psutil.Process(worker.pid)
        assert process.ppid() == os.getpid(), "only the worker running_app started here"
        for each in [*process.children(recursive=True), process]:
            each.kill()
        process.wait(timeout=10)


def start_worker(settings: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "worker"],
            env=os.environ | settings,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def readiness(outage_app: OutageApp) -> httpx.Response:
    return httpx.get(f"{outage_app.url}/readyz", timeout=30)


def test_readyz_is_not_ready_while_jobs_wait_and_no_worker_is_alive(outage_app: OutageApp) -> None:
    """`/readyz` said ready with the only worker dead and jobs waiting."""
    with outage_app.redis_client() as client:
        kill_workers(client)
        for _ in range(3):
            assert enqueue_sync(client, str(uuid.uuid4()), "gmail", priority=Priority.LOW) is not None

    # The killed worker's registration outlives it; its heartbeat goes stale.
    eventually(lambda: readiness(outage_app).status_code == 503, 2 * LIVENESS_SECONDS + 10, "ready with no live worker")
    waiting = readiness(outage_app)
    assert waiting.status_code == 503
    body = waiting.json()
    assert body["status"] == "not_ready" and body["database"]["ok"] and body["redis"]["ok"]
    assert body["workers"]["alive"] == 0
    stale = body["workers"]["freshest_heartbeat_seconds"]
    assert stale is None or stale > 2 * LIVENESS_SECONDS
    low = body["queues"]["low"]
    assert low["depth"] == 3 and low["workers"] == 0
    assert low["oldest_seconds"] is not None and low["oldest_seconds"] > 0
    assert set(body["queues"]) == {"high", "default", "low"}
    assert any("low" in problem for problem in body["problems"]), body["problems"]

    worker = start_worker(outage_app.settings, outage_app.log.with_name("outages-worker-2.log"))
    try:
        eventually(lambda: readiness(outage_app).status_code == 200, 60, "not ready with a live worker")
        body = readiness(outage_app).json()
        assert body["status"] == "ready" and body["problems"] == []
        assert body["workers"]["alive"] == 1
        assert 0 <= body["workers"]["freshest_heartbeat_seconds"] <= 2 * LIVENESS_SECONDS
        assert body["queues"]["low"]["workers"] == 1
    finally:
        worker.terminate()
        worker.wait(timeout=30)
