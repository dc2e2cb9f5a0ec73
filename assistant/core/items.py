"""The items the indexer takes: plain values, one dataclass per service.

The sync workers translate Google's API resources into these; the retrieval evaluation
builds them from a corpus file. Nothing here knows about Google's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Person:
    """Someone on an item: an address and, when known, the name shown with it."""

    email: str
    name: str = ""

    def display(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class EmailItem:
    message_id: str
    thread_id: str
    subject: str
    sender: Person
    internal_date: datetime
    body_text: str = ""
    to: tuple[Person, ...] = ()
    cc: tuple[Person, ...] = ()
    labels: tuple[str, ...] = ()
    snippet: str = ""
    is_unread: bool = False
    attachment_names: tuple[str, ...] = ()
    attachment_text: str = ""
    history_id: int | None = None
    rfc822_message_id: str | None = None
    size_estimate: int | None = None

    @property
    def people(self) -> tuple[Person, ...]:
        return (self.sender, *self.to, *self.cc)


@dataclass(frozen=True)
class Attendee(Person):
    response_status: str = "needsAction"


@dataclass(frozen=True)
class EventItem:
    calendar_id: str
    event_id: str
    summary: str
    start_at: datetime
    end_at: datetime
    description: str = ""
    location: str = ""
    organizer: Person | None = None
    attendees: tuple[Attendee, ...] = ()
    status: str = "confirmed"
    all_day: bool = False
    start_date: date | None = None
    end_date: date | None = None
    time_zone: str | None = None
    recurrence: tuple[str, ...] = ()
    recurring_event_id: str | None = None
    ical_uid: str | None = None
    meet_link: str | None = None
    html_link: str | None = None
    google_updated_at: datetime | None = None
    sequence: int = 0

    @property
    def people(self) -> tuple[Person, ...]:
        return (*((self.organizer,) if self.organizer else ()), *self.attendees)


@dataclass(frozen=True)
class FileItem:
    """A Drive file. A file in the trash is indexed by removing it from the cache."""

    file_id: str
    name: str
    mime_type: str
    modified_at: datetime
    owners: tuple[Person, ...] = ()
    description: str = ""
    content_text: str = ""
    last_modifying_email: str | None = None
    created_at: datetime | None = None
    web_view_link: str | None = None
    size_bytes: int | None = None
    parents: tuple[str, ...] = ()
    shared: bool = False
    permissions: list[dict[str, Any]] = field(default_factory=list)
    version: int | None = None
    trashed: bool = False

    @property
    def people(self) -> tuple[Person, ...]:
        return self.owners
