"""Wiring for commands that search or index: database, Redis, embedder, in one place."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from assistant.core import migrate
from assistant.core.db import create_engine
from assistant.core.embedded import service_urls
from assistant.core.runtime import freeze_startup_heap
from assistant.core.settings import Settings, get_settings
from search import spelling
from search.embeddings import Embedder, QueryEmbeddingCache, get_embedder
from search.hybrid import HybridSearch
from search.indexing import Indexer


@dataclass(frozen=True)
class SearchRuntime:
    engine: AsyncEngine
    redis: redis.asyncio.Redis
    redis_url: str
    embedder: Embedder
    search: HybridSearch
    indexer: Indexer


@asynccontextmanager
async def search_runtime(settings: Settings, database_url: str, redis_url: str) -> AsyncIterator[SearchRuntime]:
    """Engine, Redis client, embedder, search and indexer; closed on exit."""
    engine = create_engine(database_url, pool_size=10)
    client = redis.asyncio.Redis.from_url(redis_url)
    embedder = get_embedder(settings)
    spelling.load_english()
    freeze_startup_heap()
    try:
        yield SearchRuntime(
            engine=engine,
            redis=client,
            redis_url=redis_url,
            embedder=embedder,
            search=HybridSearch(engine, QueryEmbeddingCache(embedder, client)),
            indexer=Indexer(engine, embedder),
        )
    finally:
        await client.aclose()
        await engine.dispose()


@asynccontextmanager
async def command_runtime() -> AsyncIterator[SearchRuntime]:
    """For `concierge` commands: the configured (or embedded) servers, migrated, wired."""
    settings = get_settings()
    urls = service_urls(settings)
    await asyncio.to_thread(migrate.upgrade, urls.database_url)
    async with search_runtime(settings, urls.database_url, urls.redis_url) as runtime:
        yield runtime


def progress_printer(enabled: bool) -> Callable[[str], None]:
    """Prints progress to stderr (stdout is for the command's result), or nothing."""

    def say(message: str) -> None:
        if enabled:
            print(message, file=sys.stderr, flush=True)

    return say


async def ensure_account(engine: AsyncEngine, email: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The (user id, account id) of a user with one linked account `email`, created if new.

    Evaluations and benchmarks keep their data under such users, apart from real ones.
    """
    async with engine.begin() as connection:
        user_id = (
            await connection.execute(
                text(
                    "INSERT INTO users (email, display_name) VALUES (:email, :email) "
                    "ON CONFLICT (email) DO UPDATE SET email = excluded.email RETURNING id"
                ),
                {"email": email},
            )
        ).scalar_one()
        account_id = (
            await connection.execute(
                text(
                    "INSERT INTO google_accounts (user_id, email, is_primary) VALUES (:user_id, :email, true) "
                    "ON CONFLICT (user_id, email) DO UPDATE SET email = excluded.email RETURNING id"
                ),
                {"user_id": user_id, "email": email},
            )
        ).scalar_one()
    return user_id, account_id
