"""Google's API resources (Calendar events, Drive files) as the cache's items.

Pure functions, no I/O: the sync jobs and the agents' write-through fetch, these convert.
Gmail messages are converted in `content` (their MIME trees need more).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.core.items import Attendee, EventItem, FileItem, Person

#: The calendar Concierge reads and writes: the user's own.
CALENDAR_ID = "primary"

FILE_FIELDS = (
    "id,name,mimeType,description,owners(emailAddress,displayName),"
    "lastModifyingUser(emailAddress),modifiedTime,createdTime,webViewLink,size,parents,"
    "shared,trashed,version,permissions(id,type,role,emailAddress,displayName)"
)
EXPORTS = {
    "application/vnd.google-apps.document": "text/plain",
    "application/vnd.google-apps.spreadsheet": "text/csv",
    "application/vnd.google-apps.presentation": "text/plain",
}


def parse_rfc3339(value: str) -> datetime:
    """An RFC 3339 timestamp as Google writes it ("2026-11-29T08:00:00.000Z")."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


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
    return datetime.combine(day, time.min, zone_named(zone_name)), day


def zone_named(name: str) -> ZoneInfo:
    """The zone called `name`; UTC for a name this machine does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _video_entry(event: dict[str, Any]) -> str | None:
    for entry in event.get("conferenceData", {}).get("entryPoints", []):
        if entry.get("entryPointType") == "video":
            uri: str | None = entry.get("uri")
            return uri
    return None


def file_item(file: dict[str, Any], content_text: str) -> FileItem:
    owners = tuple(
        Person(email=o["emailAddress"].lower(), name=o.get("displayName", ""))
        for o in file.get("owners", [])
        if o.get("emailAddress")
    )
    return FileItem(
        file_id=file["id"],
        name=file.get("name", ""),
        mime_type=file.get("mimeType", ""),
        modified_at=parse_rfc3339(file["modifiedTime"]),
        owners=owners,
        description=file.get("description", ""),
        content_text=content_text,
        last_modifying_email=(file.get("lastModifyingUser") or {}).get("emailAddress"),
        created_at=parse_rfc3339(file["createdTime"]) if file.get("createdTime") else None,
        web_view_link=file.get("webViewLink"),
        size_bytes=int(file["size"]) if file.get("size") else None,
        parents=tuple(file.get("parents", [])),
        shared=bool(file.get("shared", False)),
        permissions=list(file.get("permissions", [])),
        version=int(file["version"]) if file.get("version") else None,
        trashed=bool(file.get("trashed", False)),
    )
