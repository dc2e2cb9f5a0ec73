"""The pieces understanding shares, and the offline models' reading.

`IntentDraft` is what the trained classifier and tagger (`local.py`) read out of the
words: services, operations, and spans as the user wrote them. It is the offline path's
first signal, completed into the request frame by `reader.py`; the frame
(`frame.py`), resolved into a `Meaning` (`meaning.py`), is the one meaning model.
`Clarification` (a question back), `ResolvedPerson`, `TimeRange` and `ItemRef` are the
resolved pieces a meaning holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from assistant.core.services import ServiceName

Service = ServiceName
Operation = Literal["search", "read", "send", "draft", "reply", "forward", "create", "update", "delete", "share"]
SERVICES: tuple[Service, ...] = ("gmail", "calendar", "drive")


class DraftStep(BaseModel):
    """One call the planner should make; `depends_on` holds indexes of earlier steps."""

    service: Service
    operation: Operation
    description: str = Field(description="What this step does, in a few words.")
    depends_on: list[int] = Field(description="Indexes of steps whose results this step uses.")


ClarificationKind = Literal["item", "person", "service", "operation", "title", "other"]


class Clarification(BaseModel):
    """A question to put to the user, with the answers to offer as buttons."""

    kind: ClarificationKind = Field(
        description="What is unclear: which item from the previous answer ('item'), which person "
        "('person'), which service ('service'), what to do ('operation'), what a new event is called "
        "('title'), or something else ('other')."
    )
    question: str
    options: list[str]

    @model_validator(mode="before")
    @classmethod
    def _stored_before_kind(cls, data: Any) -> Any:
        """Intents stored before `kind` existed (conversation context) read as 'other'.

        A validator, not a default: strict structured output allows no defaults.
        """
        if isinstance(data, dict) and "kind" not in data:
            return {**data, "kind": "other"}
        return data


class Slot(BaseModel):
    type: str
    text: str


class IntentDraft(BaseModel):
    """A request as read from its words; nothing resolved yet.

    Strict-mode friendly for OpenAI: no defaults, no open-ended objects, no numeric bounds.
    """

    services: list[Service] = Field(description="Services involved, the primary one first.")
    operations: list[Operation] = Field(description="Operations, the primary one first.")
    steps: list[DraftStep]
    people: list[str] = Field(description="People named, as written (names or addresses).")
    when: str | None = Field(description="Date/time phrase that selects existing items, as written ('last week').")
    new_time: str | None = Field(description="Date/time phrase for a new or moved event, as written ('friday at 3pm').")
    topic: str | None = Field(description="What the items are about (search keywords).")
    subject: str | None = Field(description="Subject line of an email to write.")
    event_title: str | None = Field(description="Title of an event to find or create.")
    file_name: str | None = Field(description="Name of a Drive file to find or act on.")
    body: str | None = Field(description="What the message to write should say.")
    place: str | None
    item_ordinals: list[int] = Field(
        description="Positions (1-based) of items from the previous answer the user refers to."
    )
    refers_to_previous: bool = Field(
        description="True when the request continues the previous turn ('it', 'and Drive?')."
    )
    confidence: float = Field(description="Probability, 0 to 1, that this reading is right.")
    clarification: Clarification | None = Field(
        description="A question with options when the request is ambiguous, else null."
    )
    slots: list[Slot] = Field(
        description="Every span of the request that is a person, date, time, timeofday, "
        "event_name, email_address, place_name or file_name, as written."
    )

    def slot_values(self) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        for slot in self.slots:
            values.setdefault(slot.type, []).append(slot.text)
        return values

    @staticmethod
    def slots_from(values: dict[str, list[str]]) -> list[Slot]:
        return [Slot(type=kind, text=text) for kind, texts in values.items() for text in texts]


#: A recipient standing for the user's whole organisation ("everyone at Northwind", "the
#: whole company"): its all-staff address, when the user's mail knows one.
EVERYONE = "everyone in my organisation"


class Contact(BaseModel):
    name: str
    email: str


class ResolvedPerson(BaseModel):
    """A name from the request and the contact it was matched to (None: no match)."""

    mention: str
    contact: Contact | None
    score: float
    candidates: list[Contact] = Field(default_factory=list)


class TimeRange(BaseModel):
    """A phrase resolved to [start, end) in the user's time zone."""

    text: str
    start: datetime
    end: datetime


class ItemRef(BaseModel):
    """An item returned by an earlier turn, as stored in `messages.results`."""

    service: Service
    id: str
    title: str = ""
    position: int
    #: When it is (an event's start, a message's date, a file's last change): "the one
    #: before that" is before it. None in turns stored before it was kept.
    when: datetime | None = None
