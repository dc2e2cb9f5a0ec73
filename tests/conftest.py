"""Shared fixtures: real embedded PostgreSQL and Valkey in a temporary data directory.

The test session never touches the developer's `.data/`: it points the settings at a
fresh directory, starts the embedded servers there once, and gives each test that asks
for one a database of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from assistant.core import migrate
from assistant.core.embedded import EmbeddedServers
from assistant.core.models import token_cipher
from assistant.core.settings import get_settings
from tests.support import create_database, drop_database

CONFIG_VARIABLES = [
    name
    for name in os.environ
    if name.startswith("CONCIERGE_") or name in {"DATABASE_URL", "REDIS_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"}
]


def server_dir(prefix: str) -> Path:
    """A directory for embedded servers' data, outside pytest's temporary tree.

    PostgreSQL runs as its own system user when we are root, and must traverse the
    path; every pytest run resets its own tree to mode 0700, which would lock out a
    server started by another (concurrent) run.
    """
    return Path(tempfile.mkdtemp(prefix=f"concierge-{prefix}-"))


@pytest.fixture
def servers_dir() -> Iterator[Path]:
    path = server_dir("test")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    """A fresh data directory for the whole session, with nothing configured from outside."""
    path = server_dir("session")
    saved = {name: os.environ.pop(name) for name in CONFIG_VARIABLES}
    os.environ["CONCIERGE_DATA_DIR"] = str(path)
    reset_settings()
    yield path
    os.environ.pop("CONCIERGE_DATA_DIR", None)
    os.environ.update(saved)
    reset_settings()
    shutil.rmtree(path, ignore_errors=True)


def reset_settings() -> None:
    get_settings.cache_clear()
    token_cipher.cache_clear()


@pytest.fixture(scope="session")
def embedded(data_dir: Path) -> Iterator[EmbeddedServers]:
    servers = EmbeddedServers(data_dir)
    servers.acquire()
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def server_database_url(embedded: EmbeddedServers) -> str:
    """The embedded server's main database URL (do not migrate it: make your own)."""
    return embedded.acquire().database_url or ""


@pytest.fixture(scope="session")
def redis_url(embedded: EmbeddedServers) -> str:
    return embedded.acquire().redis_url or ""


@pytest.fixture
async def empty_database_url(server_database_url: str) -> AsyncIterator[str]:
    """A new, empty database on the embedded server, dropped after the test."""
    url = await create_database(server_database_url, "test")
    yield url
    await drop_database(url)


@pytest.fixture
async def database_url(empty_database_url: str) -> str:
    """A new database migrated to head."""
    import asyncio

    await asyncio.to_thread(migrate.upgrade, empty_database_url)
    return empty_database_url


@pytest.fixture
def app_env(database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the process-wide runtime (assistant.core.runtime) at this test's database."""
    from assistant.core import runtime

    monkeypatch.setenv("CONCIERGE_DATABASE_URL", database_url)
    monkeypatch.setenv("CONCIERGE_REDIS_URL", redis_url)
    reset_settings()
    runtime.reset()
    yield
    runtime.reset()
    monkeypatch.undo()
    reset_settings()
