"""Row-level security (migration 0006): a transaction acting for B never sees A's rows,
even when its query has no `WHERE user_id` at all."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from sqlalchemy import text

from assistant.core.db import as_user, create_engine
from assistant.core.settings import get_settings
from tests.support import connect

OWNED = ("conversations", "messages", "gmail_cache", "google_accounts", "users")


async def _user_with_rows(conn: asyncpg.Connection, email: str) -> uuid.UUID:
    user_id = await conn.fetchval("INSERT INTO users (email) VALUES ($1) RETURNING id", email)
    account_id = await conn.fetchval(
        "INSERT INTO google_accounts (user_id, email) VALUES ($1, $2) RETURNING id", user_id, email
    )
    message_id = await conn.fetchval(
        "INSERT INTO gmail_cache (user_id, account_id, message_id, thread_id, subject, internal_date) "
        "VALUES ($1, $2, $3, 't', 'the budget', now()) RETURNING id",
        user_id,
        account_id,
        f"m-{email}",
    )
    await conn.execute(
        "INSERT INTO search_chunks (user_id, account_id, service, gmail_id, chunk_index, content, embedding) "
        "VALUES ($1, $2, 'gmail', $3, 0, 'the budget', array_fill(0.1::real, ARRAY[384])::vector)",
        user_id,
        account_id,
        message_id,
    )
    conversation_id = await conn.fetchval(
        "INSERT INTO conversations (user_id, title) VALUES ($1, 'budget') RETURNING id", user_id
    )
    await conn.execute(
        "INSERT INTO messages (conversation_id, user_id, role, content) VALUES ($1, $2, 'user', 'budget?')",
        conversation_id,
        user_id,
    )
    return user_id


@pytest.fixture
async def two_users(database_url: str) -> tuple[uuid.UUID, uuid.UUID]:
    conn = await connect(database_url)
    try:
        return await _user_with_rows(conn, "a@example.com"), await _user_with_rows(conn, "b@example.com")
    finally:
        await conn.close()


async def test_an_unscoped_query_as_b_returns_only_bs_rows(
    database_url: str, two_users: tuple[uuid.UUID, uuid.UUID]
) -> None:
    alice, bob = two_users
    engine = create_engine(database_url)
    try:
        async with as_user(engine, bob).connect() as connection:
            for table in OWNED:
                owner = "id" if table == "users" else "user_id"
                owners = (await connection.execute(text(f"SELECT {owner} FROM {table}"))).scalars().all()
                assert owners and set(owners) == {bob}, table
            # Every partition of search_chunks, named directly, is held to B's rows too.
            partitions = (
                (
                    await connection.execute(
                        text(
                            "SELECT inhrelid::regclass::text FROM pg_inherits "
                            "WHERE inhparent = 'search_chunks'::regclass"
                        )
                    )
                )
                .scalars()
                .all()
            )
            seen = set()
            for partition in partitions:
                seen |= set((await connection.execute(text(f"SELECT user_id FROM {partition}"))).scalars().all())
            assert len(partitions) >= 16 and seen == {bob}
        async with engine.connect() as connection:  # the owner (sync workers) sees everyone
            owners = (await connection.execute(text("SELECT user_id FROM conversations"))).scalars().all()
            assert set(owners) == {alice, bob}
            role = (await connection.execute(text("SELECT current_user"))).scalar_one()
            assert role != get_settings().database_request_role  # the pooled connection is the owner again
    finally:
        await engine.dispose()


async def test_b_cannot_write_rows_for_a(database_url: str, two_users: tuple[uuid.UUID, uuid.UUID]) -> None:
    alice, bob = two_users
    engine = create_engine(database_url)
    try:
        async with as_user(engine, bob).begin() as connection:
            changed = await connection.execute(text("UPDATE conversations SET title = 'mine now'"))
            assert changed.rowcount == 1  # B's own conversation only
        with pytest.raises(Exception, match="row-level security"):
            async with as_user(engine, bob).begin() as connection:
                await connection.execute(
                    text("INSERT INTO conversations (user_id, title) VALUES (:user_id, 'planted')"), {"user_id": alice}
                )
    finally:
        await engine.dispose()


async def test_the_request_role_without_a_user_sees_nothing(
    database_url: str, two_users: tuple[uuid.UUID, uuid.UUID]
) -> None:
    conn = await connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute(f"SET LOCAL ROLE {get_settings().database_request_role}")
            for table in OWNED:
                assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetchval("SELECT count(*) FROM alembic_version")
    finally:
        await conn.close()
