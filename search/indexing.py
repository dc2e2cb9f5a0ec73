"""Putting items into the caches and the vector index: the one path sync and evaluation share.

`Indexer.index()` takes plain items (`assistant.core.items`), writes each as a cache row (upsert on
the account and the item's Google id, so indexing the same item twice changes nothing),
splits its text into pieces headed by its title, embeds the pieces in batches and stores
them in `search_chunks`, and records the people on it in `search_contacts` for name
resolution. Pieces whose text has not changed keep their vectors: a label change or a
re-sync costs no embedding.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assistant.core.items import EmailItem, EventItem, FileItem, Person
from assistant.core.models import CalendarEvent, DriveFile, GmailMessage, SearchChunk
from assistant.core.text import clean_text, preview
from search.embeddings import Embedder, Vectors

Item = EmailItem | EventItem | FileItem


Row = Mapping[str, Any]


def email_pieces(row: Row, embedder: Embedder) -> list[str]:
    text = "\n\n".join(part for part in (row["body_text"], row["attachment_text"]) if part)
    return embedder.chunk(text, header=row["subject"])


def event_pieces(row: Row, embedder: Embedder) -> list[str]:
    # Who and where are part of what an event is about ("lunch with Sarah at Nopa").
    people = [(row["organizer_name"] or row["organizer_email"])] + [
        a.get("displayName") or a.get("email", "") for a in row["attendees"] or []
    ]
    names = ", ".join(name for name in people if name)
    details = "\n".join(part for part in (row["location"], names, row["description"]) if part)
    return embedder.chunk(details, header=row["summary"])


def file_pieces(row: Row, embedder: Embedder) -> list[str]:
    text = "\n".join(part for part in (row["description"], row["content_text"]) if part)
    return embedder.chunk(text, header=row["name"])


@dataclass(frozen=True)
class ServiceTable:
    """Where one service's items live, how a chunk points at them, what gets embedded."""

    service: str
    table: Table
    key_columns: tuple[str, ...]
    chunk_column: str
    time_column: str
    pieces: Callable[[Row, Embedder], list[str]]


GMAIL = ServiceTable("gmail", GmailMessage.__table__, ("message_id",), "gmail_id", "internal_date", email_pieces)
GCAL = ServiceTable("gcal", CalendarEvent.__table__, ("calendar_id", "event_id"), "gcal_id", "start_at", event_pieces)
GDRIVE = ServiceTable("gdrive", DriveFile.__table__, ("file_id",), "gdrive_id", "modified_at", file_pieces)
SERVICE_TABLES = {table.service: table for table in (GMAIL, GCAL, GDRIVE)}


@dataclass(frozen=True)
class PreparedItem:
    """An item turned into its cache row and the texts to embed."""

    row: dict[str, Any]
    pieces: tuple[str, ...]
    item_time: datetime
    people: tuple[Person, ...]


@dataclass
class IndexReport:
    """What one `index()` call did."""

    items: int = 0
    removed: int = 0
    pieces_embedded: int = 0
    pieces_reused: int = 0
    by_service: dict[str, int] = field(default_factory=dict)


def prepare_email(item: EmailItem, embedder: Embedder) -> PreparedItem:
    body = clean_text(item.body_text)
    attachments = clean_text(item.attachment_text)
    people = ", ".join(person.display() for person in item.people)
    row = {
        "message_id": item.message_id,
        "thread_id": item.thread_id,
        "history_id": item.history_id,
        "rfc822_message_id": item.rfc822_message_id,
        "subject": item.subject,
        "sender_name": item.sender.name,
        "sender_email": item.sender.email.lower(),
        "to_emails": [p.email.lower() for p in item.to],
        "cc_emails": [p.email.lower() for p in item.cc],
        "people": people,
        "labels": list(item.labels),
        "is_unread": item.is_unread,
        "has_attachments": bool(item.attachment_names),
        "attachment_names": list(item.attachment_names),
        "attachment_text": attachments,
        "snippet": item.snippet or preview(body),
        "preview": preview(body),
        "body_text": body,
        "internal_date": item.internal_date,
        "size_estimate": item.size_estimate,
    }
    return PreparedItem(row, tuple(email_pieces(row, embedder)), item.internal_date, item.people)


def prepare_event(item: EventItem, embedder: Embedder) -> PreparedItem:
    description = clean_text(item.description)
    organizer = item.organizer or Person("")
    row = {
        "calendar_id": item.calendar_id,
        "event_id": item.event_id,
        "ical_uid": item.ical_uid,
        "recurring_event_id": item.recurring_event_id,
        "status": item.status,
        "summary": item.summary,
        "description": description,
        "location": item.location,
        "organizer_email": organizer.email.lower(),
        "organizer_name": organizer.name,
        "attendees": [
            {"email": a.email, "displayName": a.name, "responseStatus": a.response_status} for a in item.attendees
        ],
        "attendee_emails": [a.email.lower() for a in item.attendees],
        "people": ", ".join(person.display() for person in item.people),
        "start_at": item.start_at,
        "end_at": item.end_at,
        "all_day": item.all_day,
        "start_date": item.start_date,
        "end_date": item.end_date,
        "time_zone": item.time_zone,
        "recurrence": list(item.recurrence),
        "meet_link": item.meet_link,
        "html_link": item.html_link,
        "google_updated_at": item.google_updated_at,
        "sequence": item.sequence,
    }
    return PreparedItem(row, tuple(event_pieces(row, embedder)), item.start_at, item.people)


def prepare_file(item: FileItem, embedder: Embedder) -> PreparedItem:
    content = clean_text(item.content_text)
    row = {
        "file_id": item.file_id,
        "name": item.name,
        "mime_type": item.mime_type,
        "description": item.description,
        "owners": [{"emailAddress": p.email, "displayName": p.name} for p in item.owners],
        "owner_emails": [p.email.lower() for p in item.owners],
        "people": ", ".join(person.display() for person in item.owners),
        "last_modifying_email": item.last_modifying_email,
        "modified_at": item.modified_at,
        "google_created_at": item.created_at,
        "web_view_link": item.web_view_link,
        "size_bytes": item.size_bytes,
        "parents": list(item.parents),
        "shared": item.shared,
        "permissions": item.permissions,
        "version": item.version,
        "content_text": content,
        "preview": preview(content or item.description),
    }
    return PreparedItem(row, tuple(file_pieces(row, embedder)), item.modified_at, item.owners)


def _service_of(item: Item) -> ServiceTable:
    if isinstance(item, EmailItem):
        return GMAIL
    if isinstance(item, EventItem):
        return GCAL
    return GDRIVE


def _prepare(item: Item, embedder: Embedder) -> PreparedItem:
    if isinstance(item, EmailItem):
        return prepare_email(item, embedder)
    if isinstance(item, EventItem):
        return prepare_event(item, embedder)
    return prepare_file(item, embedder)


def _key(service: ServiceTable, row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(row[column] for column in service.key_columns)


class Indexer:
    """Writes items of one linked account into the caches, chunks and contacts."""

    def __init__(self, engine: AsyncEngine, embedder: Embedder) -> None:
        self.engine = engine
        self.embedder = embedder

    async def index(self, user_id: uuid.UUID, account_id: uuid.UUID, items: Sequence[Item]) -> IndexReport:
        """Insert or update the items (any mix of services); files in the trash are removed.

        Embedding runs before the transaction opens, so a slow batch never holds locks.
        """
        report = IndexReport()
        trashed = [item.file_id for item in items if isinstance(item, FileItem) and item.trashed]
        if trashed:
            report.removed += await self.remove(account_id, GDRIVE, [(file_id,) for file_id in trashed])
        by_service: dict[str, list[PreparedItem]] = {}
        for item in items:
            if isinstance(item, FileItem) and item.trashed:
                continue
            by_service.setdefault(_service_of(item).service, []).append(
                await asyncio.to_thread(_prepare, item, self.embedder)
            )
        for name, prepared in by_service.items():
            service = SERVICE_TABLES[name]
            await self._index_service(user_id, account_id, service, prepared, report)
            report.by_service[name] = report.by_service.get(name, 0) + len(prepared)
            report.items += len(prepared)
        return report

    async def remove(self, account_id: uuid.UUID, service: ServiceTable, keys: Sequence[tuple[str, ...]]) -> int:
        """Delete items by their Google ids; their chunks go with them (ON DELETE CASCADE)."""
        if not keys:
            return 0
        table = service.table
        columns = tuple_(*(table.c[name] for name in service.key_columns))
        async with self.engine.begin() as connection:
            result = await connection.execute(
                delete(table).where(table.c.account_id == account_id, columns.in_(list(keys)))
            )
        return result.rowcount

    async def _index_service(
        self,
        user_id: uuid.UUID,
        account_id: uuid.UUID,
        service: ServiceTable,
        prepared: list[PreparedItem],
        report: IndexReport,
    ) -> None:
        async with self.engine.connect() as connection:
            stored = await _stored_pieces(connection, account_id, service, [_key(service, p.row) for p in prepared])
        changed = [p for p in prepared if stored.get(_key(service, p.row)) != (p.pieces, p.item_time)]
        vector_of = await self._embed_unique([p.pieces for p in changed])
        report.pieces_embedded += len(vector_of)
        report.pieces_reused += sum(len(p.pieces) for p in prepared if p not in changed)

        async with self.engine.begin() as connection:
            ids = await _upsert_rows(connection, user_id, account_id, service, prepared)
            entries = [
                ChunkedItem(ids[_key(service, p.row)], user_id, account_id, p.pieces, p.item_time) for p in changed
            ]
            await _replace_chunks(connection, service, entries, vector_of)
            # Only items seen for the first time count towards how often a contact appears.
            new_items = [p for p in prepared if _key(service, p.row) not in stored]
            await _record_contacts(connection, user_id, account_id, service, new_items)

    async def reembed(self, service: ServiceTable, after: uuid.UUID | None, batch: int = 200) -> uuid.UUID | None:
        """Re-chunk and re-embed the next `batch` items of a service, in id order, from
        their cached text (after a model change). Returns the last id done, None at the end.
        """
        table = service.table
        columns = [column for column in table.c if column.name != "search_tsv"]
        query = select(*columns).order_by(table.c.id).limit(batch)
        if after is not None:
            query = query.where(table.c.id > after)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        if not rows:
            return None
        pieces = await asyncio.to_thread(lambda: [tuple(service.pieces(row, self.embedder)) for row in rows])
        vector_of = await self._embed_unique(pieces)
        entries = [
            ChunkedItem(row["id"], row["user_id"], row["account_id"], item_pieces, row[service.time_column])
            for row, item_pieces in zip(rows, pieces, strict=True)
        ]
        async with self.engine.begin() as connection:
            await _replace_chunks(connection, service, entries, vector_of)
        return rows[-1]["id"]

    async def _embed_unique(self, pieces: Sequence[Sequence[str]]) -> dict[str, Vectors]:
        """A vector per distinct piece: the same text (a forwarded announcement, a repeated
        footer) is embedded once."""
        unique = list(dict.fromkeys(piece for item_pieces in pieces for piece in item_pieces))
        if not unique:
            return {}
        vectors = await asyncio.to_thread(self.embedder.embed_documents, unique)
        return dict(zip(unique, vectors, strict=True))


@dataclass(frozen=True)
class ChunkedItem:
    """A stored item's id and owners with the pieces its chunks should hold."""

    item_id: uuid.UUID
    user_id: uuid.UUID
    account_id: uuid.UUID
    pieces: tuple[str, ...]
    item_time: datetime


async def _replace_chunks(
    connection: AsyncConnection, service: ServiceTable, items: list[ChunkedItem], vector_of: Mapping[str, Vectors]
) -> None:
    if not items:
        return
    chunk_column = SearchChunk.__table__.c[service.chunk_column]
    await connection.execute(delete(SearchChunk).where(chunk_column.in_([item.item_id for item in items])))
    rows = [
        {
            "user_id": item.user_id,
            "account_id": item.account_id,
            "service": service.service,
            service.chunk_column: item.item_id,
            "chunk_index": index,
            "content": piece,
            "embedding": vector_of[piece],
            "item_time": item.item_time,
        }
        for item in items
        for index, piece in enumerate(item.pieces)
    ]
    if rows:
        await connection.execute(SearchChunk.__table__.insert(), rows)


async def _stored_pieces(
    connection: AsyncConnection, account_id: uuid.UUID, service: ServiceTable, keys: list[tuple[str, ...]]
) -> dict[tuple[str, ...], tuple[tuple[str, ...], datetime | None]]:
    """The pieces already stored for these items, to skip re-embedding unchanged ones."""
    table = service.table
    chunks = SearchChunk.__table__
    key_columns = [table.c[name] for name in service.key_columns]
    query = (
        select(*key_columns, chunks.c.content, chunks.c.item_time)
        .select_from(table.join(chunks, chunks.c[service.chunk_column] == table.c.id))
        .where(table.c.account_id == account_id, tuple_(*key_columns).in_(keys))
        .order_by(*key_columns, chunks.c.chunk_index)
    )
    stored: dict[tuple[str, ...], tuple[list[str], datetime | None]] = {}
    for row in await connection.execute(query):
        key = tuple(row[: len(key_columns)])
        pieces, _ = stored.setdefault(key, ([], row.item_time))
        pieces.append(row.content)
    return {key: (tuple(pieces), time) for key, (pieces, time) in stored.items()}


async def _upsert_rows(
    connection: AsyncConnection,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    service: ServiceTable,
    prepared: list[PreparedItem],
) -> dict[tuple[str, ...], uuid.UUID]:
    table = service.table
    rows = [{"user_id": user_id, "account_id": account_id, **p.row} for p in prepared]
    statement = insert(table)
    updated = {name: statement.excluded[name] for name in prepared[0].row if name not in service.key_columns}
    updated["synced_at"] = text("now()")
    statement = statement.on_conflict_do_update(
        index_elements=["account_id", *service.key_columns], set_=updated
    ).returning(table.c.id, *(table.c[name] for name in service.key_columns))
    result = await connection.execute(statement, rows)
    return {tuple(row[1:]): row[0] for row in result}


@dataclass
class _Tally:
    name: str
    last_seen: datetime
    occurrences: int = 0
    exchanges: int = 0


def _exchanged(service: ServiceTable, item: PreparedItem, owner: str) -> bool:
    """Whether the item is an exchange with the account's owner: mail they sent, or a
    meeting on their calendar. A newsletter's sender appears often but exchanges nothing."""
    if service is GCAL:
        return True
    return service is GMAIL and item.row["sender_email"] == owner


async def _record_contacts(
    connection: AsyncConnection,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    service: ServiceTable,
    prepared: list[PreparedItem],
) -> None:
    """Count each address once per item (and once more per exchange with the owner), and
    keep the newest name seen next to it."""
    owner = (
        await connection.execute(text("SELECT lower(email) FROM google_accounts WHERE id = :id"), {"id": account_id})
    ).scalar_one()
    seen: dict[str, _Tally] = {}
    for item in prepared:
        exchanged = _exchanged(service, item, owner)
        for email, person in {p.email.lower(): p for p in item.people if p.email}.items():
            tally = seen.setdefault(email, _Tally(person.name, item.item_time))
            if person.name and (item.item_time >= tally.last_seen or not tally.name):
                tally.name = person.name
            tally.last_seen = max(tally.last_seen, item.item_time)
            tally.occurrences += 1
            tally.exchanges += exchanged and email != owner
    if not seen:
        return
    await connection.execute(
        text(
            """
            INSERT INTO search_contacts (user_id, email, name, occurrences, exchanges, last_seen_at)
            VALUES (:user_id, :email, :name, :occurrences, :exchanges, :last_seen_at)
            ON CONFLICT (user_id, email) DO UPDATE SET
                occurrences = search_contacts.occurrences + excluded.occurrences,
                exchanges = search_contacts.exchanges + excluded.exchanges,
                name = CASE WHEN excluded.name <> ''
                            AND excluded.last_seen_at >= coalesce(search_contacts.last_seen_at, '-infinity')
                            OR search_contacts.name = '' THEN excluded.name
                            ELSE search_contacts.name END,
                last_seen_at = greatest(search_contacts.last_seen_at, excluded.last_seen_at)
            """
        ),
        [
            {
                "user_id": user_id,
                "email": email,
                "name": t.name,
                "occurrences": t.occurrences,
                "exchanges": t.exchanges,
                "last_seen_at": t.last_seen,
            }
            for email, t in seen.items()
        ],
    )
