"""The HTTP API searches the read replica when one is configured, as the chat UI does.

The "replica" here is a migrated database that holds no cached mail: a search that reads
it finds nothing, while the primary (the demo workspace) has the Q4 Financial Review
thread. Before the composition root, the API built its own assistant without the read
engine, so `CONCIERGE_DATABASE_READ_URL` was silently ignored for API searches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.core import migrate
from tests.api.conftest import ApiUser, ask, done_of, mint_token, sign_in
from tests.app_process import running_app
from tests.execution.conftest import ALEX, World
from tests.support import create_database, drop_database

QUESTION = "emails about the Q4 Financial Review from Sarah Chen"


@pytest.fixture(scope="module")
def replica_app(
    world: World, redis_url: str, data_dir: Path, server_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    replica = asyncio.run(create_database(server_database_url, "replica"))
    migrate.upgrade(replica)
    settings = {
        "CONCIERGE_DATABASE_URL": world.database_url,
        "CONCIERGE_DATABASE_READ_URL": replica,
        "CONCIERGE_REDIS_URL": f"{redis_url}?db=10",
        "CONCIERGE_DATA_DIR": str(data_dir),
        "CONCIERGE_GOOGLE_API_BASE_URL": world.sandbox.base_url,
        "CONCIERGE_TIMEZONE": "Europe/London",
    }
    try:
        with running_app(settings, tmp_path_factory.mktemp("replica-app"), name="replica") as url:
            yield url
    finally:
        asyncio.run(drop_database(replica))


def test_an_api_search_reads_the_replica(replica_app: str, api_url: str, alex: ApiUser) -> None:
    on_primary = done_of(ask(api_url, alex, QUESTION)[0])
    assert any(source["title"] == "Q4 Financial Review" for source in on_primary["sources"])
    session = sign_in(replica_app, ALEX)
    on_replica = done_of(ask(replica_app, ApiUser(ALEX, session, mint_token(session)), QUESTION)[0])
    assert on_replica["sources"] == [], on_replica["answer"]
