"""Running the task suite through the real product against a private sandbox.

    async with task_world(settings, workspace) as world:    # sandbox, link, one full sync
        outcome = await run_request(world, task, text)      # one phrasing, writes confirmed
        verdict = judge(task, outcome, world.workspace, world.zone)

Each request runs in a fresh conversation (after the task's earlier turns), at the task's
fixed "now", with whatever language model is configured. What it proposes is confirmed,
as a user who says yes to everything would. The sandbox's control API then says what
changed since the snapshot taken once at the start; if anything did, the sandbox is
restored to that snapshot and the caches follow by an incremental sync, so every request
starts from the same workspace.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import redis
import redis.asyncio
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from assistant.core.db import session_factory
from assistant.core.models import User
from assistant.core.settings import Settings
from assistant.google.client import build_service, make_credentials
from assistant.pipeline import ClarificationEvent, Concierge, DoneEvent
from assistant.tools.tasks.judge import ItemChange, Outcome, Source
from assistant.tools.tasks.suite import SUITE_NOW, SUITE_ZONE, Task
from sandbox.api import Sandbox
from sandbox.linking import link_sandbox_account
from sandbox.oauth import ALL_SCOPES, issue_access_token
from sandbox.server import DEMO_WORKSPACE, RunningSandbox, open_store, start_in_thread
from sandbox.store import Store
from sync.jobs import sync_every_service

#: No request may take longer than this, the turns before it included.
REQUEST_SECONDS = 120.0


@dataclass
class SandboxWorkspace:
    """The judge's view of the workspace before a task: the sandbox after its restore."""

    store: Store
    base_url: str
    _calendars: dict[str, Any] = field(default_factory=dict)

    def messages(self, owner: str) -> list[dict[str, Any]]:
        return self.store.all("message", owner)

    def busy(self, email: str, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether `email`'s calendar has anything at that time, by Calendar's own freebusy."""
        calendar = self._calendar(email)
        body = {"timeMin": start.isoformat(), "timeMax": end.isoformat(), "items": [{"id": email}]}
        answer = calendar.freebusy().query(body=body).execute()
        return bool(answer["calendars"].get(email, {}).get("busy"))

    def _calendar(self, email: str) -> Any:
        if email not in self._calendars:
            token = issue_access_token(self.store, email, "eval-tasks", ALL_SCOPES, 3600)
            credentials = make_credentials(
                access_token=token,
                refresh_token=None,
                client_id="eval-tasks",
                client_secret="eval-tasks",
                base_url=self.base_url,
            )
            self._calendars[email] = build_service("calendar", credentials, self.base_url)
        return self._calendars[email]


@dataclass
class TaskWorld:
    concierge: Concierge
    sandbox: RunningSandbox
    engine: AsyncEngine
    redis: redis.Redis
    settings: Settings
    #: Our user id and linked account id, per signed-in email.
    users: dict[str, tuple[uuid.UUID, uuid.UUID]]
    snapshot: str
    workspace: SandboxWorkspace
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(SUITE_ZONE))

    def control(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.sandbox.base_url + "/_control", timeout=60)


def demo_workspace(state_dir: Path, distractors: dict[str, int] | None = None) -> Path:
    """The demo workspace's definition, with fewer generated distractors if asked (tests)."""
    if distractors is None:
        return DEMO_WORKSPACE
    spec = json.loads(DEMO_WORKSPACE.read_text())
    spec["include"] = [str(DEMO_WORKSPACE.parent / name) for name in spec["include"]]
    spec["generate"] |= distractors
    path = state_dir / "workspace.json"
    path.write_text(json.dumps(spec))
    return path


@asynccontextmanager
async def task_world(
    settings: Settings,
    engine: AsyncEngine,
    redis_url: str,
    state_dir: Path,
    *,
    workspace: Path,
    users: list[str],
    user_for: Callable[[str], str],
) -> AsyncIterator[TaskWorld]:
    """A fresh sandbox of `workspace` at the suite's now; each account in `users` linked to
    the Concierge user `user_for(its local part)` and fully synced."""
    store = await asyncio.to_thread(open_store, state_dir / "sandbox", workspace, SUITE_NOW, True)
    running = start_in_thread(Sandbox(store, control_enabled=True))
    client = redis.Redis.from_url(redis_url)
    try:
        world_settings = settings.model_copy(update={"google_api_base_url": running.base_url, "timezone": SUITE_ZONE})
        linked: dict[str, tuple[uuid.UUID, uuid.UUID]] = {}
        for email in users:
            async with session_factory(engine)() as session:
                user, account = await link_sandbox_account(
                    session,
                    store,
                    user_email=user_for(email.split("@")[0]),
                    account_email=email,
                    client_id=world_settings.google_client_id,
                )
                await session.execute(update(User).where(User.id == user.id).values(timezone=SUITE_ZONE))
                await session.commit()
            await sync_every_service(engine, client, account.id, full=True, settings=world_settings)
            linked[email] = (user.id, account.id)
        concierge = Concierge(world_settings, engine, client, redis.asyncio.Redis.from_url(redis_url))
        async with httpx.AsyncClient(base_url=running.base_url + "/_control", timeout=60) as control:
            answer = await control.post("/snapshots")
            answer.raise_for_status()
            snapshot = answer.json()["id"]
        yield TaskWorld(
            concierge,
            running,
            engine,
            client,
            world_settings,
            linked,
            snapshot,
            SandboxWorkspace(store, running.base_url),
        )
    finally:
        client.close()
        running.stop()
        store.close()


async def run_request(world: TaskWorld, task: Task, text: str) -> Outcome:
    """Ask `text` (after the task's turns) in a new conversation, confirm what it proposes,
    and collect what happened; the sandbox is restored afterwards if anything changed."""
    user_id, account_id = world.users[task.user]
    started = time.perf_counter()
    done: DoneEvent | None = None
    question: str | None = None
    error: str | None = None
    try:
        async with asyncio.timeout(REQUEST_SECONDS):
            conversation: uuid.UUID | None = None
            for turn in task.turns:
                turn_done, _ = await _ask(world.concierge, user_id, turn, conversation, task.now)
                conversation = turn_done.conversation_id
            done, question = await _ask(world.concierge, user_id, text, conversation, task.now)
            if done.actions:
                desk = await world.concierge.actions(user_id)
                for action in done.actions:
                    await desk.confirm(user_id, action.id)
    except Exception as failure:  # the boundary: any failure of the product is this task's outcome
        error = f"{type(failure).__name__}: {failure}"
    milliseconds = (time.perf_counter() - started) * 1000
    changes = await _changes_and_restore(world, account_id)
    return Outcome(
        answer=done.answer if done else "",
        sources=[_source(item) for item in (done.sources if done else [])],
        question=question,
        changes=changes,
        error=error,
        milliseconds=milliseconds,
    )


async def _ask(
    concierge: Concierge, user_id: uuid.UUID, text: str, conversation: uuid.UUID | None, now: dt.datetime
) -> tuple[DoneEvent, str | None]:
    done: DoneEvent | None = None
    question: str | None = None
    async for event in concierge.ask(user_id, text, conversation_id=conversation, now=now):
        if isinstance(event, ClarificationEvent):
            question = " ".join([event.clarification.question, *event.clarification.options])
        elif isinstance(event, DoneEvent):
            done = event
    assert done is not None, "the pipeline always ends with a done event"
    return done, question


async def _changes_and_restore(world: TaskWorld, account_id: uuid.UUID) -> list[ItemChange]:
    async with world.control() as control:
        answer = await control.get(f"/snapshots/{world.snapshot}/changes")
        answer.raise_for_status()
        changes = [ItemChange(**change) for change in answer.json()["changes"]]
        if changes:
            (await control.post(f"/snapshots/{world.snapshot}/restore")).raise_for_status()
    if changes:
        for _, linked_account in world.users.values():
            await sync_every_service(world.engine, world.redis, linked_account, settings=world.settings)
    return changes


def _source(item: Any) -> Source:
    details = item.details
    people = " ".join(
        str(part)
        for part in (details.get("from", ""), details.get("organizer", ""), " ".join(details.get("owners", [])))
        if part
    )
    return Source(service=item.service, id=item.id, title=item.title, when=item.when, people=people)
