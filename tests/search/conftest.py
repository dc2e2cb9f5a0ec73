"""Fixtures for search tests: a migrated database, the real embedder, two users' items."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import redis.asyncio

from assistant.db import create_engine
from assistant.settings import Settings
from search.embeddings import Embedder, QueryEmbeddingCache, get_embedder
from search.hybrid import HybridSearch
from search.indexing import Indexer
from search.runtime import ensure_account


@dataclass(frozen=True)
class Workspace:
    search: HybridSearch
    indexer: Indexer
    engine: object
    alice: tuple[uuid.UUID, uuid.UUID]
    bob: tuple[uuid.UUID, uuid.UUID]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return get_embedder(Settings(embedding_model="minilm-l6-int8"))


@pytest.fixture
async def workspace(database_url: str, redis_url: str, embedder: Embedder) -> AsyncIterator[Workspace]:
    engine = create_engine(database_url)
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        yield Workspace(
            search=HybridSearch(engine, QueryEmbeddingCache(embedder, client)),
            indexer=Indexer(engine, embedder),
            engine=engine,
            alice=await ensure_account(engine, "alice@example.com"),
            bob=await ensure_account(engine, "bob@example.com"),
        )
    finally:
        await client.aclose()
        await engine.dispose()
