"""Cached items as sources: search results enriched with what the source panel shows."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from assistant.agents.base import SourceItem, StepFailed
from assistant.core.models import CalendarEvent, DriveFile, GmailMessage
from assistant.core.services import spec
from search.query import SearchFilters, SearchQuery, SearchResult
from search.query import Service as SearchService

if TYPE_CHECKING:
    from assistant.agents.context import AgentContext
    from assistant.plan import PlanStep, Service

EXCERPT_CHARS = 600


def gmail_url(message: GmailMessage) -> str:
    return f"https://mail.google.com/mail/u/0/#all/{message.thread_id}"


def email_source(message: GmailMessage, why: dict[str, Any] | None = None, snippet: str | None = None) -> SourceItem:
    return SourceItem(
        service="gmail",
        id=message.message_id,
        account_id=str(message.account_id),
        title=message.subject or "(no subject)",
        url=gmail_url(message),
        when=message.internal_date,
        snippet=snippet or message.preview or message.snippet,
        details={
            "from": f"{message.sender_name} <{message.sender_email}>" if message.sender_name else message.sender_email,
            "from_email": message.sender_email,
            "to": list(message.to_emails),
            "cc": list(message.cc_emails),
            "thread_id": message.thread_id,
            "rfc822_message_id": message.rfc822_message_id,
            "labels": list(message.labels),
            "attachments": list(message.attachment_names),
            "excerpt": message.body_text[:EXCERPT_CHARS],
        },
        why=why,
    )


def event_source(event: CalendarEvent, why: dict[str, Any] | None = None, snippet: str | None = None) -> SourceItem:
    return SourceItem(
        service="calendar",
        id=event.event_id,
        account_id=str(event.account_id),
        title=event.summary or "(untitled event)",
        url=event.html_link,
        when=event.start_at,
        snippet=snippet or event.description[:EXCERPT_CHARS],
        details={
            "calendar_id": event.calendar_id,
            "start": event.start_at.isoformat(),
            "end": event.end_at.isoformat(),
            "all_day": event.all_day,
            "start_date": event.start_date.isoformat() if event.start_date else None,
            "end_date": event.end_date.isoformat() if event.end_date else None,
            "time_zone": event.time_zone,
            "location": event.location,
            "meet_link": event.meet_link,
            "organizer": event.organizer_email,
            "attendees": [
                {"email": a.get("email"), "name": a.get("displayName", ""), "response": a.get("responseStatus", "")}
                for a in event.attendees or []
            ],
            "recurring_event_id": event.recurring_event_id,
        },
        why=why,
    )


def file_source(file: DriveFile, why: dict[str, Any] | None = None, snippet: str | None = None) -> SourceItem:
    return SourceItem(
        service="drive",
        id=file.file_id,
        account_id=str(file.account_id),
        title=file.name,
        url=file.web_view_link,
        when=file.modified_at,
        snippet=snippet or file.preview,
        details={
            "mime_type": file.mime_type,
            "owners": list(file.owner_emails),
            "modified": file.modified_at.isoformat(),
            "shared": file.shared,
            "excerpt": file.content_text[:EXCERPT_CHARS],
        },
        why=why,
    )


def why_matched(result: SearchResult) -> dict[str, Any]:
    return {
        "score": round(result.score, 5),
        "methods": [{"method": m.method, "rank": m.rank, "score": round(m.score, 4)} for m in result.matches],
    }


async def sources_for(engine: AsyncEngine, results: list[SearchResult]) -> list[SourceItem]:
    """The cached rows behind search results, in the results' order."""
    ids: dict[str, list[uuid.UUID]] = {}
    for result in results:
        ids.setdefault(result.service, []).append(result.item_id)
    rows: dict[uuid.UUID, Any] = {}
    async with engine.connect() as connection:
        for service, model in (("gmail", GmailMessage), ("gcal", CalendarEvent), ("gdrive", DriveFile)):
            if ids.get(service):
                found = await connection.execute(select(model).where(model.id.in_(ids[service])))
                rows.update({row.id: row for row in found})
    build = {"gmail": email_source, "gcal": event_source, "gdrive": file_source}
    return [
        build[result.service](rows[result.item_id], why_matched(result), result.snippet)
        for result in results
        if result.item_id in rows  # deleted between search and lookup
    ]


async def search_outputs(context: AgentContext, service: SearchService, params: dict[str, Any]) -> dict[str, Any]:
    """A search step's outputs: `items` (best first), `top` (the best, or None) and
    `corrections` (typos corrected before searching, as typed -> searched for)."""
    filters = params.get("filters") or {}
    limit = int(params.get("limit", 10))
    newest_first = bool(params.get("newest_first"))
    reranker = None if newest_first else context.reranker  # time, not a model, orders the newest
    query = SearchQuery(
        user_id=context.user_id,
        text=params.get("text", ""),
        services=(service,),
        filters=SearchFilters(**{name: _filter_value(name, value) for name, value in filters.items()}),
        limit=reranker.fetch_limit(limit) if reranker else limit,
        filters_required=bool(params.get("filters_required", False)),
    )
    response = await context.search.search(query)
    results = [r for r in response.results if _relevant(r)]
    if newest_first:  # "my most recent invoice": the most relevant, newest first
        results = sorted(results[:limit], key=lambda r: r.item_time or datetime.min.replace(tzinfo=UTC), reverse=True)
    elif reranker:
        results = await reranker.rerank(query.text, results, context.timezone, terms=response.terms)
    items = await sources_for(context.engine, results[:limit])
    if params.get("title"):
        items = prefer_title(items, params["title"], context.now)
    return {"items": items, "top": items[0] if items else None, "corrections": response.corrections}


_WORD = re.compile(r"[\w']+")


def prefer_title(items: list[SourceItem], request: str, now: datetime) -> list[SourceItem]:
    """The item the request names first: the one whose title words all appear in the
    request, and the most of them ("delete the dinner for Olivia's birthday" names
    "Dinner for Olivia's birthday", not "Olivia's birthday"); upcoming occurrences
    before past ones. Items no title names keep the search order.
    """
    asked = set(_WORD.findall(request.lower()))

    def named(item: SourceItem) -> int:
        words = set(_WORD.findall(item.title.lower()))
        return len(words) if words and len(words & asked) >= 0.8 * len(words) else 0

    best = max((named(item) for item in items), default=0)
    if best == 0:
        return items
    chosen = [item for item in items if named(item) == best]
    chosen.sort(key=lambda item: (item.when is not None and item.when < now, item.when or now))
    return chosen + [item for item in items if item not in chosen]


#: Vector search always returns the nearest items, however far. A result that only the
#: plain vector search found must be at least this similar to be worth showing.
MIN_VECTOR_ONLY_SIMILARITY = 0.35


def _relevant(result: SearchResult) -> bool:
    if any(match.method != "vector" for match in result.matches):
        return True
    return max(match.score for match in result.matches) >= MIN_VECTOR_ONLY_SIMILARITY


def _filter_value(name: str, value: Any) -> Any:
    """Plan params are JSON: lists become tuples, ISO strings become datetimes."""
    if name in ("after", "before") and isinstance(value, str):
        return datetime.fromisoformat(value)
    return tuple(value) if isinstance(value, list) else value


async def cached_item(context: AgentContext, service: str, item_id: str) -> SourceItem:
    """One of the user's items by its Google id (a read of an earlier answer's item).

    From the cache; an item not synced yet is fetched from Google, written through to
    the cache, and read from there.
    """
    item = await _from_cache(context, service, item_id)
    if item is None:
        await _fetch_live(context, service, item_id)
        item = await _from_cache(context, service, item_id)
    if item is None:
        raise StepFailed(f"that {spec(service).noun} is no longer there")
    return item


async def _from_cache(context: AgentContext, service: str, item_id: str) -> SourceItem | None:
    model, column, build = {
        "gmail": (GmailMessage, GmailMessage.message_id, email_source),
        "calendar": (CalendarEvent, CalendarEvent.event_id, event_source),
        "drive": (DriveFile, DriveFile.file_id, file_source),
    }[service]
    async with context.engine.connect() as connection:
        row = (
            await connection.execute(select(model).where(model.user_id == context.user_id, column == item_id))
        ).first()
    if row is None:
        return None
    item = build(row)
    item.details["body"] = (
        getattr(row, "body_text", None) or getattr(row, "content_text", None) or getattr(row, "description", "")
    )
    return item


async def _fetch_live(context: AgentContext, service: str, item_id: str) -> None:
    """Find the item in the user's accounts at Google and index it; nothing if none has it."""
    from googleapiclient.errors import HttpError

    from assistant.google.api import http_status
    from assistant.google.content import parse_gmail_message
    from assistant.google.resources import EXPORTS, FILE_FIELDS, event_item, file_item

    for account in await context.accounts():
        api = await context.google(account.id, {"gmail": "gmail", "calendar": "calendar", "drive": "drive"}[service])  # type: ignore[arg-type]
        try:
            if service == "gmail":
                message = await api.call(lambda s: s.users().messages().get(userId="me", id=item_id, format="full"))
                found: Any = parse_gmail_message(message)[0]
            elif service == "calendar":
                found = event_item(
                    await api.call(lambda s: s.events().get(calendarId="primary", eventId=item_id)),
                    str(context.timezone),
                )
            else:
                file = await api.call(lambda s: s.files().get(fileId=item_id, fields=FILE_FIELDS))
                text = ""
                if (export := EXPORTS.get(file["mimeType"])) is not None:
                    data = await api.call(lambda s: s.files().export(fileId=item_id, mimeType=export))
                    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else str(data)
                found = file_item(file, text)
        except HttpError as error:
            if http_status(error) in (400, 404):
                continue  # not this account's item
            raise
        await context.indexer.index(context.user_id, account.id, [found])
        return


class CacheReader:
    """Search and read over the caches: the read steps every agent runs the same way."""

    service: Service
    #: The service's name in the caches and in search ("gmail", "gcal", "gdrive").
    cache_service: SearchService

    async def run(self, step: PlanStep, inputs: dict[str, Any], context: AgentContext) -> dict[str, Any]:
        if step.operation == "search":
            return await search_outputs(context, self.cache_service, step.params)
        if step.operation == "read":
            return {"item": await cached_item(context, self.service, step.params["id"])}
        raise StepFailed(f"{self.service} cannot {step.operation}")
