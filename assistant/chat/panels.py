"""What the chat shows about sources and caches: a source's chip and panel, and freshness.

Times are shown in the user's zone; an event in another zone also shows its own time
("10:00 (Europe/London), 11:00 in Europe/Berlin").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from assistant.agents.base import SourceItem
from assistant.core.services import SPECS


def source_card(number: int, source: SourceItem, zone: ZoneInfo) -> dict[str, Any]:
    """What the Sources element shows for one source: a chip, and a side panel of details."""
    details = source.details
    fields: list[tuple[str, str]] = []
    if source.service == "gmail":
        fields += [("From", details.get("from", "")), ("To", ", ".join(details.get("to", [])))]
        if source.when:
            fields.append(("Date", f"{source.when.astimezone(zone):%a %d %b %Y, %H:%M} ({zone})"))
        if details.get("attachments"):
            fields.append(("Attachments", ", ".join(details["attachments"])))
        excerpt, link = details.get("excerpt") or source.snippet, "Open in Gmail"
    elif source.service == "calendar":
        fields.append(("When", _span(details, zone)))
        if details.get("location"):
            fields.append(("Where", details["location"]))
        if details.get("meet_link"):
            fields.append(("Meet", details["meet_link"]))
        people = [a.get("name") or a.get("email") for a in details.get("attendees", [])]
        if people:
            fields.append(("Attendees", ", ".join(people)))
        excerpt, link = source.snippet, "Open in Calendar"
    else:
        fields.append(("Owner", ", ".join(details.get("owners", []))))
        if source.when:
            fields.append(("Modified", f"{source.when.astimezone(zone):%a %d %b %Y, %H:%M}"))
        excerpt, link = details.get("excerpt") or source.snippet, "Open in Drive"
    return {
        "number": number,
        "service": source.service,
        "title": source.title,
        "fields": [list(field) for field in fields if field[1]],
        "excerpt": excerpt,
        "url": source.url,
        "link": link,
    }


def _span(details: dict[str, Any], zone: ZoneInfo) -> str:
    start = datetime.fromisoformat(details["start"]).astimezone(zone)
    end = datetime.fromisoformat(details["end"]).astimezone(zone)
    if details.get("all_day"):
        return f"{start:%a %d %b %Y} (all day)"
    event_zone = details.get("time_zone")
    shown = f"{start:%a %d %b %Y, %H:%M}\u2013{end:%H:%M} ({zone})"
    if event_zone and event_zone != str(zone):
        local = datetime.fromisoformat(details["start"]).astimezone(ZoneInfo(event_zone))
        shown += f", {local:%H:%M} in {event_zone}"
    return shown


def freshness(last_synced: dict[str, datetime | None], now: datetime) -> str:
    """'Gmail synced 2 min ago · Calendar 1 h ago · Drive not synced yet'."""
    parts = []
    for spec in SPECS.values():
        synced = last_synced.get(spec.cache_name)
        parts.append(f"{spec.display_name} {'not synced yet' if synced is None else ago(now - synced)}")
    return "Synced: " + " \u00b7 ".join(parts)


def ago(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"
