"""Google Calendar: events of the primary calendar, kept fresh with sync tokens.

Recurring events are expanded (`singleEvents=True`), so "my 1:1s next week" finds each
occurrence; incremental calls keep the same `singleEvents`, as the API requires. A 410
means the token expired: a full sync follows, and its sweep removes events deleted during
the gap, which the API never reports after a 410.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from googleapiclient.errors import HttpError
from sqlalchemy import update

from assistant.core.models import User
from search.indexing import GCAL
from search.items import Attendee, EventItem, Person
from sync.base import CursorExpired, SyncContext, begin_full_sync, parse_rfc3339, sweep_unseen
from sync.google_api import http_status

log = logging.getLogger(__name__)

CALENDAR_ID = "primary"
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
            update(User).where(User.id == context.user_id, User.timezone == "UTC").values(timezone=_zone(zone).key)
        )
        await session.commit()


def event_item(event: dict[str, Any], default_zone: str | None) -> EventItem:
    """A Calendar API event as a cache item.

    All-day events keep their dates (`end.date` is the day after the last one, as Google
    sends it) and get start/end instants at midnight in the calendar's zone, so that an
    all-day event on the 3rd is never shown on the 2nd or the 4th.
    """
    zone_name = event.get("start", {}).get("timeZone") or default_zone or "UTC"
    start_at, start_date = _when(event.get("start", {}), zone_name)
    end_at, end_date = _when(event.get("end", {}), zone_name)
    organizer = event.get("organizer")
    return EventItem(
        calendar_id=CALENDAR_ID,
        event_id=event["id"],
        summary=event.get("summary", ""),
        start_at=start_at,
        end_at=max(end_at, start_at),
        description=event.get("description", ""),
        location=event.get("location", ""),
        organizer=Person(email=organizer["email"].lower(), name=organizer.get("displayName", ""))
        if organizer and organizer.get("email")
        else None,
        attendees=tuple(
            Attendee(
                email=a["email"].lower(),
                name=a.get("displayName", ""),
                response_status=a.get("responseStatus", "needsAction"),
            )
            for a in event.get("attendees", [])
            if a.get("email")
        ),
        status=event.get("status", "confirmed"),
        all_day=start_date is not None,
        start_date=start_date,
        end_date=end_date,
        time_zone=zone_name,
        recurrence=tuple(event.get("recurrence", [])),
        recurring_event_id=event.get("recurringEventId"),
        ical_uid=event.get("iCalUID"),
        meet_link=event.get("hangoutLink") or _video_entry(event),
        html_link=event.get("htmlLink"),
        google_updated_at=parse_rfc3339(event["updated"]) if event.get("updated") else None,
        sequence=int(event.get("sequence", 0)),
    )


def _when(moment: dict[str, Any], zone_name: str) -> tuple[datetime, date | None]:
    if "dateTime" in moment:
        return parse_rfc3339(moment["dateTime"]), None
    day = date.fromisoformat(moment["date"])
    return datetime.combine(day, time.min, _zone(zone_name)), day


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _video_entry(event: dict[str, Any]) -> str | None:
    for entry in event.get("conferenceData", {}).get("entryPoints", []):
        if entry.get("entryPointType") == "video":
            return entry.get("uri")
    return None
