"""Request and response bodies of the HTTP API.

Requests are strict: an unknown field, a control character or an over-long value is a
422 naming the field, never silently dropped or trimmed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from assistant.api.errors import reject_control_characters
from assistant.core.services import CACHE_NAMES

MAX_QUERY_CHARS = 4_000

Email = Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")]
ShortText = Annotated[str, StringConstraints(max_length=1_000), AfterValidator(reject_control_characters)]
LongText = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(reject_control_characters)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueryRequest(Strict):
    text: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_QUERY_CHARS),
        AfterValidator(reject_control_characters),
        AfterValidator(_not_blank),
    ] = Field(
        description="The question or request, as the user would type it.",
        examples=["emails about the budget from Sarah and my meetings with her next week"],
    )
    conversation_id: uuid.UUID | None = Field(
        default=None, description="Continue this conversation (from an earlier `done` event); unset starts a new one."
    )


class ActionEdits(Strict):
    """Fields of a proposed action the user changed before confirming; which ones a given
    action accepts depends on it (an email: to, cc, subject, body; an event: summary,
    start, end, attendees, location, description; a share: emails, role, message)."""

    to: list[Email] | None = Field(default=None, max_length=100)
    cc: list[Email] | None = Field(default=None, max_length=100)
    subject: ShortText | None = None
    body: LongText | None = None
    summary: ShortText | None = None
    start: datetime | None = None
    end: datetime | None = None
    attendees: list[Email] | None = Field(default=None, max_length=100)
    location: ShortText | None = None
    description: LongText | None = None
    emails: list[Email] | None = Field(default=None, max_length=100)
    role: Literal["reader", "commenter", "writer"] | None = None
    message: LongText | None = None


class ConfirmRequest(Strict):
    edits: ActionEdits = Field(default_factory=ActionEdits)


def _cache_name(name: str) -> str:
    if name not in CACHE_NAMES:
        raise ValueError(f"must be one of {', '.join(CACHE_NAMES)}")
    return name


#: A service as the caches name it: one of the registry's (assistant/core/services.py).
CacheName = Annotated[str, AfterValidator(_cache_name), WithJsonSchema({"type": "string", "enum": list(CACHE_NAMES)})]


class SyncRequest(Strict):
    services: list[CacheName] = Field(default=list(CACHE_NAMES), min_length=1, max_length=len(CACHE_NAMES))
    full: bool = Field(default=False, description="Read everything again instead of the changes since the last sync.")


class RevokeRequest(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=4_096)] | None = Field(
        default=None, description="The token to revoke (one of yours); unset = the bearer token of this request."
    )


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    token_id: str
    expires_at: datetime


class SignedOut(BaseModel):
    sessions_ended: int = Field(description="How many browser sessions were live and are now ended.")


class Action(BaseModel):
    """A write waiting for confirmation, or what came of it."""

    id: uuid.UUID
    account_id: uuid.UUID
    conversation_id: uuid.UUID | None
    service: str
    operation: str
    target_id: str | None
    fields: dict[str, Any]
    preview: str
    undoable: bool
    status: Literal["pending", "executing", "done", "failed", "cancelled", "undone"]
    result: dict[str, Any] | None
    error: str | None
    expires_at: datetime
    undo_until: datetime | None


class ConversationSummary(BaseModel):
    id: uuid.UUID
    title: str | None
    created_at: datetime
    updated_at: datetime


class ConversationList(BaseModel):
    conversations: list[ConversationSummary]


class ConversationMessage(BaseModel):
    id: uuid.UUID
    role: Literal["user", "assistant"]
    content: str
    created_at: datetime
    sources: list[dict[str, Any]] = Field(description="The items the answer showed, in order: service, id, title.")
    actions: list[dict[str, Any]] = Field(description="Actions the answer proposed: type, service, id, status.")


class ConversationDetail(ConversationSummary):
    messages: list[ConversationMessage]


class SyncJob(BaseModel):
    account_id: uuid.UUID
    account_email: str
    service: str
    queued: bool = Field(description="False when an equivalent sync was already waiting.")


class SyncResponse(BaseModel):
    jobs: list[SyncJob]


class Check(BaseModel):
    ok: bool
    milliseconds: float
    error: str | None = None


class Workers(BaseModel):
    alive: int = Field(description="Sync workers whose last heartbeat is at most two heartbeat periods old.")
    registered: int = Field(
        description="Workers registered in Redis, alive or not (a killed one stays registered for a while)."
    )
    freshest_heartbeat_seconds: float | None = Field(
        description="Age of the most recent heartbeat of any registered worker; null when none is registered."
    )


class QueueState(BaseModel):
    depth: int = Field(description="Sync jobs waiting.")
    oldest_seconds: float | None = Field(
        description=(
            "How long the job at the head of the queue (the next one taken: the oldest) has waited; "
            "null when none waits."
        )
    )
    workers: int = Field(description="Live workers taking jobs from this queue.")


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    database: Check
    redis: Check
    workers: Workers | None = Field(description="The sync workers, by heartbeat; null when Redis could not be read.")
    queues: dict[str, QueueState] = Field(
        description="Per sync queue (high, default, low); empty when Redis could not be read."
    )
    problems: list[str] = Field(description="Why it is not ready; empty when ready.")


class Health(BaseModel):
    status: Literal["ok"] = "ok"
