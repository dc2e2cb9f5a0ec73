"""What every drill asserts at the end: the cache mirrors Google exactly, no row or
chunk is stored twice, and every cached item is searchable."""

from __future__ import annotations

from sqlalchemy import text

from tests.sandbox.conftest import Services
from tests.sync.conftest import LinkedAccount
from tests.sync.test_sync import cache_state, sandbox_state

DUPLICATES = text(
    """
    SELECT
      (SELECT count(*) - count(DISTINCT (account_id, message_id)) FROM gmail_cache) AS gmail,
      (SELECT count(*) - count(DISTINCT (account_id, calendar_id, event_id)) FROM gcal_cache) AS gcal,
      (SELECT count(*) - count(DISTINCT (account_id, file_id)) FROM gdrive_cache) AS gdrive,
      (SELECT count(*) - count(DISTINCT (coalesce(gmail_id, gcal_id, gdrive_id), chunk_index))
         FROM search_chunks) AS chunks
    """
)

UNSEARCHABLE = text(
    """
    SELECT
      (SELECT count(*) FROM gmail_cache c WHERE NOT EXISTS (SELECT FROM search_chunks s WHERE s.gmail_id = c.id))
    + (SELECT count(*) FROM gcal_cache c WHERE NOT EXISTS (SELECT FROM search_chunks s WHERE s.gcal_id = c.id))
    + (SELECT count(*) FROM gdrive_cache c WHERE NOT EXISTS (SELECT FROM search_chunks s WHERE s.gdrive_id = c.id))
    """
)


async def assert_mirrors_google(linked: LinkedAccount, services: Services, only: str | None = None) -> None:
    """Nothing lost (the cache holds what Google holds), nothing duplicated."""
    cached, truth = await cache_state(linked), sandbox_state(services)
    if only is not None:
        cached, truth = cached[only], truth[only]
    assert cached == truth
    async with linked.engine.connect() as connection:
        duplicates = (await connection.execute(DUPLICATES)).one()
        unsearchable = (await connection.execute(UNSEARCHABLE)).scalar_one()
    assert dict(duplicates._mapping) == {"gmail": 0, "gcal": 0, "gdrive": 0, "chunks": 0}
    assert unsearchable == 0
