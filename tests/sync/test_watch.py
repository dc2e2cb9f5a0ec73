"""Push channels against the sandbox, through google-api-python-client: opened once a
service's backfill is done, recorded, heard by our webhooks (served over real HTTP, which
the sandbox posts to as Google would), renewed before they lapse, stopped when unwanted."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from rq import Queue
from sqlalchemy import select, text

from assistant.core import runtime
from assistant.core.db import as_user, session_factory
from assistant.core.models import WatchChannel
from assistant.core.runtime import redis_client
from assistant.core.settings import Settings
from sandbox.server import RunningSandbox, free_port
from sync.jobs import sync_service
from sync.queues import sync_job_ids
from sync.watch import PASS_LOCK_KEY, WatchOutcome, gmail_push_endpoint, push_addresses, watch_pass
from sync.webhooks import channel_token, router
from tests.sandbox.conftest import OMAR
from tests.sync.conftest import LinkedAccount

TOPIC = "projects/concierge-tests/topics/watch"


@pytest.fixture
def hooks(app_env: None) -> Iterator[str]:
    """Our webhook routes served over HTTP on a free port (the runtime on this test's
    database and Redis, as in the app); its base URL plays the public URL."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if runtime.engine.cache_info().currsize:  # the Gmail route looked accounts up
            await runtime.engine().dispose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(router)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="webhooks", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the webhook server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def omar(
    link: Callable[[str], Awaitable[LinkedAccount]], hooks: str
) -> AsyncIterator[tuple[LinkedAccount, Settings]]:
    """Omar linked in a fresh database, and settings with our public URL and a Gmail topic.
    Afterwards whatever is still open at the (shared) sandbox is stopped."""
    linked = await link(OMAR)
    redis_client().flushdb()
    yield linked, push_settings(linked, hooks)
    await watch_pass(linked.engine, linked.redis, push_settings(linked, None))


def push_settings(linked: LinkedAccount, public_url: str | None, **more: Any) -> Settings:
    return linked.settings.model_copy(update={"public_url": public_url, "gmail_pubsub_topic": TOPIC, **more})


async def backfill(linked: LinkedAccount, *services: str) -> None:
    for service in services:
        outcome = await sync_service(linked.engine, linked.redis, linked.account_id, service, settings=linked.settings)
        assert outcome.status == "ok" and outcome.full


async def channels(linked: LinkedAccount) -> dict[str, WatchChannel]:
    async with session_factory(linked.engine)() as session:
        rows = await session.execute(select(WatchChannel).where(WatchChannel.account_id == linked.account_id))
        return {row.service: row for row in rows.scalars()}


def at_google(sandbox: RunningSandbox, channel_id: str | None) -> dict[str, Any] | None:
    return sandbox.sandbox.store.get("channel", "", channel_id or "")


def mailbox_watch(sandbox: RunningSandbox) -> dict[str, Any] | None:
    return sandbox.sandbox.store.get("gmail_watch", "", OMAR)


def sync_job(linked: LinkedAccount, service: str) -> str:
    return sync_job_ids(str(linked.account_id), service)[0]


async def high_queue_once_it_holds(*job_ids: str, timeout: float = 10) -> list[str]:
    """The high queue's jobs, once every one of `job_ids` is among them (notifications
    arrive in the background), or when `timeout` is up."""
    high = Queue("high", connection=redis_client())
    deadline = time.monotonic() + timeout
    while not set(job_ids) <= set(high.job_ids) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return high.job_ids


async def deliveries_done(sandbox: RunningSandbox, timeout: float = 10) -> None:
    """Wait until the sandbox has delivered every notification it has sent."""
    deadline = time.monotonic() + timeout
    while sandbox.sandbox.push.tasks and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not sandbox.sandbox.push.tasks


def change(control: httpx.Client, path: str, body: dict[str, Any]) -> None:
    answer = control.post(f"/accounts/{OMAR}/{path}", json=body)
    assert answer.status_code == 200, answer.text


def new_event(control: httpx.Client) -> None:
    change(
        control,
        "events",
        {
            "summary": f"Pushed {uuid.uuid4().hex[:6]}",
            "start": {"dateTime": "2026-03-12T09:00:00Z"},
            "end": {"dateTime": "2026-03-12T09:30:00Z"},
        },
    )


async def test_channels_open_after_each_backfill_and_changes_reach_the_webhooks(
    omar: tuple[LinkedAccount, Settings], hooks: str, control: httpx.Client, sandbox_server: RunningSandbox
) -> None:
    linked, settings = omar
    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome()  # nothing synced yet
    assert await channels(linked) == {}

    await backfill(linked, "gcal")
    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome(opened=1)
    await backfill(linked, "gdrive", "gmail")
    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome(opened=2)
    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome()  # nothing due: no calls

    opened = await channels(linked)
    assert set(opened) == {"gmail", "gcal", "gdrive"}
    for service, route in (("gcal", "calendar"), ("gdrive", "drive")):
        row = opened[service]
        google = at_google(sandbox_server, row.channel_id)
        assert google is not None, service
        assert row.address == google["address"] == f"{hooks}/webhooks/{route}"
        assert google["resourceId"] == row.resource_id
        assert google["token"] == channel_token(linked.account_id, service)
        assert timedelta(days=6, hours=23) < row.expires_at - datetime.now(UTC) <= timedelta(days=7)
    assert opened["gmail"].address == TOPIC and opened["gmail"].channel_id is None
    assert (mailbox_watch(sandbox_server) or {}).get("topic") == TOPIC
    await deliveries_done(sandbox_server)
    assert Queue("high", connection=redis_client()).job_ids == []  # the channels' `sync` handshakes queue nothing

    new_event(control)
    assert await high_queue_once_it_holds(sync_job(linked, "gcal")) == [sync_job(linked, "gcal")]
    change(control, "files", {"name": f"Pushed {uuid.uuid4().hex[:6]}", "type": "document", "body": "news"})
    assert await high_queue_once_it_holds(sync_job(linked, "gdrive")) == [
        sync_job(linked, "gcal"),
        sync_job(linked, "gdrive"),
    ]
    # Gmail's push comes through the Pub/Sub subscription set up at Google on the topic.
    endpoint = gmail_push_endpoint(settings)
    assert endpoint is not None
    assert control.post("/pubsub", json={"topic": TOPIC, "endpoint": endpoint}).status_code == 204
    change(control, "messages", {"from": "x@partner.test", "subject": "Pushed", "text": "."})
    assert await high_queue_once_it_holds(sync_job(linked, "gmail")) == [
        sync_job(linked, "gcal"),
        sync_job(linked, "gdrive"),
        sync_job(linked, "gmail"),
    ]

    # The public URL goes: every channel is stopped at Google and forgotten.
    assert await watch_pass(linked.engine, linked.redis, push_settings(linked, None)) == WatchOutcome(stopped=3)
    assert await channels(linked) == {}
    assert at_google(sandbox_server, opened["gcal"].channel_id) is None
    assert at_google(sandbox_server, opened["gdrive"].channel_id) is None
    assert mailbox_watch(sandbox_server) is None


async def test_a_channel_near_its_expiry_is_replaced_then_the_old_one_stopped(
    omar: tuple[LinkedAccount, Settings], hooks: str, control: httpx.Client, sandbox_server: RunningSandbox
) -> None:
    linked, settings = omar
    await backfill(linked, "gcal", "gmail")
    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome(opened=2)
    old = await channels(linked)

    # Six days and some on: the calendar channel has two hours left, Gmail's watch is a day old.
    async with linked.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE watch_channels SET expires_at = now() + interval '2 hours', "
                "opened_at = now() - interval '6 days' WHERE service = 'gcal'"
            )
        )
        await connection.execute(
            text("UPDATE watch_channels SET opened_at = now() - interval '25 hours' WHERE service = 'gmail'")
        )
    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome(renewed=2)
    new = await channels(linked)
    assert new["gcal"].channel_id != old["gcal"].channel_id
    assert at_google(sandbox_server, old["gcal"].channel_id) is None  # stopped
    assert at_google(sandbox_server, new["gcal"].channel_id) is not None
    assert new["gcal"].expires_at - datetime.now(UTC) > timedelta(days=6, hours=23)
    assert new["gmail"].opened_at > datetime.now(UTC) - timedelta(minutes=1)  # watched again, nothing to stop
    assert mailbox_watch(sandbox_server) is not None
    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome()

    new_event(control)  # heard through the new channel, the old one being stopped
    assert await high_queue_once_it_holds(sync_job(linked, "gcal")) == [sync_job(linked, "gcal")]
    assert (at_google(sandbox_server, new["gcal"].channel_id) or {}).get("messages") == 2  # `sync`, then the change

    # Another public URL: the channel moves there (the topic did not change: Gmail stays).
    moved = hooks.replace("127.0.0.1", "localhost")
    assert await watch_pass(linked.engine, linked.redis, push_settings(linked, moved)) == WatchOutcome(renewed=1)
    assert (await channels(linked))["gcal"].address == f"{moved}/webhooks/calendar"
    assert at_google(sandbox_server, new["gcal"].channel_id) is None


async def test_without_a_public_url_nothing_is_opened(
    omar: tuple[LinkedAccount, Settings], sandbox_server: RunningSandbox
) -> None:
    linked, _ = omar
    await backfill(linked, "gcal", "gmail")
    assert await watch_pass(linked.engine, linked.redis, push_settings(linked, None)) == WatchOutcome()
    assert await channels(linked) == {}
    assert mailbox_watch(sandbox_server) is None
    # Nor without a topic for Gmail, nor Calendar and Drive channels to http against Google itself.
    assert push_addresses(push_settings(linked, "https://c.example", gmail_pubsub_topic=None)) == {
        "gmail": None,
        "gcal": "https://c.example/webhooks/calendar",
        "gdrive": "https://c.example/webhooks/drive",
    }
    assert push_addresses(push_settings(linked, "http://c.example", google_api_base_url=None)) == {
        "gmail": TOPIC,
        "gcal": None,
        "gdrive": None,
    }


async def test_autosync_off_stops_the_channels(
    omar: tuple[LinkedAccount, Settings], sandbox_server: RunningSandbox
) -> None:
    linked, settings = omar
    await backfill(linked, "gcal")
    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome(opened=1)
    opened = await channels(linked)
    # Row-level security, as on every owned table: the request role sees only its user's channels.
    count = text("SELECT count(*) FROM watch_channels")
    async with as_user(linked.engine, linked.user_id).connect() as connection:
        assert (await connection.execute(count)).scalar_one() == 1
    async with as_user(linked.engine, uuid.uuid4()).connect() as connection:
        assert (await connection.execute(count)).scalar_one() == 0
    async with linked.engine.begin() as connection:
        await connection.execute(text("UPDATE google_accounts SET autosync_enabled = false"))
    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome(stopped=1)
    assert await channels(linked) == {}
    assert at_google(sandbox_server, opened["gcal"].channel_id) is None
    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome()


async def test_a_failed_open_is_logged_without_the_token_and_retried_on_the_next_pass(
    omar: tuple[LinkedAccount, Settings], control: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    linked, settings = omar
    settings = settings.model_copy(update={"google_retry_attempts": 1})
    await backfill(linked, "gcal", "gdrive")
    fault = {"method": "calendar.events.watch", "kind": "500", "count": 1}
    assert control.post("/faults", json=fault).status_code == 200
    with caplog.at_level(logging.INFO, logger="sync.watch"):
        assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome(opened=1, failed=1)
    assert set(await channels(linked)) == {"gdrive"}
    failures = [r for r in caplog.records if r.name == "sync.watch" and getattr(r, "service", None) == "gcal"]
    assert [(r.levelname, getattr(r, "error", None)) for r in failures] == [("WARNING", "HTTP 500 backendError")]
    token = channel_token(linked.account_id, "gcal")
    assert not any(token in str(vars(record)) for record in caplog.records)

    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome(opened=1)
    assert set(await channels(linked)) == {"gcal", "gdrive"}


async def test_passes_do_not_overlap(omar: tuple[LinkedAccount, Settings]) -> None:
    linked, settings = omar
    await backfill(linked, "gcal")
    running = linked.redis.lock(PASS_LOCK_KEY, timeout=60)
    assert running.acquire(blocking=False)
    try:
        assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome(busy=True)
        assert await channels(linked) == {}
    finally:
        running.release()
    assert await watch_pass(linked.engine, linked.redis, settings) == WatchOutcome(opened=1)
