"""Reading a service's cache: search steps, reads of one item, and cached rows as sources.

`CacheReader` is what every agent's read steps share; each service's agent (its own
module) says how its rows become sources and how to fetch one item from Google.
"""

from __future__ import annotations

import itertools
import re
import uuid
from abc import abstractmethod
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from googleapiclient.errors import HttpError
from rapidfuzz.distance import DamerauLevenshtein
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assistant.agents.base import Ambiguous, BaseAgent, SourceItem, StepFailed
from assistant.agents.context import AgentContext
from assistant.core.services import spec
from assistant.google.api import GoogleApi, http_status
from assistant.plan import Operation, PlanStep, Service
from assistant.understanding.schema import Clarification
from search import acronyms, retrievers
from search.indexing import Item
from search.people import resolve_person
from search.query import SearchFilters, SearchQuery, SearchResult
from search.query import Service as SearchService
from search.retrievers import Scope, WeightedTerm
from search.terms import meaningful_terms

#: How much of an item's text a source carries for the source panel and the answer.
EXCERPT_CHARS = 600


def why_matched(result: SearchResult) -> dict[str, Any]:
    return {
        "score": round(result.score, 5),
        "methods": [{"method": m.method, "rank": m.rank, "score": round(m.score, 4)} for m in result.matches],
    }


#: How a search step may order what it finds before taking `count` of them.
ORDERS = ("relevance", "next", "latest", "earliest")
#: The most search ranks at once (`SearchQuery.limit`).
MAX_RANKED = 100
#: In a listing by time, an item matches the request's words when the terms it holds weigh
#: (by IDF) at least this share of the request's: "the latest email about the Q4 financial
#: review" is the newest holding "Q4", "financial" and "review" (or all but a very common
#: one), not the newest saying "review"; "the next design review" is no other review.
LISTING_COVERAGE = 0.8


async def search_outputs(context: AgentContext, reader: CacheReader, params: dict[str, Any]) -> dict[str, Any]:
    """`_search_outputs`, less the items of `exclude` (ids shown already: "show me more"
    is the matches after those)."""
    exclude = set(params.get("exclude") or [])
    if not exclude:
        return await _search_outputs(context, reader, params)
    wanted = int(params["count"]) if params.get("count") is not None else int(params.get("limit", 10))
    widened = params | {"limit": int(params.get("limit", 10)) + len(exclude)}
    if params.get("count") is not None:
        widened["count"] = wanted + len(exclude)
    found = await _search_outputs(context, reader, widened)
    items = [item for item in found["items"] if item.id not in exclude][:wanted]
    total = max(0, int(found.get("total", 0)) - len(exclude & {item.id for item in found["items"]}))
    return found | {"items": items, "top": items[0] if items else None, "total": total}


async def _search_outputs(context: AgentContext, reader: CacheReader, params: dict[str, Any]) -> dict[str, Any]:
    """A search step's outputs: `items`, `top` (the first, or None), `corrections` (typos
    corrected before searching, as typed -> searched for) and `total` (how many matched).

    Params beside `text`, `filters`, `limit`, `filters_required` and `title`:

    - `order`: "relevance" (the default: search's ranking, then the reranker), "next",
      "latest" or "earliest". Calendar: "next" is the events starting at or after
      `context.now` (one already under way is not next), soonest first; "latest" the events
      that started before now, the most recent first; "earliest" all of them, the first
      first. Mail and files: "latest" newest first and "earliest" oldest first by the item's
      time (sent, modified); "next" means nothing there (mail and files have no future) and
      is "relevance". A time order lists every item that matches (`_listing`), not only the
      best-ranked ones, so "the next 1:1 with Priya" is the coming occurrence of a weekly
      series whatever its hundred later ones.
    - `or_latest`: with "next", the latest one when none is coming (a change or a
      cancellation that names an event without saying which occurrence).
    - `count`: how many items to return (default `limit`).
    - `every`: every matching item, up to the `bulk_cap` setting, in `order`; `total` then
      counts them all, beyond the cap too.
    - `newest_first` (older plans): the most relevant `limit` results, newest first, as
      before; `order` supersedes it.

    `exclude` (ids) leaves out items shown already (`search_outputs`); `lexical` keeps,
    in relevance order, only items whose words match (not those only similar in meaning).

    `total` is how many items match in all, counted exactly in a time order or with
    `every` (beyond `count` and the cap), and the number returned in relevance order.
    `title` puts the item the request names first in relevance order only: a time order
    is the order asked for.
    """
    order = params.get("order") or "relevance"
    if order not in ORDERS:
        raise StepFailed(f"a search cannot be ordered by {order!r}")
    if order == "next" and reader.cache_service != "gcal":
        order = "relevance"  # mail and files have no future: the best match
    every = bool(params.get("every"))
    if every and order == "relevance" and params.get("newest_first"):
        order = "latest"
    if order == "relevance" and not every:
        return await _ranked_outputs(context, reader, params)
    found = await _listed_outputs(context, reader, params, order, every)
    if not found["items"] and order == "next" and params.get("or_latest"):
        # "delete the dinner for Olivia's birthday" when it has passed: the last one, then.
        found = await _listed_outputs(context, reader, params, "latest", every)
    return found


async def _ranked_outputs(context: AgentContext, reader: CacheReader, params: dict[str, Any]) -> dict[str, Any]:
    """The best matches, ranked by search (and the reranker, or newest first)."""
    filters = params.get("filters") or {}
    limit = int(params.get("limit", 10))
    if params.get("count") is not None:
        limit = max(1, min(int(params["count"]), MAX_RANKED))
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
    if params.get("lexical"):
        items = _saying_it(items)
    if reader.service in NAMED_BY_TITLE:
        items = prefer_covering(items, query.text)
    if params.get("title"):
        items = prefer_title(items, params["title"], context.now)
    if params.get("one") and reader.service in NAMED_BY_TITLE:
        _one_of_a_name(items, reader.service, context.timezone)
    return {
        "items": items,
        "top": items[0] if items else None,
        "corrections": response.corrections,
        "total": len(items),
    }


async def _listed_outputs(
    context: AgentContext, reader: CacheReader, params: dict[str, Any], order: str, every: bool
) -> dict[str, Any]:
    """Every item matching the words and filters, in `order`; `count` of them, or all (to
    the cap) with `every`.

    The words are search's (`HybridSearch.prepare`: typos corrected, acronyms widened):
    its terms are what the listing matches. Search itself runs only when its ranking is
    needed: to put the best matches first (`every` in relevance order), or when no item
    holds the words (a paraphrase), where the matches are search's results close in
    meaning (MIN_VECTOR_ONLY_SIMILARITY) that pass the filters. A time order needs no
    ranking, so the common "the next X" costs no embedding and no vector search.
    Without `every`, the items titled with the words come first when there are any
    (`_listing`'s `by_title`). When the filters name people who match no one, nothing
    matches.
    """
    filters = SearchFilters(
        **{name: _filter_value(name, value) for name, value in (params.get("filters") or {}).items()}
    )
    if reader.cache_service == "gcal" and order == "next":
        filters = replace(filters, after=max(filters.after or context.now, context.now))
    elif reader.cache_service == "gcal" and order == "latest":
        filters = replace(filters, before=min(filters.before or context.now, context.now))
    shown = int(params["count"]) if params.get("count") is not None else int(params.get("limit", 10))
    cap = context.settings.bulk_cap if every else max(1, shown)
    text = params.get("text", "")
    query = SearchQuery(
        user_id=context.user_id,
        text=text,
        services=(reader.cache_service,),
        filters=filters,
        limit=MAX_RANKED,
        filters_required=bool(params.get("filters_required", False)),
    )
    response = await context.search.search(query) if order == "relevance" else None
    prepared = await context.search.prepare(query) if response is None else None
    terms = response.terms if response else prepared.terms if prepared else []
    corrections = response.corrections if response else prepared.corrections if prepared else {}
    ranked = {r.item_id: r for r in response.results if _relevant(r)} if response else {}
    words = Words(terms, _typed_terms(text, corrections, filters))

    async def listing(
        words: Words, order: str, limit: int, only: list[uuid.UUID] | None = None, *, by_title: bool = False
    ) -> Listing:
        return await _listing(
            context.engine, context.user_id, reader.cache_service, filters, words, order, limit, only, by_title=by_title
        )

    # "The latest X" is among the items titled X when there are any; "every X", all that hold X.
    # A few more are looked at when a title is named: one titled exactly so comes first
    # ("the Q4 Financial Review" is not "Prep: Q4 Financial Review", however soon that is).
    wanted = cap
    if params.get("title") and not every:
        cap = max(cap, TITLED_LOOKAHEAD)
    ids, total = await listing(words, order, cap, by_title=not every)
    if order == "relevance" and ids:  # search's best matches first, then the others, newest first
        best, _ = await listing(words, order, len(ranked), only=list(ranked))
        matching = set(best)
        ids = ([i for i in ranked if i in matching] + [i for i in ids if i not in matching])[:cap]
    if not ids and not every and len(words.typed) >= LEAVE_ONE_OUT_FROM:
        # "the Project Beacon kickoff" is the event "Beacon kickoff": every word but one,
        # before meaning alone (which, in a time order, would take the soonest loose match).
        for left_out in words.typed:
            fewer = Words([w for w in words.searched if w != left_out], [w for w in words.typed if w != left_out])
            ids, total = await listing(fewer, order, cap, by_title=True)
            if ids:
                break
    if not ids and words.searched:  # no item holds the words: those close in meaning
        response = response or await context.search.search(query)
        close = [r for r in response.results if _similarity(r) >= MIN_VECTOR_ONLY_SIMILARITY]
        passing, _ = await listing(Words([], []), order, len(close), only=[r.item_id for r in close])
        found = [r for r in close if r.item_id in set(passing)]
        if order != "relevance":
            found.sort(key=lambda r: r.item_time or datetime.min.replace(tzinfo=UTC), reverse=order == "latest")
        ids, total = [r.item_id for r in found][:cap], len(found)
    # The passages search would have shown; a bulk listing shows titles, not passages.
    headlines = {} if every else await context.search.headlines([i for i in ids if i not in ranked], terms)
    items = await reader.listed_sources(context.engine, ids, ranked, order, headlines)
    if params.get("title") and not every:
        items = titled_exactly_first(items, str(params["title"]))[:wanted]
    return {"items": items, "top": items[0] if items else None, "corrections": corrections, "total": total}


#: With this many words or more, an ordered listing that finds nothing tries them all but one.
LEAVE_ONE_OUT_FROM = 3
#: How many items titled with the words are looked at for one titled exactly so.
TITLED_LOOKAHEAD = 5


def titled_exactly_first(items: list[SourceItem], title: str) -> list[SourceItem]:
    """The items whose title holds `title`'s words, those with the fewest other words first
    ("the Q4 review" is "Q4 Financial Review" before "Prep: Q4 Financial Review"), then the
    others; ties keep the order given."""
    said = set(_WORD.findall(title.lower()))

    def extra(item: SourceItem) -> int:
        words = set(_WORD.findall(item.title.lower()))
        return len(words - said) if said <= words else len(words) + len(said)

    return sorted(items, key=extra)


@dataclass(frozen=True)
class Words:
    """A request's words as search took them: `searched`, the terms it matched (typos
    corrected, acronyms widened both ways); `typed`, those the request itself holds."""

    searched: list[str]
    typed: list[str]


#: The ids listed, in order, and how many items match in all.
Listing = tuple[list[uuid.UUID], int]


def _typed_terms(text: str, corrections: dict[str, str], filters: SearchFilters) -> list[str]:
    """The request's own terms, typos corrected as search corrected them (an acronym's
    widening is not the request's: an item holding either form holds the request)."""
    for typed, corrected in corrections.items():
        text = re.sub(rf"\b{re.escape(typed)}\b", corrected, text, flags=re.IGNORECASE)
    return meaningful_terms(text, dated=filters.after is not None or filters.before is not None)


def _similarity(result: SearchResult) -> float:
    """How close in meaning the item is to the request (the vector methods' cosine)."""
    return max((m.score for m in result.matches if m.method in ("vector", "filtered")), default=0.0)


async def _listing(
    engine: AsyncEngine,
    user_id: uuid.UUID,
    service: SearchService,
    filters: SearchFilters,
    words: Words,
    order: str,
    limit: int,
    only: list[uuid.UUID] | None = None,
    *,
    by_title: bool = False,
) -> Listing:
    """The cache ids of the items passing `filters` and holding the words (every item
    passing the filters when there are none), ordered by time ("relevance": newest first),
    the first `limit` (among `only`, when given), and how many match in all.

    An item holds the words when the terms it holds (any of search's, an acronym or its
    expansion alike) weigh, by their IDF, at least LISTING_COVERAGE of the request's own
    terms. With `by_title`, when some items hold them in their title (subject, event
    summary, file name), only those match: people name items by their titles, and "my most
    recent invoice email" is the newest invoice, not the newest email that mentions one.
    The filters are search's own (`Scope`: people resolved to addresses as search
    resolves them, time, labels, flags, types) and so is the text match (PostgreSQL's full
    text with search's terms); only the order and the depth differ: search ranks at most a
    hundred items, equal ones (a series' occurrences) the latest first.
    """
    if limit <= 0:
        return [], 0
    sql = retrievers.SERVICES[service]
    direction = "ASC" if order in ("next", "earliest") else "DESC"
    async with engine.connect() as connection:
        scope = await _resolved_scope(connection, user_id, filters)
        if not scope.can_satisfy(service):
            return [], 0
        where, values = scope.where(sql)
        values["limit"] = limit
        if only is not None:
            where += " AND t.id = ANY(:only)"
            values["only"] = only
        weighted = (
            (await retrievers.term_statistics(connection, user_id, (service,), words.searched)).terms
            if words.searched
            else []
        )
        if weighted:
            values["match"] = " | ".join(f"({term.tsquery})" for term in weighted)
            cover, values["needed"] = _coverage("t.search_tsv", weighted, words.typed, values)
            titled, _ = _coverage("ts_filter(t.search_tsv, '{a}')", weighted, words.typed, values)
            values["by_title"] = by_title
            statement = f"""
                WITH matched AS (
                    SELECT t.id, {sql.time} AS item_time, {cover} AS cover, {titled} AS titled FROM {sql.table} t
                    WHERE t.search_tsv @@ CAST(:match AS tsquery) AND {where}
                ), tier AS (
                    SELECT CAST(:by_title AS boolean) AND coalesce(bool_or(titled >= :needed), false) AS by_title
                    FROM matched
                )
                SELECT id, count(*) OVER () AS total FROM matched, tier
                WHERE CASE WHEN tier.by_title THEN titled ELSE cover END >= :needed
                ORDER BY item_time {direction} NULLS LAST, id LIMIT :limit
            """
        else:
            statement = f"""
                SELECT t.id, count(*) OVER () AS total FROM {sql.table} t WHERE {where}
                ORDER BY {sql.time} {direction} NULLS LAST, t.id LIMIT :limit
            """
        rows = (await connection.execute(text(statement), values)).all()
    return [row.id for row in rows], rows[0].total if rows else 0


def _coverage(vector: str, weighted: list[WeightedTerm], typed: list[str], values: dict[str, Any]) -> tuple[str, float]:
    """SQL for the weight of the request's terms an item's `vector` (its tsvector, or its
    title's) holds, its parameters added to `values`, and the weight an item must reach
    (LISTING_COVERAGE of the request's).

    An acronym and its expansion are one group: an item holding either form holds the
    group's typed words ("the second half" is held by "H2 OKRs"). Terms search added that
    are in no group weigh nothing (the request did not say them)."""
    by_term = {term.term: term for term in weighted}
    own = {term.term for term in weighted if term.term in typed} or set(by_term)
    parts: list[str] = []
    grouped: set[str] = set()

    numbers = itertools.count(sum(1 for name in values if name.startswith("cover_")))

    def parameter(value: Any) -> str:
        name = f"cover_{next(numbers)}"
        values[name] = value
        return f":{name}"

    def holds(terms: list[str]) -> str:
        return " AND ".join(f"{vector} @@ CAST({parameter(by_term[name].tsquery)} AS tsquery)" for name in terms)

    def weight(terms: list[str]) -> str:
        return f"CAST({parameter(sum(by_term[name].idf for name in terms if name in own))} AS float8)"

    for short, words in _acronym_groups(list(by_term)):
        if grouped & {short, *words}:
            continue
        grouped |= {short, *words}
        parts.append(f"CASE WHEN {holds([short])} OR ({holds(words)}) THEN {weight([short, *words])} ELSE 0 END")
    for name in by_term:
        if name not in grouped and name in own:
            parts.append(f"CASE WHEN {holds([name])} THEN {weight([name])} ELSE 0 END")
    needed = LISTING_COVERAGE * sum(by_term[name].idf for name in own)
    return " + ".join(parts) or "0", needed


def _acronym_groups(terms: list[str]) -> list[tuple[str, list[str]]]:
    """The acronyms among `terms` whose expansion's words are all there too (search widens
    a request with the other form of each acronym it uses or spells out)."""
    have = set(terms)
    groups = []
    for acronym, expansion in acronyms.EXPANSIONS.items():
        short = next((form for form in (acronym.lower(), acronym.lower() + "s") if form in have), None)
        words = meaningful_terms(expansion)
        if short is not None and words and all(word in have for word in words):
            groups.append((short, words))
    return groups


async def _resolved_scope(connection: AsyncConnection, user_id: uuid.UUID, filters: SearchFilters) -> Scope:
    """The filters with each person named resolved to the addresses search takes them for."""

    async def resolve(names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        return tuple([tuple(await resolve_person(connection, user_id, name)) for name in names])

    return Scope(
        user_id,
        None,
        filters,
        await resolve(filters.people),
        await resolve(filters.senders),
        await resolve(filters.recipients),
    )


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


#: Where people name the items by their titles: a file by its name, an event by its title
#: (mail is named by what it is about, and a subject holding the words proves little).
NAMED_BY_TITLE: frozenset[Service] = frozenset({"drive", "calendar"})


def _saying_it(items: list[SourceItem]) -> list[SourceItem]:
    """ "only the ones about the forecast": the items whose words match, and the mail in
    their threads (a reply in a thread about the forecast is about it, whatever it says);
    not those that are only alike in meaning."""
    said = [
        item
        for item in items
        if any(method.get("method") == "fulltext" for method in (item.why or {}).get("methods", []))
    ]
    threads = {item.details.get("thread_id") for item in said if item.details.get("thread_id")}
    return [item for item in items if item in said or (threads and item.details.get("thread_id") in threads)]


def _same_word(asked: str, titled: str) -> bool:
    """ "pricing" is "pricing", "price" ("prices"), or "priceing" typed one slip off."""
    if asked == titled:
        return True
    if min(len(asked), len(titled)) >= 4 and (asked.startswith(titled[:4]) and titled.startswith(asked[:4])):
        return abs(len(asked) - len(titled)) <= 3
    return min(len(asked), len(titled)) >= 5 and DamerauLevenshtein.distance(asked, titled) <= 1


def prefer_covering(items: list[SourceItem], text: str) -> list[SourceItem]:
    """The items whose title holds every word searched for first, in search order: "the
    atlas pricing sheet" is "Atlas pricing model", however much "Atlas beta feedback"
    talks about prices. With one word or none, the order stays as search gave it."""
    asked = [word for word in _WORD.findall(text.lower()) if len(word) > 1]
    if len(asked) < 2:
        return items

    covering = [item for item in items if titled_with(item, asked)]
    return covering + [item for item in items if item not in covering]


def titled_with(item: SourceItem, words: list[str]) -> bool:
    """Whether the item's title holds each of `words` (or a form of it, or it one slip off)."""
    titled = _WORD.findall(item.title.lower())
    return all(any(_same_word(word, title_word) for title_word in titled) for word in words)


def _one_of_a_name(items: list[SourceItem], service: Service, zone: ZoneInfo) -> None:
    """A write needs one item: when the best ones share a name ("Proposal: CSV export" is
    two files), which is meant is asked, with what tells them apart."""
    if len(items) < 2 or _bare(items[0].title) != _bare(items[1].title):
        return
    same = [item for item in items if _bare(item.title) == _bare(items[0].title)][:5]
    options = [
        f"{item.title}, {'edited' if service == 'drive' else 'on'} "
        f"{item.when.astimezone(zone):%-d %B %Y}"
        + (f" ({item.details['owners'][0]})" if item.details.get("owners") else "")
        if item.when
        else item.title
        for item in same
    ]
    raise Ambiguous(
        Clarification(
            kind="item",
            question=f"You have {len(same)} {spec(service).plural} called \u201c{same[0].title}\u201d: "
            "which one do you mean?",
            options=options,
        ),
        same,
    )


def _bare(title: str) -> str:
    return re.sub(r"\.(?:docx?|xlsx?|pptx?|pdf|csv|txt)$", "", title.strip().lower())


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


#: A flight or train number as bookings and calendar entries write it: "TK1980", "LH 2471".
_TRAVEL_NUMBER = re.compile(r"\b([A-Z]{2}|[A-Z]\d|\d[A-Z])\s?(\d{2,4})\b")


def travel_numbers(text: str) -> list[str]:
    """The flight (or train) numbers `text` names, once each, written without a space."""
    return list(dict.fromkeys("".join(match) for match in _TRAVEL_NUMBER.findall(text)))


def item_text(item: SourceItem) -> str:
    """An item's title and its body (or excerpt): what a booking's numbers are read from."""
    return f"{item.title}\n{item.details.get('body') or item.details.get('excerpt') or ''}"


def about_params(item: SourceItem, accounts: list[Any]) -> dict[str, Any]:
    """A search for what concerns `item` ("prepare me for my next meeting"): its title's
    words, and for a meeting its other people as anyone on the item."""
    own = {account.email.lower() for account in accounts}
    people = [a["email"] for a in item.details.get("attendees", []) if a.get("email") and a["email"].lower() not in own]
    organizer = item.details.get("organizer") or ""
    if organizer and organizer.lower() not in own and organizer not in people:
        people.append(organizer)
    numbers = travel_numbers(item_text(item))
    if item.service == "gmail" and numbers:
        # A booking's confirmation concerns the entries naming its flight or train numbers.
        return {"text": " ".join(numbers)}
    params: dict[str, Any] = {"text": item.title}
    if people:
        params["filters"] = {"people": people}
        params["filters_required"] = False  # the title may match mail from anyone
    return params


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
            about: SourceItem | list[SourceItem] | None = inputs.get("about")
            if isinstance(about, list):  # several bookings: the entries of any of them
                numbers = [n for item in about for n in travel_numbers(item_text(item))]
                params = step.params | {"text": " ".join(dict.fromkeys(numbers))}
            else:
                params = step.params | about_params(about, await context.accounts()) if about else step.params
            outputs = await search_outputs(context, self, params)
            if params.get("one") and params.get("title") and self.service in NAMED_BY_TITLE:
                outputs = await self._named_elsewhere(context, params, outputs)
            if params.get("whole") and outputs["top"] is not None:
                # The best match with its whole text (a booking's terms are past its excerpt).
                whole = await self.cached_item(context, outputs["top"].id)
                outputs["items"] = [whole, *outputs["items"][1:]]
                outputs["top"] = whole
            return outputs
        if step.operation == Operation.READ:
            return {"item": await self.cached_item(context, step.params["id"])}
        raise StepFailed(f"{self.service} cannot {step.operation}")

    async def _named_elsewhere(
        self, context: AgentContext, params: dict[str, Any], outputs: dict[str, Any]
    ) -> dict[str, Any]:
        """A write's item named by its title ("the Beacon kickoff next Thursday") that is not
        in the time said is the coming one of that name, if there is one: a day read one
        way ("next Thursday" is tomorrow, or the week after) never puts another event in
        its place."""
        words = [word for word in _WORD.findall(str(params["title"]).lower()) if len(word) > 1]
        filters = dict(params.get("filters") or {})
        if not words or any(titled_with(item, words) for item in outputs["items"]):
            return outputs
        if not {"after", "before"} & set(filters):
            return outputs
        untimed = {name: value for name, value in filters.items() if name not in ("after", "before")}
        wider = params | {"filters": untimed, "order": "next" if self.service == "calendar" else "relevance"}
        found = await search_outputs(context, self, wider)
        named = [item for item in found["items"] if titled_with(item, words)]
        return found | {"items": named, "top": named[0]} if named else outputs

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

    async def listed_sources(
        self,
        engine: AsyncEngine,
        ids: list[uuid.UUID],
        ranked: dict[uuid.UUID, SearchResult],
        order: str,
        headlines: dict[uuid.UUID, str],
    ) -> list[SourceItem]:
        """The cached rows `ids` as sources, in that order; those search ranked say why,
        the others are shown with their `headlines`."""
        async with engine.connect() as connection:
            found = await connection.execute(select(self.model).where(self.model.id.in_(ids)))
            rows = {row.id: row for row in found}
        items = []
        for item_id in ids:
            if item_id not in rows:
                continue  # deleted since
            result = ranked.get(item_id)
            why = (why_matched(result) if result else {}) | {"order": order}
            items.append(self.source(rows[item_id], why, result.snippet if result else headlines.get(item_id) or None))
        return items

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
