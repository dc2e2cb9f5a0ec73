"""Migration 0003 on a database that already holds cached items."""

from __future__ import annotations

import asyncio

from assistant.core import migrate
from tests.support import connect


async def test_upgrade_backfills_term_statistics_and_contacts(empty_database_url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, empty_database_url, "0002")
    connection = await connect(empty_database_url)
    try:
        user_id = await connection.fetchval("INSERT INTO users (email) VALUES ('u@example.com') RETURNING id")
        account_id = await connection.fetchval(
            "INSERT INTO google_accounts (user_id, email) VALUES ($1, 'u@example.com') RETURNING id", user_id
        )
        for n, (name, subject) in enumerate([("Sarah Chen", "Budget review"), ("", "Budget and hiring")]):
            await connection.execute(
                "INSERT INTO gmail_cache (user_id, account_id, message_id, thread_id, subject, sender_name, "
                "sender_email, internal_date) "
                "VALUES ($1, $2, $3, $3, $4, $5, 'Sarah@Acme.com', now() - $6 * interval '1 day')",
                user_id,
                account_id,
                f"m{n}",
                subject,
                name,
                n,
            )
        await asyncio.to_thread(migrate.upgrade, empty_database_url)
        stats = dict(
            await connection.fetch(
                "SELECT lexeme, items FROM search_term_stats "
                "WHERE service = 'gmail' AND lexeme IN ('', 'budget', 'review')"
            )
        )
        assert stats == {"": 2, "budget": 2, "review": 1}
        contact = await connection.fetchrow("SELECT email, name, occurrences FROM search_contacts")
        assert tuple(contact) == ("sarah@acme.com", "Sarah Chen", 2)
        # From now on the triggers keep counting.
        await connection.execute("DELETE FROM gmail_cache WHERE message_id = 'm0'")
        assert (
            await connection.fetchval(
                "SELECT items FROM search_term_stats WHERE lexeme = 'review' AND service = 'gmail'"
            )
            == 0
        )
        await asyncio.to_thread(migrate.downgrade, empty_database_url, "0002")
        assert await connection.fetchval("SELECT to_regclass('search_term_stats')") is None
    finally:
        await connection.close()
