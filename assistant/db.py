"""Database engine and sessions (SQLAlchemy asyncio over asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool


def asyncpg_url(url: str) -> str:
    """The SQLAlchemy URL for asyncpg, whatever driver the configured URL names."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise ValueError(f"only PostgreSQL is supported, got {parsed.drivername!r}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(url: str, **kwargs: object) -> AsyncEngine:
    """An async engine; `pool_pre_ping` so a restarted PostgreSQL costs one retry, not errors."""
    return create_async_engine(asyncpg_url(url), pool_pre_ping=True, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def short_lived_engine(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine for one `asyncio.run` (an RQ job, a CLI command), disposed at the end.

    A pooled engine must not outlive its event loop, and each job runs its own loop.
    """
    engine = create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        await engine.dispose()
