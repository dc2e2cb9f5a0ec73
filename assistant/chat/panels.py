"""What the chat shows about sources and caches: a source's chip and panel, and freshness.

Times are shown in the user's zone; an event in another zone also shows its own time
("10:00 (Europe/London), 11:00 in Europe/Berlin").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from assistant.agents.base import SourceItem
from assistant.agents.registry import AGENTS
from assistant.core.services import SPECS, spec


def source_card(number: int, source: SourceItem, zone: ZoneInfo) -> dict[str, Any]:
    """What the Sources element shows for one source: a chip, and a side panel of details."""
    panel = AGENTS[source.service].panel(source, zone)
    return {
        "number": number,
        "service": source.service,
        "icon": spec(source.service).icon,
        "title": source.title,
        "fields": [list(field) for field in panel.fields if field[1]],
        "excerpt": panel.excerpt,
        "url": source.url,
        "link": panel.link,
    }


def freshness(last_synced: dict[str, datetime | None], now: datetime) -> str:
    """'Gmail synced 2 min ago · Calendar 1 h ago · Drive not synced yet'."""
    parts = []
    for described in SPECS.values():
        synced = last_synced.get(described.cache_name)
        parts.append(f"{described.display_name} {'not synced yet' if synced is None else ago(now - synced)}")
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
