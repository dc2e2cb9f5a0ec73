"""Process-wide connections, made on first use from the resolved service URLs.

Every entry point (the chat app, the HTTP API, an RQ worker, a CLI command) reaches
PostgreSQL and Redis through these functions, so a configured URL or the shared embedded
servers are chosen in exactly one place (`assistant.core.embedded.service_urls`).
"""

from __future__ import annotations

import gc
from functools import lru_cache

import redis
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from assistant.core.db import create_engine, session_factory
from assistant.core.embedded import ServiceUrls, service_urls
from assistant.core.settings import get_settings


@lru_cache(maxsize=1)
def urls() -> ServiceUrls:
    return service_urls(get_settings())


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    """A blocking client (RQ, rate limits and locks in worker threads)."""
    return redis.Redis.from_url(urls().redis_url, health_check_interval=30)


@lru_cache(maxsize=1)
def async_redis_client() -> redis.asyncio.Redis:
    """An asyncio client for the app's event loop."""
    return redis.asyncio.Redis.from_url(urls().redis_url, health_check_interval=30)


@lru_cache(maxsize=1)
def engine() -> AsyncEngine:
    return create_engine(urls().database_url)


@lru_cache(maxsize=1)
def read_engine() -> AsyncEngine:
    """For read-only queries (search): the read replica when one is configured."""
    read_url = get_settings().database_read_url
    return create_engine(read_url) if read_url else engine()


@lru_cache(maxsize=1)
def sessions() -> async_sessionmaker[AsyncSession]:
    return session_factory(engine())


def freeze_startup_heap() -> None:
    """Exempt every object alive now from the cyclic garbage collector's full collections.

    Call it once a serving process has loaded what it keeps (the embedding model and its
    tokenizer, SQLAlchemy's metadata, Chainlit, the modules: ~130,000 objects). Otherwise
    each full collection walks all of them with the event loop stopped: 50-75 ms, about
    three times per 200 searches, which made search's p99 (`concierge bench search`: warm
    p99 79-87 ms while 97% of searches took under 30 ms; frozen, the worst of 200 was 31 ms).
    Objects made later are collected as usual.
    """
    gc.collect()
    gc.freeze()


def reset() -> None:
    """Forget every connection (tests that switch databases; a forked worker)."""
    for cached in (urls, redis_client, async_redis_client, engine, read_engine, sessions):
        cached.cache_clear()
