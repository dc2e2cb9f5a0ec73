"""The intent cache in Redis: a repeated request costs no model call."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio

from assistant.core.settings import Settings
from assistant.understanding.cache import INTENT_CACHE_TTL_SECONDS, cache_key
from assistant.understanding.contacts import ContactBook
from assistant.understanding.context import ConversationContext, Turn
from assistant.understanding.schema import ItemRef
from assistant.understanding.service import Understander
from tests.llm.scripted_server import Reply, ScriptedServer
from tests.llm.support import DRAFT, settings_for

NOW = datetime(2026, 11, 29, 9, tzinfo=UTC)


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    connection = redis.asyncio.from_url(redis_url)
    yield connection
    await connection.aclose()


async def understand(understander: Understander, user: uuid.UUID, text: str, context: ConversationContext):
    return await understander.understand(user_id=user, text=text, context=context, now=NOW, contacts=ContactBook([]))


async def test_repeated_request_is_answered_from_the_cache(client: redis.asyncio.Redis, data_dir: Path) -> None:
    user = uuid.uuid4()
    with ScriptedServer([Reply(content=DRAFT.model_dump_json())]) as server:
        understander = Understander(settings_for("openai", server), client)
        first = await understand(understander, user, "Plan the planning meeting with Sarah", ConversationContext())
        again = await understand(understander, user, "plan the planning  meeting with sarah?", ConversationContext())
        assert len(server.requests) == 1
        assert first.provider == again.provider == "openai"
        assert again.new_time is not None

        other_user = await understand(
            understander, uuid.uuid4(), "plan the planning meeting with sarah", ConversationContext()
        )
        context = ConversationContext(
            turns=[Turn(role="assistant", text="", items=[ItemRef(service="gmail", id="m1", position=1)])]
        )
        with_context = await understand(understander, user, "plan the planning meeting with sarah", context)
        assert len(server.requests) == 3  # another user, another context: not the same entry
        assert other_user.provider == with_context.provider == "openai"

    key = cache_key(user, "plan the planning meeting with sarah", ConversationContext().digest())
    assert 0 < await client.ttl(key) <= INTENT_CACHE_TTL_SECONDS


async def test_fallback_answers_are_not_cached(client: redis.asyncio.Redis, data_dir: Path) -> None:
    user = uuid.uuid4()
    with ScriptedServer([Reply(status=500), Reply(content=DRAFT.model_dump_json())]) as server:
        understander = Understander(settings_for("openai", server, llm_max_attempts=1), client)
        degraded = await understand(understander, user, "emails from tom", ConversationContext())
        recovered = await understand(understander, user, "emails from tom", ConversationContext())
    assert (degraded.provider, recovered.provider) == ("local", "openai")
    assert len(server.requests) == 2


async def test_an_unreachable_redis_does_not_stop_understanding(data_dir: Path) -> None:
    dead = redis.asyncio.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    understander = Understander(Settings(), dead)
    intent = await understand(understander, uuid.uuid4(), "emails from tom", ConversationContext())
    assert (intent.frame.services[0], intent.provider) == ("gmail", "local")
    await dead.aclose()


def test_a_changed_reader_never_reuses_an_older_readers_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.understanding import cache

    user = uuid.uuid4()
    before = cache.cache_key(user, "reply to daniels email", "")
    assert cache.cache_key(user, "reply to daniels email", "") == before  # the same reader: the same key
    monkeypatch.setattr(cache, "reader_fingerprint", lambda: "another release")
    assert cache.cache_key(user, "reply to daniels email", "") != before
