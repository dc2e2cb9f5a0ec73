"""Isolation: Sarah (B) reaches none of Alex's (A) conversations, actions or cached items
through any endpoint, and even a query with no WHERE at all, run as B's database role,
returns none of A's rows."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text

from assistant.core.db import as_user, create_engine
from assistant.core.settings import get_settings
from tests.api.conftest import ApiUser, ask, done_of
from tests.execution.conftest import World
from tests.support import connect

OWNED_TABLES = (
    "users",
    "google_accounts",
    "conversations",
    "messages",
    "pending_actions",
    "gmail_cache",
    "gcal_cache",
    "gdrive_cache",
    "search_chunks",
    "search_contacts",
    "search_term_stats",
    "sync_status",
    "watch_channels",
)


def test_b_cannot_reach_as_conversations_or_actions(api_url: str, alex: ApiUser, sarah: ApiUser) -> None:
    events, _ = ask(api_url, alex, "send an email to Daniel saying the budget is approved")
    done = done_of(events)
    conversation_id, action_id = done["conversation_id"], done["actions"][0]["id"]

    listed = httpx.get(f"{api_url}/conversations?limit=100", headers=sarah.headers).json()["conversations"]
    assert conversation_id not in {c["id"] for c in listed}
    for response in (
        httpx.get(f"{api_url}/conversations/{conversation_id}", headers=sarah.headers),
        httpx.post(
            f"{api_url}/query", json={"text": "and Drive?", "conversation_id": conversation_id}, headers=sarah.headers
        ),
        httpx.get(f"{api_url}/actions/{action_id}", headers=sarah.headers),
        httpx.post(f"{api_url}/actions/{action_id}/confirm", headers=sarah.headers),
        httpx.post(f"{api_url}/actions/{action_id}/cancel", headers=sarah.headers),
        httpx.post(f"{api_url}/actions/{action_id}/undo", headers=sarah.headers),
    ):
        assert response.status_code == 404, (response.request.url, response.text)
        assert response.json()["error"]["code"] == "not_found"
    # Alex's action is untouched, and Alex still sees it all.
    assert httpx.get(f"{api_url}/actions/{action_id}", headers=alex.headers).json()["status"] == "pending"
    assert httpx.get(f"{api_url}/conversations/{conversation_id}", headers=alex.headers).status_code == 200
    assert httpx.post(f"{api_url}/actions/{action_id}/cancel", headers=alex.headers).json()["status"] == "cancelled"


def test_b_never_gets_as_cached_items_as_sources(api_url: str, alex: ApiUser, sarah: ApiUser, world: World) -> None:
    question = "emails about the Q4 Financial Review budget"
    alexs = done_of(ask(api_url, alex, question)[0])["sources"]
    sarahs_events, raw = ask(api_url, sarah, question)
    sarahs = done_of(sarahs_events)["sources"]
    assert alexs
    alex_accounts = {s["account_id"] for s in alexs}
    assert not {s["account_id"] for s in sarahs} & alex_accounts
    assert not any(account in raw for account in alex_accounts)  # not in any step's items either


def test_an_unscoped_query_as_bs_role_returns_none_of_as_rows(world: World) -> None:
    async def check() -> None:
        owner = await connect(world.database_url)
        try:
            for table in ("conversations", "messages", "gmail_cache", "search_chunks", "pending_actions"):
                assert await owner.fetchval(f"SELECT count(*) FROM {table} WHERE user_id = $1", world.alex) > 0, table
            # The role and setting the app uses, by hand: no WHERE anywhere.
            async with owner.transaction():
                await owner.execute(f"SET LOCAL ROLE {get_settings().database_request_role}")
                await owner.execute("SELECT set_config('app.user_id', $1, true)", str(world.sarah))
                for table in OWNED_TABLES:
                    column = "id" if table == "users" else "user_id"
                    owners = {row[0] for row in await owner.fetch(f"SELECT {column} FROM {table}")}
                    assert owners <= {world.sarah}, table
                assert await owner.fetchval("SELECT count(*) FROM conversations") > 0  # B's own rows are there
        finally:
            await owner.close()

        # The same through the app's own mechanism.
        engine = create_engine(world.database_url)
        try:
            async with as_user(engine, world.sarah).connect() as connection:
                rows = await connection.execute(
                    text("SELECT DISTINCT user_id FROM gmail_cache UNION SELECT DISTINCT user_id FROM conversations")
                )
                assert {row[0] for row in rows} <= {world.sarah}
        finally:
            await engine.dispose()

    asyncio.run(check())
