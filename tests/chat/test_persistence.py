"""Chainlit's data layer on our PostgreSQL: threads are conversations, element contents
are kept and served only to those who may read the thread."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from chainlit.context import init_http_context
from chainlit.user import User as ChainlitUser
from sqlalchemy import select, text

from assistant.chat.persistence import ChatDataLayer
from assistant.chat.sharing import may_read
from assistant.core.db import create_engine, session_factory
from assistant.core.models import Conversation, User


@pytest.fixture
async def layer(database_url: str) -> AsyncIterator[ChatDataLayer]:
    engine = create_engine(database_url)
    layer = ChatDataLayer(database_url, engine)
    yield layer
    await layer.engine.dispose()
    await engine.dispose()


async def make_conversation(layer: ChatDataLayer, email: str) -> tuple[str, str]:
    """A thread of `email`'s (Chainlit side) and the conversation with its id (ours)."""
    sessions = session_factory(layer.app_engine)
    async with sessions() as session:
        user = User(email=email)
        session.add(user)
        await session.flush()
        conversation = Conversation(user_id=user.id, title="first question")
        session.add(conversation)
        await session.commit()
    persisted = await layer.create_user(ChainlitUser(identifier=email))
    assert persisted is not None
    thread_id = str(conversation.id)
    await layer.update_thread(thread_id, user_id=persisted.id, name="first question")
    return thread_id, persisted.id


async def test_threads_live_in_the_chainlit_schema_and_rename_their_conversation(layer: ChatDataLayer) -> None:
    init_http_context()
    thread_id, user_id = await make_conversation(layer, "alex@northwind.test")
    threads = await layer.get_all_user_threads(user_id=user_id)
    assert [thread["id"] for thread in threads or []] == [thread_id]

    await layer.update_thread(thread_id, name="Budget with Sarah")
    async with session_factory(layer.app_engine)() as session:
        title = (
            await session.execute(select(Conversation.title).where(Conversation.id == uuid.UUID(thread_id)))
        ).scalar_one()
    assert title == "Budget with Sarah"


async def test_element_contents_round_trip_and_go_with_their_thread(layer: ChatDataLayer) -> None:
    init_http_context()
    thread_id, _ = await make_conversation(layer, "alex@northwind.test")
    storage = layer.storage_provider
    assert storage is not None
    stored = await storage.upload_file("u/e1/Sources", '{"sources": []}', mime="application/json")
    assert stored["url"] == "/chat-files/u/e1/Sources"
    async with layer.app_engine.connect() as connection:
        await connection.execute(
            text(
                'INSERT INTO chainlit.elements ("id", "threadId", "name", "objectKey", "url") '
                "VALUES (:id, :thread, 'Sources', 'u/e1/Sources', '/chat-files/u/e1/Sources')"
            ),
            {"id": uuid.uuid4(), "thread": uuid.UUID(thread_id)},
        )
        await connection.commit()

    await layer.delete_thread(thread_id)
    async with layer.app_engine.connect() as connection:
        blobs = (await connection.execute(text("SELECT count(*) FROM chainlit.element_blobs"))).scalar_one()
        conversations = (await connection.execute(text("SELECT count(*) FROM conversations"))).scalar_one()
    assert blobs == 0 and conversations == 0


def test_only_the_author_or_signed_in_people_of_a_shared_thread_may_read_it() -> None:
    private = {"userIdentifier": "alex@northwind.test", "metadata": {"user_id": "secret"}}
    shared = {"userIdentifier": "alex@northwind.test", "metadata": '{"is_shared": true}'}
    alex, sarah = ChainlitUser(identifier="alex@northwind.test"), ChainlitUser(identifier="sarah@northwind.test")
    assert may_read(private, alex) and not may_read(private, sarah)
    assert may_read(shared, sarah)
    assert not may_read(shared, None)  # anonymous: never
    assert not may_read({"userIdentifier": "alex@northwind.test", "metadata": "{not json"}, sarah)
