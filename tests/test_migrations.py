"""The schema: migrations apply, revert and re-apply; the indexes search relies on exist."""

import asyncio

from assistant.core import migrate
from tests.support import connect


async def _tables(url: str) -> set[str]:
    conn = await connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables "
            "WHERE table_schema IN ('public', 'chainlit')"
        )
    finally:
        await conn.close()
    return {row["name"] for row in rows}


async def _indexes(url: str) -> dict[str, str]:
    conn = await connect(url)
    try:
        rows = await conn.fetch("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {row["indexname"]: row["indexdef"] for row in rows}


CORE_TABLES = {
    "public.users",
    "public.google_accounts",
    "public.conversations",
    "public.messages",
    "public.gmail_cache",
    "public.gcal_cache",
    "public.gdrive_cache",
    "public.search_chunks",
    "public.sync_status",
}
CHAINLIT_TABLES = {f"chainlit.{t}" for t in ("users", "threads", "steps", "elements", "feedbacks")}


async def test_upgrade_downgrade_upgrade_on_an_empty_database(empty_database_url: str) -> None:
    assert not (await _tables(empty_database_url)) & CORE_TABLES

    await asyncio.to_thread(migrate.upgrade, empty_database_url)
    assert CORE_TABLES | CHAINLIT_TABLES <= await _tables(empty_database_url)

    await asyncio.to_thread(migrate.downgrade, empty_database_url)
    remaining = await _tables(empty_database_url)
    assert not remaining & (CORE_TABLES | CHAINLIT_TABLES), remaining

    await asyncio.to_thread(migrate.upgrade, empty_database_url)
    assert CORE_TABLES | CHAINLIT_TABLES <= await _tables(empty_database_url)


async def test_extensions_and_search_indexes_exist(database_url: str) -> None:
    conn = await connect(database_url)
    try:
        extensions = {r["extname"] for r in await conn.fetch("SELECT extname FROM pg_extension")}
        vector_type = await conn.fetchval(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'search_chunks'::regclass AND attname = 'embedding'"
        )
    finally:
        await conn.close()
    assert {"vector", "pg_trgm"} <= extensions
    assert vector_type == "vector(384)"  # the default embedding model's dimension

    indexes = await _indexes(database_url)
    assert "USING hnsw (embedding vector_cosine_ops)" in indexes["search_chunks_embedding"]
    for table in ("gmail", "gcal", "gdrive"):
        assert "USING gin (search_tsv)" in indexes[f"{table}_fts"]
    for name in ("gmail_people_trgm", "gcal_people_trgm", "gdrive_people_trgm", "gdrive_name_trgm"):
        assert "gin_trgm_ops" in indexes[name]
    for name in ("gmail_user_date", "gmail_user_sender", "gcal_user_start", "gdrive_user_mime"):
        assert "USING btree" in indexes[name]


async def test_full_text_columns_are_weighted_and_maintained_by_the_database(
    database_url: str,
) -> None:
    conn = await connect(database_url)
    try:
        user_id = await conn.fetchval("INSERT INTO users (email) VALUES ('ada@example.com') RETURNING id")
        account_id = await conn.fetchval(
            "INSERT INTO google_accounts (user_id, email) VALUES ($1, 'ada@example.com') RETURNING id",
            user_id,
        )
        row_id = await conn.fetchval(
            "INSERT INTO gmail_cache (user_id, account_id, message_id, thread_id, subject, people, "
            "body_text, internal_date) VALUES ($1, $2, 'm1', 't1', 'Quarterly review', "
            "'Sarah Chen sarah@acme.example', 'The spreadsheet is attached.', now()) RETURNING id",
            user_id,
            account_id,
        )
        weights = await conn.fetchval("SELECT search_tsv::text FROM gmail_cache WHERE id = $1", row_id)
        # An update is reflected without any application code touching search_tsv.
        await conn.execute("UPDATE gmail_cache SET subject = 'Budget approval' WHERE id = $1", row_id)
        matches = await conn.fetchval(
            "SELECT count(*) FROM gmail_cache WHERE search_tsv @@ websearch_to_tsquery('english', 'budget')"
        )
        # Deleting the cached item deletes its embedded chunks.
        await conn.execute(
            "INSERT INTO search_chunks (user_id, account_id, service, gmail_id, chunk_index, content, "
            "embedding) VALUES ($1, $2, 'gmail', $3, 0, 'x', $4::vector)",
            user_id,
            account_id,
            row_id,
            "[" + ",".join(["0.1"] * 384) + "]",
        )
        await conn.execute("DELETE FROM gmail_cache WHERE id = $1", row_id)
        chunks_left = await conn.fetchval("SELECT count(*) FROM search_chunks")
    finally:
        await conn.close()
    assert "'quarter':1A" in weights and "'review':2A" in weights
    assert "'sarah':3B" in weights and "'chen':4B" in weights
    assert "'spreadsheet':" in weights and "C" in weights.split("'spreadsheet':")[1][:4]
    assert matches == 1
    assert chunks_left == 0


async def test_chainlit_tables_have_every_column_chainlit_writes(database_url: str) -> None:
    # Chainlit's data layer inserts every key of these dicts and swallows the error when a
    # column is missing, so compare against the installed Chainlit's own definitions.
    from chainlit.element import ElementDict
    from chainlit.step import StepDict

    conn = await connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'chainlit'"
        )
    finally:
        await conn.close()
    columns: dict[str, set[str]] = {}
    for row in rows:
        columns.setdefault(row["table_name"], set()).add(row["column_name"])
    assert set(StepDict.__annotations__) - {"feedback"} <= columns["steps"]
    assert set(ElementDict.__annotations__) <= columns["elements"]
    assert "autoCollapse" in columns["steps"]


async def test_cached_items_can_be_written_through_the_models(database_url: str) -> None:
    """The generated full-text column is the database's: an ORM insert leaves it out."""
    from datetime import UTC, datetime

    from assistant.core.db import create_engine, session_factory
    from assistant.core.models import GmailMessage, GoogleAccount, User

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            user = User(email="ada@example.com")
            session.add(user)
            await session.flush()
            account = GoogleAccount(user_id=user.id, email="ada@example.com")
            session.add(account)
            await session.flush()
            session.add(
                GmailMessage(
                    user_id=user.id,
                    account_id=account.id,
                    message_id="m1",
                    thread_id="t1",
                    subject="Quarterly review",
                    internal_date=datetime.now(UTC),
                )
            )
            await session.commit()
        conn = await connect(database_url)
        try:
            assert "'quarter'" in await conn.fetchval("SELECT search_tsv::text FROM gmail_cache")
        finally:
            await conn.close()
    finally:
        await engine.dispose()
