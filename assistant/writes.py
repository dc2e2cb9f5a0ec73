"""The writes a plan may propose: one typed payload per write operation, the proposed
action that carries it to the user, and the pending action it becomes once recorded.

A payload is what `execute` needs and what the confirmation card shows; the user's edits
change its fields, and it is stored as JSON in the pending action's `fields` (the field
names are the stored names, so a payload read back from an older row still validates).
Agents read it back with `payload_of(action)`; a field an agent remembers while executing
(a draft's id, deleted events' originals) is part of the payload too.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.core.models import PendingActionRow
from assistant.plan import Operation, Service


class Payload(BaseModel):
    """A write's fields. Unknown fields are kept (older rows, remembered progress)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def stored(self) -> dict[str, Any]:
        """As `fields` stores it: JSON types, the stored field names, unset progress left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- Gmail -----------------------------------------------------------------------------


class MessagePayload(Payload):
    """A message to draft, send, reply with or forward."""

    to: list[str]
    cc: list[str] = Field(default_factory=list)
    subject: str
    body: str
    #: A reply's thread and the message it answers (its RFC 822 Message-ID).
    thread_id: str | None = None
    in_reply_to: str | None = None
    #: The draft made on the way to sending, remembered so that a retry sends it once.
    draft_id: str | None = None


class TrashPayload(Payload):
    message_id: str
    subject: str
    #: Stored as "from". The two aliases do what `alias="from"` would, but type checkers take
    #: `alias` for the constructor's keyword, which `from` cannot be: `sender=` is the keyword.
    sender: str = Field(validation_alias="from", serialization_alias="from")


# --- Calendar --------------------------------------------------------------------------


class EventTimes(Payload):
    """An event's title, times and place: what a move changes, and what undo restores."""

    summary: str
    start: str
    end: str
    location: str = ""


class CreateEventPayload(Payload):
    summary: str
    start: str
    end: str
    time_zone: str
    attendees: list[str] = Field(default_factory=list)
    location: str = ""
    description: str = ""


class UpdateEventPayload(Payload):
    event_id: str
    summary: str
    start: str
    end: str
    time_zone: str | None = None
    location: str = ""
    #: The event as it was, for the card ("Move ... from ... to ...") and for undo.
    was: EventTimes


class DeletedEvent(Payload):
    event_id: str
    summary: str
    start: str
    end: str
    all_day: bool = False


class DeleteEventsPayload(Payload):
    events: list[DeletedEvent]
    #: The user's zone: the card shows each event's times where the user is.
    time_zone: str | None = None
    #: Each event's full resource, kept before deleting it so that undo can restore it.
    originals: dict[str, Any] = Field(default_factory=dict)


# --- Drive -----------------------------------------------------------------------------


class SharePayload(Payload):
    file_id: str
    file_name: str
    emails: list[str]
    role: str = "reader"
    message: str = ""


#: Each write operation's payload, per service.
PAYLOADS: dict[tuple[Service, Operation], type[Payload]] = {
    ("gmail", Operation.SEND): MessagePayload,
    ("gmail", Operation.DRAFT): MessagePayload,
    ("gmail", Operation.REPLY): MessagePayload,
    ("gmail", Operation.FORWARD): MessagePayload,
    ("gmail", Operation.TRASH): TrashPayload,
    ("calendar", Operation.CREATE): CreateEventPayload,
    ("calendar", Operation.UPDATE): UpdateEventPayload,
    ("calendar", Operation.DELETE): DeleteEventsPayload,
    ("drive", Operation.SHARE): SharePayload,
}


def payload_type(service: Service, operation: Operation) -> type[Payload]:
    try:
        return PAYLOADS[(service, operation)]
    except KeyError:
        raise ValueError(f"{service} has no write called {operation}") from None


class ProposedAction(BaseModel):
    """A write a step wants to make, waiting for the user's confirmation."""

    service: Service
    operation: Operation
    account_id: str
    target_id: str | None = None
    #: The payload as stored: everything `execute` needs, and what the user may edit.
    fields: dict[str, Any]
    #: The action in plain words: recipients, subject and body; event and times; file and role.
    preview: str
    undoable: bool = False


class PendingAction(BaseModel):
    """A recorded proposed action and what became of it (`assistant.actions.ActionDesk`)."""

    id: uuid.UUID
    user_id: uuid.UUID
    account_id: uuid.UUID
    conversation_id: uuid.UUID | None
    service: Service
    operation: Operation
    target_id: str | None
    fields: dict[str, Any]
    preview: str
    undoable: bool
    status: str
    result: dict[str, Any] | None
    undo_data: dict[str, Any] | None
    error: str | None
    expires_at: datetime
    undo_until: datetime | None

    @classmethod
    def of(cls, row: PendingActionRow) -> PendingAction:
        return cls.model_validate(row, from_attributes=True)


def payload_of(action: PendingAction | ProposedAction) -> Payload:
    """The action's fields as its operation's payload."""
    return payload_type(action.service, action.operation).model_validate(action.fields)
