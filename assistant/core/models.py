"""The tables of our own schema, as SQLAlchemy models.

The migrations in `migrations/versions/` own the DDL (generated columns, extensions,
index methods, Chainlit's schema); these classes describe the same tables for queries.

Ownership: a `User` is a person; a person links one or more Google accounts
(`GoogleAccount`: personal and work). OAuth tokens, sync state and cached items belong
to a linked account, and every cache row also carries the owning `user_id` so that every
query can be scoped to the caller without a join.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from assistant.core.crypto import TokenCipher, load_key
from assistant.core.settings import get_settings


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSONB,
        list[str]: ARRAY(Text),
        datetime: DateTime(timezone=True),
    }


@lru_cache(maxsize=1)
def token_cipher() -> TokenCipher:
    """The process's token cipher, keyed from the settings (cleared by tests)."""
    return TokenCipher(load_key(get_settings()))


class EncryptedToken(TypeDecorator[str]):
    """A secret stored as AES-256-GCM ciphertext; Python code only sees plaintext."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return token_cipher().encrypt(value, context=self.context)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return token_cipher().decrypt(bytes(value), context=self.context)


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, default=uuid.uuid4, server_default=func.gen_random_uuid()
    )


def _created_at() -> Mapped[datetime]:
    return mapped_column(server_default=func.now())


def _generated_tsvector() -> Mapped[Any]:
    """The weighted full-text column PostgreSQL computes from the row (migration 0001):
    never written by us, so an ORM insert must leave it out."""
    return mapped_column(TSVECTOR, server_default=FetchedValue(), server_onupdate=FetchedValue(), deferred=True)


def _owner() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=False)


def _account() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("google_accounts.id", ondelete="CASCADE"))


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = _uuid_pk()
    email: Mapped[str] = mapped_column(Text, unique=True)
    display_name: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(Text, server_default="UTC")
    tier: Mapped[str] = mapped_column(Text, server_default="free")
    created_at: Mapped[datetime] = _created_at()
    last_active_at: Mapped[datetime | None]


class GoogleAccount(Base):
    """A Google account linked by a user, with its OAuth tokens encrypted at rest."""

    __tablename__ = "google_accounts"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _owner()
    email: Mapped[str] = mapped_column(Text)
    google_subject: Mapped[str | None] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(Text)
    is_primary: Mapped[bool] = mapped_column(Boolean, server_default="false")
    scopes: Mapped[list[str]] = mapped_column(server_default="{}")
    access_token: Mapped[str | None] = mapped_column(EncryptedToken("google_accounts.access_token"))
    refresh_token: Mapped[str | None] = mapped_column(EncryptedToken("google_accounts.refresh_token"))
    token_expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(Text, server_default="active")
    autosync_enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    sync_interval_minutes: Mapped[int] = mapped_column(Integer, server_default="15")
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _owner()
    title: Mapped[str | None] = mapped_column(Text)
    chainlit_thread_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), unique=True)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Message(Base):
    """One turn of a conversation, with what the classifier and the agents made of it.

    `intent`, `plan`, `results` (the items shown, in order) and `actions` are kept so that
    a follow-up ("reply to the second one") can be resolved after a reload.
    """

    __tablename__ = "messages"

    id: Mapped[uuid.UUID] = _uuid_pk()
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = _owner()
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    intent: Mapped[dict[str, Any] | None]
    plan: Mapped[dict[str, Any] | None]
    results: Mapped[dict[str, Any] | None]
    actions: Mapped[dict[str, Any] | None]
    llm_provider: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = _created_at()


class GmailMessage(Base):
    __tablename__ = "gmail_cache"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _owner()
    account_id: Mapped[uuid.UUID] = _account()
    message_id: Mapped[str] = mapped_column(Text)
    thread_id: Mapped[str] = mapped_column(Text)
    history_id: Mapped[int | None] = mapped_column(BigInteger)
    rfc822_message_id: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text, server_default="")
    sender_name: Mapped[str] = mapped_column(Text, server_default="")
    sender_email: Mapped[str] = mapped_column(Text, server_default="")
    to_emails: Mapped[list[str]] = mapped_column(server_default="{}")
    cc_emails: Mapped[list[str]] = mapped_column(server_default="{}")
    people: Mapped[str] = mapped_column(Text, server_default="", doc="Names and addresses of everyone on the message.")
    labels: Mapped[list[str]] = mapped_column(server_default="{}")
    is_unread: Mapped[bool] = mapped_column(Boolean, server_default="false")
    has_attachments: Mapped[bool] = mapped_column(Boolean, server_default="false")
    attachment_names: Mapped[list[str]] = mapped_column(server_default="{}")
    attachment_text: Mapped[str] = mapped_column(Text, server_default="")
    snippet: Mapped[str] = mapped_column(Text, server_default="")
    preview: Mapped[str] = mapped_column(Text, server_default="")
    body_text: Mapped[str] = mapped_column(Text, server_default="")
    internal_date: Mapped[datetime]
    size_estimate: Mapped[int | None] = mapped_column(Integer)
    search_tsv: Mapped[Any] = _generated_tsvector()
    #: md5 of the lower-cased subject and the body (migration 0013), computed by PostgreSQL.
    content_hash: Mapped[uuid.UUID] = mapped_column(
        server_default=FetchedValue(), server_onupdate=FetchedValue(), deferred=True
    )
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CalendarEvent(Base):
    __tablename__ = "gcal_cache"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _owner()
    account_id: Mapped[uuid.UUID] = _account()
    calendar_id: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(Text)
    ical_uid: Mapped[str | None] = mapped_column(Text)
    recurring_event_id: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="confirmed")
    summary: Mapped[str] = mapped_column(Text, server_default="")
    description: Mapped[str] = mapped_column(Text, server_default="")
    location: Mapped[str] = mapped_column(Text, server_default="")
    organizer_email: Mapped[str] = mapped_column(Text, server_default="")
    organizer_name: Mapped[str] = mapped_column(Text, server_default="")
    attendees: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB, doc="The attendee list as Google returns it (email, displayName, responseStatus)."
    )
    attendee_emails: Mapped[list[str]] = mapped_column(server_default="{}")
    people: Mapped[str] = mapped_column(Text, server_default="")
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    all_day: Mapped[bool] = mapped_column(Boolean, server_default="false")
    start_date: Mapped[date | None] = mapped_column(Date, doc="All-day events: first day.")
    end_date: Mapped[date | None] = mapped_column(Date, doc="All-day events: day after the last.")
    time_zone: Mapped[str | None] = mapped_column(Text)
    recurrence: Mapped[list[str]] = mapped_column(server_default="{}")
    meet_link: Mapped[str | None] = mapped_column(Text)
    html_link: Mapped[str | None] = mapped_column(Text)
    google_updated_at: Mapped[datetime | None]
    sequence: Mapped[int] = mapped_column(Integer, server_default="0")
    search_tsv: Mapped[Any] = _generated_tsvector()
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DriveFile(Base):
    __tablename__ = "gdrive_cache"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _owner()
    account_id: Mapped[uuid.UUID] = _account()
    file_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    mime_type: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, server_default="")
    owners: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    owner_emails: Mapped[list[str]] = mapped_column(server_default="{}")
    people: Mapped[str] = mapped_column(Text, server_default="")
    last_modifying_email: Mapped[str | None] = mapped_column(Text)
    modified_at: Mapped[datetime]
    google_created_at: Mapped[datetime | None]
    web_view_link: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    parents: Mapped[list[str]] = mapped_column(server_default="{}")
    shared: Mapped[bool] = mapped_column(Boolean, server_default="false")
    permissions: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    version: Mapped[int | None] = mapped_column(BigInteger)
    content_text: Mapped[str] = mapped_column(Text, server_default="")
    preview: Mapped[str] = mapped_column(Text, server_default="")
    search_tsv: Mapped[Any] = _generated_tsvector()
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SearchChunk(Base):
    """An embedded piece of a cached item; long items have several.

    Exactly one of `gmail_id`, `gcal_id`, `gdrive_id` is set; deleting the cached item
    deletes its chunks. Owner, account and service are repeated here so that the vector
    index scan can be filtered per user without a join.
    """

    __tablename__ = "search_chunks"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = _owner()
    account_id: Mapped[uuid.UUID] = _account()
    service: Mapped[str] = mapped_column(String(8))
    gmail_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("gmail_cache.id", ondelete="CASCADE"))
    gcal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("gcal_cache.id", ondelete="CASCADE"))
    gdrive_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("gdrive_cache.id", ondelete="CASCADE"))
    chunk_index: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    embedding: Mapped[Any] = mapped_column(Vector())
    item_time: Mapped[datetime | None] = mapped_column(
        doc="The item's date (email date, event start, file modified) for date filters."
    )


class SyncStatus(Base):
    """Incremental-sync state of one service of one linked account."""

    __tablename__ = "sync_status"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _owner()
    account_id: Mapped[uuid.UUID] = _account()
    service: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(Text, server_default="idle")
    cursor: Mapped[str | None] = mapped_column(Text, doc="Gmail history id, Calendar sync token or Drive page token.")
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB, doc="Where a full sync stopped, so a crashed one resumes."
    )
    items_synced: Mapped[int] = mapped_column(Integer, server_default="0")
    items_total_estimate: Mapped[int | None] = mapped_column(Integer)
    consecutive_failures: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_full_sync_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class WatchChannel(Base):
    """A push channel open at Google for one service of one linked account (migration 0014).

    Calendar (`events.watch`) and Drive (`changes.watch`) channels have Google's channel
    and resource ids; Gmail's `users.watch` has neither (one watch per mailbox), and its
    `address` is the Pub/Sub topic rather than our webhook's URL. Opened, renewed and
    stopped by sync/watch.py.
    """

    __tablename__ = "watch_channels"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _owner()
    account_id: Mapped[uuid.UUID] = _account()
    service: Mapped[str] = mapped_column(String(8), doc="As sync_status names it: gmail, gcal, gdrive.")
    channel_id: Mapped[str | None] = mapped_column(Text)
    resource_id: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text, doc="Where notifications go: our webhook URL, or Gmail's topic.")
    expires_at: Mapped[datetime]
    opened_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PendingActionRow(Base):
    """A write waiting for confirmation, and what came of it (see migration 0004)."""

    __tablename__ = "pending_actions"

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = _owner()
    account_id: Mapped[uuid.UUID] = _account()
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    service: Mapped[str] = mapped_column(String(8))
    operation: Mapped[str] = mapped_column(Text)
    target_id: Mapped[str | None] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONB)
    preview: Mapped[str] = mapped_column(Text)
    undoable: Mapped[bool] = mapped_column(Boolean, server_default="false")
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    result: Mapped[dict[str, Any] | None]
    undo_data: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    expires_at: Mapped[datetime]
    executed_at: Mapped[datetime | None]
    undo_until: Mapped[datetime | None]
