"""Alembic environment: runs migrations over the async engine (asyncpg).

The URL comes from the `sqlalchemy.url` option when a caller set one (tests, `concierge
migrate`), otherwise from the settings, starting the embedded PostgreSQL if none is
configured.
"""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from assistant.core.db import create_engine
from assistant.core.embedded import service_urls
from assistant.core.models import Base
from assistant.core.settings import get_settings

target_metadata = Base.metadata


def _database_url() -> str:
    configured = context.config.get_main_option("sqlalchemy.url")
    return configured or service_urls(get_settings()).database_url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_database_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
