"""Hybrid search: full text, vector and filtered vector run concurrently, fused with RRF.

    text ─▶ typos corrected ─▶ acronyms both ways ─▶ meaningful terms ─▶ full text (BM25) ──────┐
                                               └─▶ query vector (Redis-cached) ─▶ vector (HNSW) ┤
    filters ─▶ names resolved to addresses ─▶ filtered vector (x1.5) ───────────────────────────┤
          ┌─────────────────────────────────────────────────────────────────────────────────────┘
          └─▶ RRF (k=60) ─▶ rerank ─▶ top N

Chunks fold into their item (an item ranks where its best chunk ranks), so a long email
counts once. The fused scores are then reranked: an item whose title holds the query's
distinctive words gains up to its score again, bulk mail (Promotions, Social, and senders
the user never answers) keeps half of it, when the filters name people only the items that
pass them stay, and a repeated mailing shows once. Each result says which methods found
it, at which rank, with which score, and shows the passage that matched best.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assistant.core.text import preview
from search import acronyms, retrievers, spelling
from search.embeddings import QueryEmbeddingCache
from search.fusion import FILTERED_WEIGHT, reciprocal_rank_fusion
from search.people import resolve_person, unanswered_senders
from search.query import Method, MethodMatch, SearchQuery, SearchResult, Service
from search.retrievers import Candidate, Scope
from search.terms import meaningful_terms, or_query, topic_text

log = logging.getLogger(__name__)

ItemKey = tuple[Service, uuid.UUID]
#: Measured (eval search hybrid P@5, with mailings as bulk): 0.7 -> 0.794, 0.5 -> 0.811; 0.3,
#: 0.4 and 0.6 each scored below 0.5 (search/README.md). enron_dev has no bulk mail.
BULK_WEIGHT = 0.5
#: Measured (hybrid P@5, demo set / enron_dev condensed): 0 -> 0.750 / 0.551, 0.5 -> 0.761 /
#: 0.547, 1 -> 0.784 / 0.551, 2 -> 0.781 / 0.529.
TITLE_MATCH_WEIGHT = 1.0
#: Copies of one text further apart than this are separate mailings, not one message filed twice.
REPEAT_SPAN = timedelta(days=1)
T = TypeVar("T")


@dataclass
class SearchResponse:
    """The fused results and, for evaluation and the UI, each method's own ranking."""

    results: list[SearchResult]
    rankings: dict[Method, list[ItemKey]] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)
    #: Typos corrected before searching ("confrences" -> "conferences").
    corrections: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PreparedQuery:
    """A query as search runs it (`HybridSearch.prepare`)."""

    query: SearchQuery
    terms: list[str]
    #: Typos corrected before searching ("confrences" -> "conferences").
    corrections: dict[str, str]


class HybridSearch:
    """Searches one database with one embedder; safe to share across concurrent requests."""

    def __init__(self, engine: AsyncEngine, query_embeddings: QueryEmbeddingCache) -> None:
        self.engine = engine
        self.query_embeddings = query_embeddings

    async def prepare(self, query: SearchQuery, timings: dict[str, float] | None = None) -> PreparedQuery:
        """The query as search runs it: typos corrected against the user's own words,
        acronyms widened ("the second half" is also "H2"), and its terms. One round trip
        at most (spelling, only when a word is no English word); no embedding."""
        corrections: dict[str, str] = {}
        suspects = spelling.suspects(query.text)  # words that are no English word: maybe typos
        if suspects:
            corrected = await _timed(
                timings if timings is not None else {},
                "spelling",
                lambda: self._with_connection(
                    lambda c: spelling.correct(c, query.user_id, query.services, query.text, suspects)
                ),
            )
            query, corrections = replace(query, text=corrected.text), corrected.corrections
        query = replace(query, text=acronyms.widen(query.text))
        return PreparedQuery(query, meaningful_terms(query.text, dated=_dated(query)), corrections)

    async def search(self, query: SearchQuery) -> SearchResponse:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        prepared = await self.prepare(query, timings)
        query, terms, corrections = prepared.query, prepared.terms, prepared.corrections
        has_filters = not query.filters.is_empty()
        strict = query.filters_required and has_filters
        # Name resolution and the query embedding start at once; full text needs neither.
        scope_task = (
            asyncio.create_task(_timed(timings, "resolve_people", lambda: self._scope(query))) if has_filters else None
        )
        mailings_task = (
            asyncio.create_task(
                _timed(
                    timings, "unanswered", lambda: self._with_connection(lambda c: unanswered_senders(c, query.user_id))
                )
            )
            if "gmail" in query.services
            else None
        )
        vector_task = (
            asyncio.create_task(
                _timed(timings, "embed_query", lambda: self.query_embeddings.embed_query(vector_text(query)))
            )
            if terms
            else None
        )

        async def run_fulltext() -> list[Candidate]:
            scope = await scope_task if strict and scope_task else _plain_scope(query)
            return await self._with_connection(lambda c: retrievers.fulltext(c, scope, query.services, terms))

        async def run_vector() -> list[Candidate]:
            assert vector_task is not None  # scheduled whenever there are terms
            query_vector = await vector_task
            return await self._with_connection(
                lambda c: retrievers.vector(c, _plain_scope(query), query.services, query_vector)
            )

        async def run_filtered() -> list[Candidate]:
            scope = await scope_task if scope_task else _plain_scope(query)
            query_vector = await vector_task if vector_task else None
            return await self._with_connection(
                lambda c: retrievers.filtered_vector(c, scope, query.services, query_vector)
            )

        methods: dict[Method, Callable[[], Awaitable[list[Candidate]]]] = {}
        if terms:
            methods["fulltext"] = run_fulltext
            if not strict:
                methods["vector"] = run_vector
        if has_filters or not terms:
            # Without terms the filters alone select, newest first; with neither it is a
            # listing of the newest items ("show my latest emails").
            methods["filtered"] = run_filtered
        lists = await asyncio.gather(*(_timed(timings, name, run) for name, run in methods.items()))
        candidates: dict[Method, list[Candidate]] = dict(zip(methods, lists, strict=True))
        f = query.filters
        mailings = await mailings_task if mailings_task else frozenset[str]()
        results = self._fuse(
            candidates,
            query.limit,
            weighted=has_filters,
            mailings=mailings,
            people_named=bool(f.people or f.senders or f.recipients),
            full_names=tuple(name for name in f.people if len(name.split()) > 1),
        )
        await _timed(timings, "snippets", lambda: self._add_fulltext_snippets(results, terms))
        timings["total"] = (time.perf_counter() - started) * 1000
        return SearchResponse(
            results=results,
            rankings={name: [(c.service, c.item_id) for c in found] for name, found in candidates.items()},
            timings_ms=timings,
            terms=terms,
            corrections=corrections,
        )

    async def _scope(self, query: SearchQuery) -> Scope:
        f = query.filters
        if not (f.people or f.senders or f.recipients):
            return _plain_scope(query)  # nothing to resolve: no round trip
        async with self.engine.connect() as connection:

            async def resolve(names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
                return tuple([tuple(await resolve_person(connection, query.user_id, n)) for n in names])

            people, senders, recipients = (
                await resolve(f.people),
                await resolve(f.senders),
                await resolve(f.recipients),
            )
        return Scope(query.user_id, query.account_ids, f, people, senders, recipients)

    async def _with_connection(self, run: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async with self.engine.connect() as connection:
            return await run(connection)

    def _fuse(
        self,
        candidates: dict[Method, list[Candidate]],
        limit: int,
        *,
        weighted: bool,
        people_named: bool,
        mailings: frozenset[str],
        full_names: tuple[str, ...],
    ) -> list[SearchResult]:
        by_key: dict[ItemKey, dict[Method, tuple[int, Candidate]]] = {}
        for method, found in candidates.items():
            for rank, candidate in enumerate(found, start=1):
                by_key.setdefault((candidate.service, candidate.item_id), {})[method] = (rank, candidate)
        fused = reciprocal_rank_fusion(
            {method: [(c.service, c.item_id) for c in found] for method, found in candidates.items()},
            weights={"filtered": FILTERED_WEIGHT} if weighted else None,
        )

        # Rerank: an item whose title holds the query's distinctive words gains up to
        # TITLE_MATCH_WEIGHT of its fused score (people name mail, events and files by their
        # subject), and bulk mail keeps BULK_WEIGHT of it, so an airline's advert does not
        # outrank the booking it resembles. Bulk is what Gmail files under Promotions and
        # Social, and mail from senders who write often and whom the user never answered
        # (`mailings`: notifications, receipts, newsletters, templated outreach).
        def weighted_score(key: ItemKey, score: float) -> float:
            hits = [candidate for _, candidate in by_key[key].values()]
            score *= 1 + TITLE_MATCH_WEIGHT * max(candidate.title_share for candidate in hits)
            bulk = hits[0].bulk or hits[0].sender in mailings
            return score * BULK_WEIGHT if bulk else score

        ranked = sorted(((weighted_score(e.key, e.score), e.key) for e in fused), key=lambda pair: -pair[0])
        # A named person is a constraint, not a hint: "emails about the budget from Sarah"
        # must not open with Tom's budget mail. Only items of the filtered list (those that
        # pass the filters) stay, ranked by all three lists; if none passes (a name that
        # matches nobody the user knows), the names only boost. (Time, labels, flags and
        # type are checked by every method's SQL.) An
        # item whose title names a person given by full name is about them and stays too
        # ("Lena Fischer" keeps "Offer for Lena Fischer - approval", written by HR to the
        # user); a first name alone is too ambiguous for that.
        passing = {(c.service, c.item_id) for c in candidates.get("filtered", [])}
        if full_names and passing:
            named = re.compile("|".join(rf"\b{re.escape(name)}\b" for name in full_names), re.IGNORECASE)
            passing |= {key for key, found_by in by_key.items() if named.search(next(iter(found_by.values()))[1].title)}
        if people_named and passing:
            ranked = [(score, key) for score, key in ranked if key in passing]
        ranked = fold_repeated_mailings(ranked, {key: next(iter(hits.values()))[1] for key, hits in by_key.items()})
        results = []
        for score, key in ranked[:limit]:
            found_by = by_key[key]
            # The passage to show: the vector methods' best chunk, else full text's.
            best = min(found_by.values(), key=lambda hit: (hit[1].snippet == "", hit[0]))[1]
            matches = tuple(
                MethodMatch(method=method, rank=rank, score=float(candidate.score))
                for method, (rank, candidate) in found_by.items()
            )
            results.append(
                SearchResult(
                    service=best.service,
                    item_id=best.item_id,
                    account_id=best.account_id,
                    google_id=best.google_id,
                    title=best.title,
                    snippet=preview(best.snippet),
                    item_time=best.item_time,
                    people=best.people,
                    link=best.link,
                    score=score,
                    matches=matches,
                )
            )
        return results

    async def _add_fulltext_snippets(self, results: list[SearchResult], terms: list[str]) -> None:
        """Highlighted passages for results only full text found (they have no chunk)."""
        missing = [i for i, result in enumerate(results) if not result.snippet]
        headlines = await self.headlines([results[i].item_id for i in missing], terms)
        for i in missing:
            results[i] = replace(results[i], snippet=headlines.get(results[i].item_id, ""))

    async def headlines(self, ids: list[uuid.UUID], terms: list[str]) -> dict[uuid.UUID, str]:
        """The passage of each item (of any service) where `terms` occur, by item id."""
        if not ids or not terms:
            return {}
        rows = await self._with_connection(
            lambda c: c.execute(text(_HEADLINES), {"ids": ids, "tsquery": or_query(terms)})
        )
        return {row.id: preview(row.headline or "") for row in rows}


_BODIES = " UNION ALL ".join(
    f"SELECT t.id, {sql.body} AS body FROM {sql.table} t WHERE t.id = ANY(:ids)" for sql in retrievers.SERVICES.values()
)
_HEADLINES = f"""
    SELECT b.id, ts_headline('english', left(b.body, 20000), to_tsquery('english', :tsquery),
                             'MaxFragments=1, MaxWords=40, MinWords=15, StartSel="", StopSel=""') AS headline
    FROM ({_BODIES}) b
"""


def fold_repeated_mailings(
    ranked: list[tuple[float, ItemKey]], candidates: dict[ItemKey, Candidate]
) -> list[tuple[float, ItemKey]]:
    """The ranking with each repeated mailing at its best-ranked copy, the other copies last.

    A repeated mailing is one text (same subject and body) sent at times more than
    REPEAT_SPAN apart or by different senders: a weekly advert, a template that many
    senders use. Twenty copies of "Budget-friendly venues for your next offsite" said
    nothing that one does not. Copies of one message within REPEAT_SPAN from one sender
    are the same message filed twice (sent and received, two folders) and stay where they
    rank.
    """
    copies: dict[uuid.UUID, list[Candidate]] = {}
    for _, key in ranked:
        candidate = candidates[key]
        if candidate.content_hash is not None:
            copies.setdefault(candidate.content_hash, []).append(candidate)
    folded: set[ItemKey] = set()
    for group in copies.values():
        times = [c.item_time for c in group if c.item_time is not None]
        spread = max(times) - min(times) if times else timedelta(0)
        if len(group) > 1 and (spread > REPEAT_SPAN or len({c.sender for c in group}) > 1):
            folded.update((c.service, c.item_id) for c in group[1:])
    return [pair for pair in ranked if pair[1] not in folded] + [pair for pair in ranked if pair[1] in folded]


def vector_text(query: SearchQuery) -> str:
    """The text the query vector is computed from, and cached under."""
    return topic_text(query.text, dated=_dated(query))


def _dated(query: SearchQuery) -> bool:
    """Whether the request's time words became a date filter (they then leave the text)."""
    return query.filters.after is not None or query.filters.before is not None


def _plain_scope(query: SearchQuery) -> Scope:
    """The caller's scope with no names resolved: its filters on time, labels, flags and
    type apply, people do not."""
    return Scope(query.user_id, query.account_ids, query.filters)


async def _timed(timings: dict[str, float], name: str, run: Callable[[], Awaitable[T]]) -> T:
    started = time.perf_counter()
    try:
        return await run()
    finally:
        timings[name] = (time.perf_counter() - started) * 1000
