"""Reading a service's cache: search steps, reads of one item, and cached rows as sources.

`CacheReader` is what every agent's read steps share; each service's agent (its own
module) says how its rows become sources and how to fetch one item from Google.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from googleapiclient.errors import HttpError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from assistant.agents.base import BaseAgent, SourceItem, StepFailed
from assistant.agents.context import AgentContext
from assistant.core.services import spec
from assistant.google.api import GoogleApi, http_status
from assistant.plan import Operation, PlanStep, Service
from search.indexing import Item
from search.query import SearchFilters, SearchQuery, SearchResult
from search.query import Service as SearchService

#: How much of an item's text a source carries for the source panel and the answer.
EXCERPT_CHARS = 600


def why_matched(result: SearchResult) -> dict[str, Any]:
    return {
        "score": round(result.score, 5),
        "methods": [{"method": m.method, "rank": m.rank, "score": round(m.score, 4)} for m in result.matches],
    }


async def search_outputs(context: AgentContext, reader: CacheReader, params: dict[str, Any]) -> dict[str, Any]:
    """A search step's outputs: `items` (best first), `top` (the best, or None) and
    `corrections` (typos corrected before searching, as typed -> searched for)."""
    filters = params.get("filters") or {}
    limit = int(params.get("limit", 10))
    newest_first = bool(params.get("newest_first"))
    reranker = None if newest_first else context.reranker  # time, not a model, orders the newest
    query = SearchQuery(
        user_id=context.user_id,
        text=params.get("text", ""),
        services=(reader.cache_service,),
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
    items = await reader.sources_for(context.engine, results[:limit])
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


@dataclass(frozen=True)
class SourcePanel:
    """What a source's side panel shows: labelled fields, an excerpt, the link's words."""

    fields: list[tuple[str, str]]
    excerpt: str
    link: str


class CacheReader(BaseAgent):
    """Search and read over one service's cache: the read steps every agent runs the same
    way. A service's agent says how its rows become sources and how to fetch one item
    from Google; the rest is here."""

    service: Service
    #: The service's name in the caches and in search ("gmail", "gcal", "gdrive").
    cache_service: SearchService
    #: The cache's model (a `core.models` class with `id` and `user_id`), and the name of
    #: its column holding Google's id of the item.
    model: type[Any]
    google_id: str

    @abstractmethod
    def source(self, row: Any, why: dict[str, Any] | None = None, snippet: str | None = None) -> SourceItem:
        """A cached row as a source, with what the source panel shows."""

    @abstractmethod
    def panel(self, source: SourceItem, zone: ZoneInfo) -> SourcePanel:
        """The source's side panel, with times in the user's zone `zone`."""

    @abstractmethod
    def full_text(self, row: Any) -> str:
        """The row's whole text (a read shows it all, not the excerpt)."""

    @abstractmethod
    async def fetch(self, api: GoogleApi, item_id: str, context: AgentContext) -> Item:
        """The item by its Google id, from Google, as the cache's item (HttpError 404 if absent)."""

    async def run(self, step: PlanStep, inputs: dict[str, Any], context: AgentContext) -> dict[str, Any]:
        if step.operation == Operation.SEARCH:
            return await search_outputs(context, self, step.params)
        if step.operation == Operation.READ:
            return {"item": await self.cached_item(context, step.params["id"])}
        raise StepFailed(f"{self.service} cannot {step.operation}")

    async def sources_for(self, engine: AsyncEngine, results: list[SearchResult]) -> list[SourceItem]:
        """The cached rows behind search results, in the results' order."""
        ids = [result.item_id for result in results]
        async with engine.connect() as connection:
            found = await connection.execute(select(self.model).where(self.model.id.in_(ids)))
            rows = {row.id: row for row in found}
        return [
            self.source(rows[result.item_id], why_matched(result), result.snippet)
            for result in results
            if result.item_id in rows  # deleted between search and lookup
        ]

    async def cached_item(self, context: AgentContext, item_id: str) -> SourceItem:
        """One of the user's items by its Google id (a read of an earlier answer's item).

        From the cache; an item not synced yet is fetched from Google, written through to
        the cache, and read from there.
        """
        item = await self._from_cache(context, item_id)
        if item is None:
            await self._fetch_live(context, item_id)
            item = await self._from_cache(context, item_id)
        if item is None:
            raise StepFailed(f"that {spec(self.service).noun} is no longer there")
        return item

    async def _from_cache(self, context: AgentContext, item_id: str) -> SourceItem | None:
        async with context.engine.connect() as connection:
            statement = select(self.model).where(
                self.model.user_id == context.user_id, getattr(self.model, self.google_id) == item_id
            )
            row = (await connection.execute(statement)).first()
        if row is None:
            return None
        item = self.source(row)
        item.details["body"] = self.full_text(row)
        return item

    async def _fetch_live(self, context: AgentContext, item_id: str) -> None:
        """Find the item in the user's accounts at Google and index it; nothing if none has it."""
        for account in await context.accounts():
            api = await context.google(account.id, self.service)
            try:
                found = await self.fetch(api, item_id, context)
            except HttpError as error:
                if http_status(error) in (400, 404):
                    continue  # not this account's item
                raise
            await context.indexer.index(context.user_id, account.id, [found])
            return
