"""Scale-out on PostgreSQL: search reads from a read replica when one is configured, and
the engine works behind a transaction-mode pooler (PgBouncer)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from assistant.core.db import create_engine
from assistant.core.models import User
from assistant.pipeline import Concierge, DoneEvent
from tests.conftest import reset_settings
from tests.sandbox.conftest import ALEX, NOW
from tests.support import connect as raw_connect
from tests.support import create_database, drop_database
from tests.sync.conftest import LinkedAccount
from tests.sync.test_sync import sync_all

QUESTION = "emails from Sarah about the Q4 review"


async def sources(database_url: str, redis_url: str, linked: LinkedAccount, read_url: str | None) -> list[str]:
    settings = linked.settings.model_copy(update={"database_read_url": read_url})
    concierge = Concierge.create(settings, database_url, redis_url)
    try:
        events = [e async for e in concierge.ask(linked.user_id, QUESTION, now=datetime.fromisoformat(NOW))]
    finally:
        await concierge.close()
    done = events[-1]
    assert isinstance(done, DoneEvent)
    return [source.id for source in done.sources]


async def test_search_reads_from_the_read_replica_when_one_is_configured(
    link, database_url: str, server_database_url: str, redis_url: str
) -> None:
    linked: LinkedAccount = await link(ALEX)
    await sync_all(linked)
    found = await sources(database_url, redis_url, linked, read_url=None)
    assert found

    # The "replica": a copy of the database, lagging behind the primary's insert of the
    # first email found (which the primary keeps).
    await linked.engine.dispose()
    replica_url = await create_database(server_database_url, "replica")
    replica = make_url(replica_url).database
    admin = await raw_connect(server_database_url, database="postgres")
    try:
        await admin.execute(f'DROP DATABASE "{replica}"')
        await admin.execute(f'CREATE DATABASE "{replica}" TEMPLATE "{linked.engine.url.database}"')
    finally:
        await admin.close()
    try:
        lagging = await raw_connect(replica_url)
        try:
            await lagging.execute("DELETE FROM gmail_cache WHERE message_id = $1", found[0])
        finally:
            await lagging.close()
        linked.redis.flushdb()  # no cached understanding or embeddings in between

        assert found[0] in await sources(database_url, redis_url, linked, read_url=None)
        assert found[0] not in await sources(database_url, redis_url, linked, read_url=replica_url)
    finally:
        await drop_database(replica_url)


async def prepared_statement_names(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            for email in ("a@example.com", "b@example.com"):
                await connection.execute(select(User.id).where(User.email == email))
            names = await connection.execute(text("SELECT name FROM pg_prepared_statements"))
            return [name for (name,) in names]
    finally:
        await engine.dispose()


@pytest.fixture
def behind_a_transaction_pooler(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONCIERGE_DATABASE_TRANSACTION_POOLER", "true")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


async def test_without_a_pooler_asyncpg_numbers_its_cached_statements(database_url: str) -> None:
    names = await prepared_statement_names(database_url)
    assert names and any(name.startswith("__asyncpg_stmt_") for name in names)


async def test_behind_a_transaction_pooler_statements_are_not_cached_and_named_uniquely(
    database_url: str, behind_a_transaction_pooler: None
) -> None:
    names = await prepared_statement_names(database_url)
    # Nothing numbered per connection (which two clients of one pooled server session
    # would both use), and the same query prepared again is a new name, not a cache hit.
    assert names and all(name.startswith("__concierge_") for name in names)
    assert len(names) == len(set(names))
    engine = create_engine(database_url)
    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw._stmt_cache.get_max_size() == 0  # asyncpg's own cache is off
    await engine.dispose()
