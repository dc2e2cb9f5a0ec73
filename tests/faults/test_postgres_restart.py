"""PostgreSQL restarted under the app and under a running sync.

The drill's own embedded PostgreSQL is killed the way a crash or a failover ends it
(immediate shutdown: every session cut, recovery on the next start) and started again on
the same data. Pooled engines never hand out a connection the driver knows is closed,
and a request's first transaction runs again when it finds a dead one the driver has not
noticed yet (assistant.core.db), so the process that lived through the restart carries on; a
sync cut mid-way fails, and its retry resumes from the checkpoint it saved.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import datetime

import httpx
import pytest
import redis.asyncio
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from assistant.core.db import short_lived_engine
from assistant.core.embedded import EmbeddedServers
from assistant.core.models import Message
from assistant.pipeline import Concierge, DoneEvent
from sync.jobs import sync_service
from tests.faults.support import assert_mirrors_google
from tests.sandbox.conftest import ALEX, NOW
from tests.sync.conftest import LinkedAccount
from tests.sync.test_sync import (
    cache_state,
    control_call,
    full_gmail_sync_at_its_first_checkpoint,
    sandbox_state,
    sync_all,
    sync_status,
    top_up_mailbox,
)


def crash_postgres(servers: EmbeddedServers) -> None:
    """Immediate shutdown (SIGQUIT): sessions are cut, nothing is checkpointed."""
    pid = servers.postgres_pid()
    assert pid is not None
    os.kill(pid, signal.SIGQUIT)
    while servers.postgres_pid() is not None:
        time.sleep(0.05)


async def test_a_sync_cut_by_a_postgres_restart_resumes_from_its_checkpoint(
    link_on_own_servers, own_servers: EmbeddedServers, connect, control: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.gmail

    monkeypatch.setattr(sync.gmail, "PAGE_SIZE", 1)  # a page, and a checkpoint, per message
    linked: LinkedAccount = await link_on_own_servers(ALEX)
    total = top_up_mailbox(control, connect)
    control_call(
        control,
        "POST",
        "/faults",
        {"method": "gmail.users.messages.get", "kind": "latency", "latency_seconds": 0.3, "count": 100},
    )
    try:
        running, row = await full_gmail_sync_at_its_first_checkpoint(linked)
        crash_postgres(own_servers)
        # Down for longer than a page takes: the sync's next write finds no server.
        await asyncio.sleep(1.0)
        own_servers.acquire()
        with pytest.raises((DBAPIError, OSError)):
            await asyncio.wait_for(running, timeout=60)
    finally:
        control_call(control, "DELETE", "/faults")
    saved = row.checkpoint["done"]
    assert 0 < saved < total

    # RQ's retry: the same process, the same pooled engine as before the restart.
    outcome = await sync_service(linked.engine, linked.redis, linked.account_id, "gmail", settings=linked.settings)
    assert outcome.status == "ok" and outcome.full
    resumed = (await sync_status(linked))["gmail"]
    assert resumed.items_synced <= total - saved + 1  # at most one page read again
    await assert_mirrors_google(linked, connect(ALEX), only="gmail")


class Asker:
    """The app's pipeline on the drill's servers, asking one question as Alex."""

    def __init__(self, linked: LinkedAccount, servers: EmbeddedServers) -> None:
        self.linked = linked
        self.concierge = Concierge(
            linked.settings,
            linked.engine,
            linked.redis,
            redis.asyncio.Redis.from_url(servers.acquire().redis_url or ""),
        )

    async def ask(self, conversation=None) -> DoneEvent:
        question, now = "emails from Sarah about the Q4 review", datetime.fromisoformat(NOW)
        events = [
            e async for e in self.concierge.ask(self.linked.user_id, question, conversation_id=conversation, now=now)
        ]
        assert isinstance(events[-1], DoneEvent)
        return events[-1]

    async def assert_answered_the_same_once_more(self, before: DoneEvent, after: DoneEvent) -> None:
        assert [s.id for s in after.sources] == [s.id for s in before.sources]
        assert not after.failures
        async with self.linked.engine.connect() as connection:
            turns = (
                await connection.execute(
                    select(Message.role, func.count())
                    .where(Message.conversation_id == before.conversation_id)
                    .group_by(Message.role)
                )
            ).all()
        assert dict(turns) == {"user": 2, "assistant": 2}  # both exchanges kept, none twice


async def test_the_app_answers_across_a_postgres_restart_mid_query(
    link_on_own_servers, own_servers: EmbeddedServers, connect
) -> None:
    linked: LinkedAccount = await link_on_own_servers(ALEX)
    await sync_all(linked)
    asker = Asker(linked, own_servers)
    before = await asker.ask()
    assert before.sources and not before.failures

    # A query in flight on the app's pool when the server dies fails at once (no hang)...
    async def slow_query() -> None:
        async with linked.engine.connect() as connection:
            await connection.execute(text("SELECT pg_sleep(30)"))

    in_flight = asyncio.create_task(slow_query())
    await asyncio.sleep(0.5)
    crash_postgres(own_servers)
    with pytest.raises(DBAPIError):
        await asyncio.wait_for(in_flight, timeout=10)
    own_servers.acquire()

    # ...and the same process, with the same pool, answers the next message in the same
    # conversation as before: the stale connections are replaced, not handed out.
    await asker.assert_answered_the_same_once_more(before, await asker.ask(before.conversation_id))
    assert await cache_state(linked) == sandbox_state(connect(ALEX))


@pytest.mark.parametrize("noticed", [True, False], ids=["driver-noticed", "not-noticed-yet"])
async def test_pooled_connections_the_server_ended_cost_the_next_message_nothing(
    link_on_own_servers, own_servers: EmbeddedServers, noticed: bool
) -> None:
    """Every pooled connection's server process ends (as in a restart or a failover). When
    the driver has read the news, the pool replaces the connections at checkout; when it
    has not (the event loop was busy), the turn's first transaction fails on one and runs
    again on a new connection. Either way the message is answered once."""
    linked: LinkedAccount = await link_on_own_servers(ALEX)
    await sync_all(linked)
    asker = Asker(linked, own_servers)
    before = await asker.ask()
    assert linked.engine.sync_engine.pool.checkedin() > 0
    async with (
        short_lived_engine(linked.engine.url.render_as_string(hide_password=False)) as admin,
        admin.connect() as connection,
    ):
        pooled = (
            (
                await connection.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert pooled
    for pid in pooled:
        os.kill(pid, signal.SIGTERM)  # what pg_terminate_backend does
    while any(os.path.exists(f"/proc/{pid}") for pid in pooled):
        time.sleep(0.05)  # blocking: the event loop does not run, so the driver reads nothing
    if noticed:
        await asyncio.sleep(0.2)

    await asker.assert_answered_the_same_once_more(before, await asker.ask(before.conversation_id))
