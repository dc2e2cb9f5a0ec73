"""End-to-end fixtures: the demo workspace served by a sandbox, synced into a database.

The workspace is the demo's own hand-written core with fewer generated distractors (the
full six months take minutes to embed), at the demo's fixed "today". Alex Rivera is
linked and fully synced once per session; Sarah Chen is linked too, so that what Alex
sends or shares can be checked from her side.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
import redis.asyncio
from googleapiclient.discovery import Resource
from sqlalchemy import update

from assistant.core import migrate
from assistant.core.db import create_engine, session_factory
from assistant.core.models import User
from assistant.core.settings import get_settings
from assistant.google.client import build_service, make_credentials
from assistant.pipeline import Concierge, DoneEvent, PipelineEvent
from sandbox.api import Sandbox
from sandbox.linking import link_sandbox_account
from sandbox.oauth import ALL_SCOPES, issue_access_token
from sandbox.server import DEMO_WORKSPACE, RunningSandbox, open_store, start_in_thread
from sync.jobs import sync_every_service
from tests.support import create_database, drop_database

ALEX = "alex.rivera@northwindlabs.com"
SARAH = "sarah.chen@northwindlabs.com"
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 18, 9, 30, tzinfo=LONDON)  # the demo workspace's own today
DISTRACTORS = {"emails": 150, "events": 40, "files": 20, "colleague_emails": 20}


@pytest.fixture(scope="session")
def demo_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    workspace = json.loads(DEMO_WORKSPACE.read_text())
    workspace["include"] = [str(DEMO_WORKSPACE.parent / name) for name in workspace["include"]]
    workspace["generate"] |= DISTRACTORS
    path = tmp_path_factory.mktemp("workspace") / "workspace.json"
    path.write_text(json.dumps(workspace))
    store = open_store(tmp_path_factory.mktemp("sandbox"), path, now=NOW)
    running = start_in_thread(Sandbox(store, control_enabled=True))
    yield running
    running.stop()
    store.close()


def google(sandbox: RunningSandbox, email: str, api: str) -> Resource:
    """A client of `email`'s account, as another Google user would have."""
    store = sandbox.sandbox.store
    credentials = make_credentials(
        access_token=issue_access_token(store, email, "tests", ALL_SCOPES, 3600),
        refresh_token=None,
        client_id="tests",
        client_secret="tests",
        base_url=sandbox.base_url,
    )
    return build_service(api, credentials, sandbox.base_url)


@dataclass
class World:
    concierge: Concierge
    sandbox: RunningSandbox
    alex: uuid.UUID
    sarah: uuid.UUID
    database_url: str
    redis_url: str

    async def ask(self, text: str, conversation_id: uuid.UUID | None = None) -> tuple[list[PipelineEvent], DoneEvent]:
        events = [
            event async for event in self.concierge.ask(self.alex, text, conversation_id=conversation_id, now=NOW)
        ]
        done = events[-1]
        assert isinstance(done, DoneEvent)
        return events, done

    def control(self) -> httpx.Client:
        return httpx.Client(base_url=self.sandbox.base_url + "/_control")


@pytest.fixture(scope="session")
async def world(server_database_url: str, redis_url: str, demo_sandbox: RunningSandbox) -> AsyncIterator[World]:
    database_url = await create_database(server_database_url, "e2e")
    await asyncio.to_thread(migrate.upgrade, database_url)
    settings = get_settings().model_copy(
        # Two tries per Google call keep the injected-failure tests within a step's timeout.
        update={"google_api_base_url": demo_sandbox.base_url, "timezone": "Europe/London", "google_retry_attempts": 2}
    )
    engine = create_engine(database_url)
    client = redis.Redis.from_url(redis_url)
    store = demo_sandbox.sandbox.store
    ids: dict[str, uuid.UUID] = {}
    for email in (ALEX, SARAH):
        async with session_factory(engine)() as session:
            user, account = await link_sandbox_account(
                session, store, user_email=email, account_email=email, client_id=settings.google_client_id
            )
            await session.execute(update(User).where(User.id == user.id).values(timezone="Europe/London"))
            await session.commit()
            ids[email] = user.id
            account_id = account.id
        if email == ALEX:
            await sync_every_service(engine, client, account_id, settings=settings)
    concierge = Concierge(settings, engine, client, redis.asyncio.Redis.from_url(redis_url))
    yield World(concierge, demo_sandbox, ids[ALEX], ids[SARAH], database_url, redis_url)
    await engine.dispose()
    client.close()
    await drop_database(database_url)


def busy(world: World, email: str, start: datetime, end: datetime) -> bool:
    """Whether `email`'s own calendar has anything between `start` and `end` (Calendar's freebusy)."""
    calendar = google(world.sandbox, email, "calendar")
    body = {"timeMin": start.isoformat(), "timeMax": end.isoformat(), "items": [{"id": "primary"}]}
    return bool(calendar.freebusy().query(body=body).execute()["calendars"]["primary"]["busy"])
