"""The three retrievals as SQL: full text, vector, filtered vector.

Each returns rows of one shape (`Candidate`), best first, at most one per item for full
text and one per chunk for the vector methods (folded into items by the caller). Every
statement is scoped to the caller's user id (and, when given, some of their accounts),
and drops what the user deleted: Gmail's trash and spam, cancelled events. Drive files in
the trash are never in the cache.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np
from pgvector.sqlalchemy import Vector
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from search.query import SearchFilters, Service
from search.terms import or_query

#: Field weights for term frequency, as ts_rank_cd weights for D, C, B, A (at most 1):
#: with the scale below a title (A) occurrence counts 2, a body (C) one 1, a name (B) 0.3
#: (people are mostly matched by filters). BM25F-style: fields weigh tf before saturation.
FIELD_WEIGHTS = "{0.5, 0.5, 0.15, 1.0}"
FIELD_WEIGHT_SCALE = 2
#: BM25's usual constants (Robertson et al.), not tuned to any evaluation set.
BM25_K1 = 1.2
BM25_B = 0.75
#: A term in more than this share of the user's items is too common to select candidates
#: (it still adds its small IDF-weighted score).
COMMON_TERM_SHARE = 0.25
#: Candidates each method hands to fusion. Vector candidates are chunks, folded into
#: items afterwards: a long email can take dozens of the nearest chunks, so 300 chunks
#: (typically 100-200 items) keep the vector list as deep as the full-text one.
#: Measured on enron_dev (hybrid P@5 condensed): 50 items / 100 chunks 0.54, 100 / 300 0.56.
FULLTEXT_CANDIDATES = 100
VECTOR_CANDIDATES = 300
#: Items the vector methods return after folding their chunks in SQL (fewer rows to move;
#: enron_dev hybrid P@5 condensed: 100 items 0.542, 150 items 0.551).
VECTOR_ITEMS = 150
#: HNSW search breadth: as many as the vector statements ask for, so that one pass finds
#: them when the user has the partition's graph to themselves (iterative scans continue
#: past it when other users' chunks are dropped). Bench data, a user alone in a partition,
#: 300 chunks: 2,227 buffers at ef_search 100 (a pass and a continuation), 1,425 at 300.
#: Per-user top-10 recall against exact on enron_dev's user: 0.980 at 100, 0.984-0.991 at
#: 200-400.
HNSW_EF_SEARCH = VECTOR_CANDIDATES
GMAIL_HIDDEN_LABELS = ["TRASH", "SPAM"]


@dataclass(frozen=True)
class Candidate:
    """One row of a retrieval: the item it belongs to and how well it matched."""

    service: Service
    item_id: uuid.UUID
    account_id: uuid.UUID
    google_id: str
    title: str
    item_time: datetime | None
    people: str
    link: str | None
    #: Who wrote it: an email's sender, an event's organizer ('' for files).
    sender: str
    #: Emails only: the same subject and body, the same hash (migration 0013).
    content_hash: uuid.UUID | None
    bulk: bool
    snippet: str
    score: float
    #: Share of the query terms' IDF that the title holds (full text; 0 for the vector methods).
    title_share: float


@dataclass(frozen=True)
class ServiceSQL:
    """The SQL fragments that differ between the caches (alias `t`), one per service."""

    service: Service
    table: str
    chunk_column: str
    google_id: str
    title: str
    time: str
    link: str
    sender: str
    content_hash: str
    visible: str
    #: Conditions that the item's sender (organizer, owner) / recipient (attendee) is among
    #: some addresses: `{p}` the addresses, `{k}` the same as "<user id> <address>" keys
    #: (text[] parameters). Each is answered by a per-user index (migration 0009).
    senders: str
    recipients: str
    bulk: str  # whether the item is bulk mail (advertising, social networks)
    body: str  # the text a snippet is cut from


SERVICES: dict[Service, ServiceSQL] = {
    "gmail": ServiceSQL(
        "gmail",
        "gmail_cache",
        "gmail_id",
        "t.message_id",
        "t.subject",
        "t.internal_date",
        "NULL::text",
        "t.sender_email",
        "t.content_hash",
        "NOT (t.labels && CAST(:hidden_labels AS text[]))",
        "t.sender_email = ANY({p})",
        "search_owned_addresses(t.user_id, t.to_emails || t.cc_emails) && {k}",
        "t.labels && ARRAY['CATEGORY_PROMOTIONS', 'CATEGORY_SOCIAL']",
        "t.body_text",
    ),
    "gcal": ServiceSQL(
        "gcal",
        "gcal_cache",
        "gcal_id",
        "t.event_id",
        "t.summary",
        "t.start_at",
        "t.html_link",
        "t.organizer_email",
        "NULL::uuid",
        "t.status <> 'cancelled'",
        "t.organizer_email = ANY({p})",
        "search_owned_addresses(t.user_id, t.attendee_emails) && {k}",
        "false",
        "t.description || ' ' || t.location",
    ),
    "gdrive": ServiceSQL(
        "gdrive",
        "gdrive_cache",
        "gdrive_id",
        "t.file_id",
        "t.name",
        "t.modified_at",
        "t.web_view_link",
        "''",
        "NULL::uuid",
        "true",
        "search_owned_addresses(t.user_id, t.owner_emails) && {k}",
        "false",
        "false",
        "t.content_text",
    ),
}


#: Each service's column on a chunk, pointing at its item.
_CHUNK_COLUMNS = ", ".join(f"c.{sql.chunk_column}" for sql in SERVICES.values())


def _item_columns(sql: ServiceSQL) -> str:
    return (
        f"'{sql.service}' AS service, t.id AS item_id, t.account_id, {sql.google_id} AS google_id, "
        f"{sql.title} AS title, {sql.time} AS item_time, t.people, {sql.link} AS link, {sql.sender} AS sender, "
        f"{sql.content_hash} AS content_hash, {sql.bulk} AS bulk"
    )


@dataclass(frozen=True)
class Scope:
    """Whose items, in which accounts, under which filters (people already resolved)."""

    user_id: uuid.UUID
    account_ids: tuple[uuid.UUID, ...] | None
    filters: SearchFilters
    #: For each person filter, the addresses it may mean (an empty list matches nobody).
    people: tuple[tuple[str, ...], ...] = ()
    senders: tuple[tuple[str, ...], ...] = ()
    recipients: tuple[tuple[str, ...], ...] = ()

    def can_satisfy(self, service: Service) -> bool:
        """Whether any item of this service could pass the filters."""
        f = self.filters
        if (f.labels or f.unread is not None or f.has_attachment is not None or f.received) and service != "gmail":
            return False
        if f.mime_types and service != "gdrive":
            return False
        return not (self.recipients and service == "gdrive")

    def where(self, sql: ServiceSQL) -> tuple[str, dict[str, Any]]:
        """The WHERE conditions on `t` and their parameters: the resolved people, and the
        filters an item carries itself (time, labels, flags, type)."""
        conditions = ["t.user_id = :user_id", sql.visible]
        params: dict[str, Any] = {"user_id": self.user_id, "hidden_labels": GMAIL_HIDDEN_LABELS}
        if self.account_ids is not None:
            conditions.append("t.account_id = ANY(:account_ids)")
            params["account_ids"] = list(self.account_ids)
        f = self.filters
        everyone = f"({sql.senders} OR {sql.recipients})"
        groups = (
            ("person", self.people, everyone),
            ("sender", self.senders, sql.senders),
            ("recipient", self.recipients, sql.recipients),
        )
        for prefix, addresses_per_person, condition in groups:
            for index, addresses in enumerate(addresses_per_person):
                name = f"{prefix}_{index}"
                conditions.append(condition.format(p=f"CAST(:{name} AS text[])", k=f"CAST(:{name}_keys AS text[])"))
                params[name] = list(addresses)
                params[f"{name}_keys"] = [f"{self.user_id} {address}" for address in addresses]
        if f.after is not None:
            conditions.append(f"{sql.time} >= :after")
            params["after"] = f.after
        if f.before is not None:
            conditions.append(f"{sql.time} < :before")
            params["before"] = f.before
        if f.labels:
            # System labels are cached by id ("STARRED"), user labels by name ("Receipts"):
            # either is matched whatever its case, through migration 0010's per-user index.
            conditions.append("search_owned_labels(t.user_id, t.labels) @> CAST(:label_keys AS text[])")
            params["label_keys"] = [f"{self.user_id} {label.upper()}" for label in f.labels]
        if f.unread is not None:
            conditions.append("t.is_unread = :unread")
            params["unread"] = f.unread
        if f.has_attachment is not None:
            conditions.append("t.has_attachments = :has_attachment")
            params["has_attachment"] = f.has_attachment
        if f.received:
            conditions.append("NOT ('SENT' = ANY(t.labels))")  # not mail the user sent
        if f.mime_types:
            conditions.append("(t.mime_type = ANY(:mime_exact) OR t.mime_type LIKE ANY(:mime_prefix))")
            params["mime_exact"] = [m for m in f.mime_types if not m.endswith("/")]
            params["mime_prefix"] = [m + "%" for m in f.mime_types if m.endswith("/")]
        return " AND ".join(conditions), params


_ORDER = "ORDER BY score DESC, item_time DESC, item_id"
#: Candidate's columns before `title_share`, which full text computes after its LIMIT.
_CANDIDATE_COLUMNS = ", ".join(f.name for f in fields(Candidate) if f.name != "title_share")


def _merged(parts: list[str]) -> str:
    """The per-service lists as one, best first."""
    return f"SELECT * FROM ({' UNION ALL '.join(parts)}) merged {_ORDER} LIMIT :limit"


def _folded(chunks: str) -> str:
    """Chunk rows folded into their items (each at its best chunk), best first."""
    return (
        f"SELECT * FROM (SELECT DISTINCT ON (service, item_id) * FROM ({chunks}) chunks "
        f"ORDER BY service, item_id, score DESC) items {_ORDER} LIMIT :items"
    )


def _rows(result: Any) -> list[Candidate]:
    # Every statement selects Candidate's fields in its order (_item_columns, snippet, score,
    # title_share).
    # all() takes the buffered rows at once; iterating fetches them one call at a time.
    return [Candidate(*row) for row in result.all()]


@dataclass(frozen=True)
class WeightedTerm:
    """A query term as a tsquery (stemmed by the `english` configuration) with its IDF."""

    term: str  # as given
    tsquery: str  # already normalised: cast, not parsed, per row
    items: int  # how many of the user's items hold it
    idf: float
    common: bool


@dataclass(frozen=True)
class TermStatistics:
    terms: list[WeightedTerm]
    average_length: float


# '' and ' ' are the statistics' totals rows (migration 0003): items and sum of lengths.
_TERM_STATS = text(
    """
    WITH lexemes AS (
        SELECT term, position, unnest(tsvector_to_array(to_tsvector('english', term))) AS lexeme
        FROM unnest(CAST(:terms AS text[])) WITH ORDINALITY AS given(term, position)
    ), counts AS (
        SELECT lexeme, sum(items)::bigint AS items FROM search_term_stats
        WHERE user_id = :user_id AND service = ANY(:services)
          AND lexeme = ANY(ARRAY(SELECT lexeme FROM lexemes) || ARRAY['', ' '])
        GROUP BY lexeme
    )
    SELECT l.term, to_tsquery('english', (CAST(:quoted AS text[]))[l.position::int])::text AS tsquery,
           max(coalesce(c.items, 0)) AS items,
           (SELECT coalesce(sum(items), 0)::bigint FROM counts WHERE lexeme = '') AS total,
           (SELECT coalesce(sum(items), 0)::bigint FROM counts WHERE lexeme = ' ') AS total_length
    FROM lexemes l LEFT JOIN counts c USING (lexeme)
    GROUP BY l.term, l.position ORDER BY l.position
    """
)


async def term_statistics(
    connection: AsyncConnection, user_id: uuid.UUID, services: tuple[Service, ...], terms: list[str]
) -> TermStatistics:
    """The terms PostgreSQL keeps (stop words go), each with BM25's IDF over the user's
    items, and the items' average length."""
    rows = (
        await connection.execute(
            _TERM_STATS,
            {
                "terms": terms,
                "quoted": [or_query([term]) for term in terms],
                "user_id": user_id,
                "services": list(services),
            },
        )
    ).all()
    weighted = []
    for row in rows:
        idf = math.log(1 + (row.total - row.items + 0.5) / (row.items + 0.5))
        weighted.append(WeightedTerm(row.term, row.tsquery, row.items, idf, row.items > COMMON_TERM_SHARE * row.total))
    average = rows[0].total_length / rows[0].total if rows and rows[0].total else 1.0
    return TermStatistics(weighted, max(average, 1.0))


async def fulltext(
    connection: AsyncConnection,
    scope: Scope,
    services: tuple[Service, ...],
    terms: list[str],
    *,
    limit: int = FULLTEXT_CANDIDATES,
) -> list[Candidate]:
    """Items containing a distinctive term, ranked by BM25 over the weighted tsvector.

    A term's frequency in an item is `ts_rank_cd` of that term alone without normalisation
    (exactly the weighted number of occurrences); BM25 saturates it and normalises by the
    item's length against the user's average. Measured on enron_dev (full text alone, P@5
    whole corpus / condensed / MRR): 0.32 / 0.54 / 0.60, against 0.09 / 0.37 / 0.14 for
    ts_rank_cd over the OR of all terms, which cannot tell "enron", in every message
    there, from "lockyer", and counts every repetition in full.
    """
    statistics = await term_statistics(connection, scope.user_id, services, terms)
    if not statistics.terms:
        return []
    selective = [term for term in statistics.terms if not term.common] or statistics.terms
    params: dict[str, Any] = {
        "match": " | ".join(f"({term.tsquery})" for term in selective),
        "limit": limit,
        "average_length": statistics.average_length,
    }
    frequencies, scores, title_hits = [], [], []
    total_idf = sum(term.idf for term in statistics.terms) or 1.0
    for index, term in enumerate(statistics.terms):
        params[f"term_{index}"] = term.tsquery
        frequencies.append(
            f"{FIELD_WEIGHT_SCALE} * ts_rank_cd('{FIELD_WEIGHTS}', t.search_tsv, "
            f"CAST(:term_{index} AS tsquery), 0) AS tf_{index}"
        )
        # IDFs are parameters, so the statement text (and its cached plan) depends only on
        # how many terms there are.
        params[f"idf_{index}"] = term.idf
        scores.append(
            f"CAST(:idf_{index} AS float8) * tf.tf_{index} * {BM25_K1 + 1} / (tf.tf_{index} + {BM25_K1} * "
            f"(1 - {BM25_B} + {BM25_B} * length(t.search_tsv) / CAST(:average_length AS float8)))"
        )
        params[f"title_share_{index}"] = term.idf / total_idf
        title_hits.append(
            f"CASE WHEN ts_filter(ranked.search_tsv, '{{a}}') @@ CAST(:term_{index} AS tsquery) "
            f"THEN CAST(:title_share_{index} AS float8) ELSE 0 END"
        )
    parts = []
    for service in services:
        if not scope.can_satisfy(service):
            continue
        sql = SERVICES[service]
        where, where_params = scope.where(sql)
        params |= where_params
        parts.append(
            # The title share is computed for the kept rows only, after the LIMIT.
            f"""(SELECT {_CANDIDATE_COLUMNS}, {" + ".join(title_hits)} AS title_share FROM (
                    SELECT {_item_columns(sql)}, '' AS snippet, {" + ".join(scores)} AS score, t.search_tsv
                    FROM {sql.table} t CROSS JOIN LATERAL (SELECT {", ".join(frequencies)}) tf
                    WHERE t.search_tsv @@ CAST(:match AS tsquery) AND {where}
                    {_ORDER} LIMIT :limit) ranked)"""
        )
    if not parts:
        return []
    return _rows(await connection.execute(text(_merged(parts)), params))


async def _use_iterative_index_scan(connection: AsyncConnection) -> None:
    # Per-user filtering happens after the index yields rows: without iterative scans an
    # HNSW scan stops after ef_search rows, most of them other users', and returns too few.
    await connection.execute(
        text(
            "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', :ef, true)"
        ),
        {"ef": str(HNSW_EF_SEARCH)},
    )


def _vector_param(vector: np.ndarray) -> Any:
    return bindparam("query_vector", value=vector, type_=Vector(len(vector)))


async def vector(
    connection: AsyncConnection,
    scope: Scope,
    services: tuple[Service, ...],
    query_vector: np.ndarray,
    *,
    limit: int = VECTOR_CANDIDATES,
) -> list[Candidate]:
    """Items whose chunks are nearest to the query through the HNSW index, best first.

    The scope's filters are checked on the items of the nearest chunks, not during the
    index walk: a narrow filter leaves few of them, which is the filtered method's job."""
    services = tuple(service for service in services if scope.can_satisfy(service))
    if not services:
        return []
    await _use_iterative_index_scan(connection)
    params: dict[str, Any] = {"services": list(services), "limit": limit, "items": VECTOR_ITEMS}
    accounts = "AND c.account_id = ANY(:account_ids)" if scope.account_ids is not None else ""
    joins = []
    for service in services:
        sql = SERVICES[service]
        where, where_params = scope.where(sql)
        params |= where_params
        joins.append(
            f"""SELECT {_item_columns(sql)}, n.content AS snippet, 1 - n.distance AS score, CAST(0 AS float8) AS title_share
                FROM nearest n JOIN {sql.table} t ON t.id = n.{sql.chunk_column}
                WHERE {where}"""  # noqa: E501 - the select list stays on one line, as written
        )
    statement = f"""
        WITH nearest AS MATERIALIZED (
            SELECT {_CHUNK_COLUMNS}, c.content,
                   c.embedding <=> :query_vector AS distance
            FROM search_chunks c
            WHERE c.user_id = :user_id AND c.service = ANY(:services) {accounts}
            ORDER BY c.embedding <=> :query_vector
            LIMIT :limit
        )
        {_folded(" UNION ALL ".join(joins))}
    """
    query = text(statement).bindparams(_vector_param(query_vector))
    return _rows(await connection.execute(query, params))


async def filtered_vector(
    connection: AsyncConnection,
    scope: Scope,
    services: tuple[Service, ...],
    query_vector: np.ndarray | None,
    *,
    limit: int = VECTOR_CANDIDATES,
) -> list[Candidate]:
    """Items passing the filters, nearest first by their best chunk (newest first without
    a query).

    The filters join the chunk to its item, so PostgreSQL can either walk the HNSW index
    and check each row (iterative scan) or, for a narrow filter, find the few items by
    their own indexes and measure their chunks exactly; it picks by cost.
    """
    await _use_iterative_index_scan(connection)
    parts = []
    params: dict[str, Any] = {"limit": limit, "items": VECTOR_ITEMS}
    for service in services:
        if not scope.can_satisfy(service):
            continue
        sql = SERVICES[service]
        where, where_params = scope.where(sql)
        params |= where_params
        if query_vector is None:
            score, order = f"extract(epoch FROM {sql.time})", f"{sql.time} DESC"
        else:
            score, order = "1 - (c.embedding <=> :query_vector)", "c.embedding <=> :query_vector"
        parts.append(
            f"""(SELECT {_item_columns(sql)}, c.content AS snippet, {score} AS score, CAST(0 AS float8) AS title_share
                FROM search_chunks c JOIN {sql.table} t ON t.id = c.{sql.chunk_column}
                WHERE c.user_id = :user_id AND c.service = '{sql.service}' AND {where}
                ORDER BY {order} LIMIT :limit)"""
        )
    if not parts:
        return []
    statement = text(_folded(" UNION ALL ".join(parts)))
    if query_vector is not None:
        statement = statement.bindparams(_vector_param(query_vector))
    return _rows(await connection.execute(statement, params))
