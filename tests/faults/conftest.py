"""Fault drills: each breaks one part of the running system and asserts that nothing is
lost or duplicated once it recovers.

Drills reuse the sync suite's fixtures (the session's sandbox, an account linked through
the real OAuth flow). Drills that restart PostgreSQL or Valkey get embedded servers of
their own, so the session-wide ones in tests/conftest.py are never disturbed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import redis
from google.oauth2.credentials import Credentials

from assistant.core import migrate
from assistant.core.embedded import EmbeddedServers
from tests.sandbox.conftest import (  # noqa: F401  (fixtures, re-used here)
    authorize,
    base_url,
    connect,
    control,
    sandbox_server,
)
from tests.support import create_database
from tests.sync.conftest import LinkedAccount, link, linker  # noqa: F401  (fixtures, helpers)


@pytest.fixture
def own_servers(servers_dir: Path) -> Iterator[EmbeddedServers]:
    """PostgreSQL and Valkey of this drill alone, free to be killed and restarted."""
    servers = EmbeddedServers(servers_dir)
    servers.acquire()
    yield servers
    servers.stop()


@pytest.fixture
async def own_database_url(own_servers: EmbeddedServers) -> str:
    """A migrated database on the drill's own PostgreSQL."""
    import asyncio

    url = await create_database(own_servers.acquire().database_url or "", "drill")
    await asyncio.to_thread(migrate.upgrade, url)
    return url


@pytest.fixture
async def link_on_own_servers(
    own_servers: EmbeddedServers, own_database_url: str, base_url: str, authorize: Callable[[str], Credentials]
) -> AsyncIterator[Callable[[str], object]]:
    """Like tests/sync's `link`, but in the drill's own PostgreSQL and Valkey."""
    client = redis.Redis.from_url(own_servers.acquire().redis_url or "")
    async with linker(own_database_url, client, base_url, authorize) as run:
        yield run
    client.close()


__all__ = ["LinkedAccount"]
