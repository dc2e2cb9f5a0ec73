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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class TrashedMessage(Payload):
    """One email a trash moves: its id, and what the card shows of it."""

    id: str
    subject: str
    #: Stored as "from". The two aliases do what `alias="from"` would, but type checkers take
    #: `alias` for the constructor's keyword, which `from` cannot be: `sender=` is the keyword.
    sender: str = Field(validation_alias="from", serialization_alias="from")
    #: The linked account holding it, when not the action's own (a search over several accounts).
    account_id: str | None = None


class TrashPayload(Payload):
    """The emails to move to the trash.

    One email is stored as it always was (`message_id`, `subject`, `from`), so older rows,
    and clients reading those fields, keep working; several are stored as `messages`.
    """

    messages: list[TrashedMessage] = Field(min_length=1)
    #: Ids already in the trash, remembered as they go, so that a retry continues.
    trashed: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_message(cls, data: Any) -> Any:
        """The single-message shape (stored, or `message_id=`, `subject=`, `sender=`) as a list of one."""
        if isinstance(data, dict) and "messages" not in data and "message_id" in data:
            data = dict(data)
            one = {"id": data.pop("message_id"), "subject": data.pop("subject", "")}
            one["from"] = data.pop("from", None) or data.pop("sender", "")
            data.pop("sender", None)
            if "account_id" in data:
                one["account_id"] = data.pop("account_id")
            data["messages"] = [one]
        return data

    def stored(self) -> dict[str, Any]:
        fields = super().stored()
        if len(self.messages) == 1:
            one = fields.pop("messages")[0]
            fields = {"message_id": one.pop("id")} | one | fields
        return fields


# --- Calendar --------------------------------------------------------------------------


class EventTimes(Payload):
    """An event's title, times and place: what a move changes, and what undo restores."""

    summary: str
    start: str
    end: str
    location: str = ""
    #: An all-day event's times are midnights in its zone: Google is sent its dates.
    all_day: bool | None = None
    #: Who is invited (addresses), when a change adds or removes people; None: unchanged.
    attendees: list[str] | None = None


class CreateEventPayload(Payload):
    summary: str
    start: str
    end: str
    time_zone: str
    attendees: list[str] = Field(default_factory=list)
    location: str = ""
    description: str = ""
    #: How it repeats, as Google takes it: ["RRULE:FREQ=WEEKLY;BYDAY=TU"].
    recurrence: list[str] = Field(default_factory=list)
    #: An all-day event: its dates are `start`'s and `end`'s in `time_zone`.
    all_day: bool = False
    #: Names said as guests that may mean several people: shown on the card, not invited.
    not_invited: list[str] = Field(default_factory=list)


class UpdateEventPayload(Payload):
    """An event moved (`start`), shifted, moved to another day, resized (`end`), renamed
    (`summary`) or with people added or removed (`attendees`, everyone invited after the
    change): the event as it will be, and as it was."""

    event_id: str
    summary: str
    start: str
    end: str
    time_zone: str | None = None
    location: str = ""
    #: An all-day event moved by whole days stays all-day (its times are midnights).
    all_day: bool | None = None
    attendees: list[str] | None = None
    #: The event as it was, for the card ("Move ... from ... to ...") and for undo.
    was: EventTimes


#: Which occurrences of a recurring event a deletion takes: this one, this one and the
#: following ones, or the whole series.
SeriesScope = Literal["one", "following", "all"]


class DeletedEvent(Payload):
    event_id: str
    summary: str
    start: str
    end: str
    all_day: bool = False
    #: Set for a recurring event's occurrences beyond this one ("following", "all"): its
    #: series (Google's recurring event), and how many occurrences go, for the card.
    series: SeriesScope | None = None
    recurring_event_id: str | None = None
    occurrences: int | None = None


class DeleteEventsPayload(Payload):
    events: list[DeletedEvent]
    #: The user's zone: the card shows each event's times where the user is.
    time_zone: str | None = None
    #: Each event's full resource, kept before deleting it so that undo can restore it (a
    #: series' recurring event, for "following" and "all").
    originals: dict[str, Any] = Field(default_factory=dict)
    #: For "following": where each series was cut (its occurrence's original start), kept
    #: before cutting so that a retry cuts it at the same place.
    cuts: dict[str, str] | None = None


# --- Drive -----------------------------------------------------------------------------


class SharePayload(Payload):
    """People to give a role on a file: at least the role, or exactly it (`exact`, which
    may lower someone's access: "make Daniel view-only")."""

    file_id: str
    file_name: str
    emails: list[str]
    role: str = "reader"
    message: str = ""
    exact: bool = False


class UnsharePayload(Payload):
    """People whose access to a file is taken away; undo gives each their role back."""

    file_id: str
    file_name: str
    emails: list[str]


class RenamePayload(Payload):
    """A file's new name, and its old one (what undo restores)."""

    file_id: str
    old_name: str
    name: str


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
    ("drive", Operation.UNSHARE): UnsharePayload,
    ("drive", Operation.RENAME): RenamePayload,
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
