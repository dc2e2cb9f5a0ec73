"""Google Calendar: events of the primary calendar, kept fresh with sync tokens.

Recurring events are expanded (`singleEvents=True`), so "my 1:1s next week" finds each
occurrence; incremental calls keep the same `singleEvents`, as the API requires. A 410
means the token expired: a full sync follows, and its sweep removes events deleted during
the gap, which the API never reports after a 410.
"""

from __future__ import annotations

import logging
from typing import Any

from googleapiclient.errors import HttpError
from sqlalchemy import update

from assistant.core.models import User
from assistant.google.api import http_status
from assistant.google.resources import CALENDAR_ID, event_item, zone_named
from search.indexing import GCAL
from sync.base import CursorExpired, SyncContext, begin_full_sync, sweep_unseen

log = logging.getLogger(__name__)

PAGE_SIZE = 250


class CalendarSync:
    service = "gcal"

    async def full(self, context: SyncContext, checkpoint: dict[str, Any] | None) -> str:
        progress = await begin_full_sync(context, checkpoint)
        while True:
            page = await context.api.call(
                lambda s, token=progress.page_token: s.events().list(
                    calendarId=CALENDAR_ID, singleEvents=True, maxResults=PAGE_SIZE, pageToken=token
                )
            )
            if progress.page_token is None and page.get("timeZone"):
                await adopt_time_zone(context, page["timeZone"])
            progress.done += await self._apply(context, page, default_zone=page.get("timeZone"))
            progress.page_token = page.get("nextPageToken")
            if not progress.page_token:
                break
            await progress.save(context)
        removed = await sweep_unseen(context.sessions, GCAL, context.account_id, progress.started_at)
        log.info("calendar full sync", extra={"events": progress.done, "swept": removed})
        return page["nextSyncToken"]  # only the last page carries it

    async def incremental(self, context: SyncContext, cursor: str) -> str:
        page_token: str | None = None
        changed = 0
        while True:
            try:
                page = await context.api.call(
                    lambda s, token=page_token: s.events().list(
                        calendarId=CALENDAR_ID, singleEvents=True, syncToken=cursor, pageToken=token
                    )
                )
            except HttpError as error:
                if http_status(error) == 410:
                    raise CursorExpired("calendar sync token expired") from error
                raise
            changed += await self._apply(context, page, default_zone=page.get("timeZone"))
            page_token = page.get("nextPageToken")
            if not page_token:
                log.info("calendar incremental sync", extra={"changed": changed})
                return page["nextSyncToken"]

    async def _apply(self, context: SyncContext, page: dict[str, Any], *, default_zone: str | None) -> int:
        events = page.get("items", [])
        cancelled = [(CALENDAR_ID, e["id"]) for e in events if e.get("status") == "cancelled"]
        kept = [event_item(e, default_zone) for e in events if e.get("status") != "cancelled"]
        await context.indexer.remove(context.account_id, GCAL, cancelled)
        if kept:
            await context.indexer.index(context.user_id, context.account_id, kept)
            context.items_synced += len(kept)
        return len(events)


async def adopt_time_zone(context: SyncContext, zone: str) -> None:
    """A user whose time zone we do not know yet ('UTC', the default) lives in their
    primary calendar's zone: "tomorrow at 9" means 9 there."""
    async with context.sessions() as session:
        await session.execute(
            update(User).where(User.id == context.user_id, User.timezone == "UTC").values(timezone=zone_named(zone).key)
        )
        await session.commit()
