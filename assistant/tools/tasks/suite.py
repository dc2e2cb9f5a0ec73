"""The task suite: real requests over the demo workspace, each with the outcome it must have.

A task is one thing a person wants done, asked in several phrasings (terse; long and
polite; lower case with a typo or two), perhaps after earlier turns of the same
conversation. Its expectation says what must have *happened*, never how:

- `cite` / `first` / `not_cite`: items the answer must show as sources (the first one,
  for "the next", "the latest"), and items it must not;
- `facts`: what the answer must state (a date, a time, a count, a name, some words), and
  `not_facts` what it must not;
- `changes`: every write the sandbox must show afterwards, and nothing else: a read or a
  question that changes anything fails;
- `asks`: the answer must be a question back (what it asks about), and write nothing.

Items are named as a person sees them: by service and title (subject, event summary or
file name, compared case-insensitively) and, where titles repeat, by the day (`day`, in
the user's zone) or the sender. Times without a zone are the user's
(Europe/London for Alex). The suite lives in tests/tasks/*.yaml, one file per family;
`load_suite` reads and checks it. A write, for example:

    - id: send-daniel-quoted
      requests:
        - "email Daniel with the subject 'Staging' saying 'the deploy is green'"
        - ...
      expect:
        changes:
          - type: sent
            to: [daniel.okafor@northwindlabs.com]
            subject_exact: "Staging"
            body: ["the deploy is green"]
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.core.services import ServiceName
from assistant.core.settings import PROJECT_ROOT

SUITE_DIR = PROJECT_ROOT / "tests" / "tasks"
#: The demo workspace as written (sandbox/demo/README.md): Wednesday 18 November 2026,
#: noon in London, where Alex lives.
SUITE_NOW = dt.datetime.fromisoformat("2026-11-18T12:00:00+00:00")
SUITE_USER = "alex.rivera@northwindlabs.com"
SUITE_ZONE = "Europe/London"

Service = ServiceName


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ItemRef(Strict):
    """An email, event (one occurrence) or file of the workspace, as a person names it."""

    service: Service
    title: str
    #: The day it was sent, starts or was last modified (the user's zone): for repeated titles.
    day: dt.date | None = None
    #: The sender (mail), organizer (events) or owner (files), by email: for repeated titles.
    sender: str | None = Field(default=None, alias="from")


class Fact(Strict):
    """Something the answer must state. Exactly one of the fields; `text` alternatives are
    any-of, compared case-insensitively; `date`, `time` and `count` accept the usual ways
    of writing them ("Mon 23 Nov", "23 November"; "15:00", "3pm"; "3", "three")."""

    text: list[str] | None = None
    date: dt.date | None = None
    time: dt.time | None = None
    count: int | None = None

    @model_validator(mode="after")
    def _one(self) -> Fact:
        if sum(value is not None for value in (self.text, self.date, self.time, self.count)) != 1:
            raise ValueError("a fact is exactly one of text, date, time, count")
        return self


class MessageScope(Strict):
    """Every message of the user's mailbox that matches (a bulk write's scope)."""

    sender: str | None = Field(default=None, alias="from")
    subject: str | None = None
    after: dt.date | None = None
    before: dt.date | None = None


class Sent(Strict):
    """An email sent (or, with `type: draft`, saved as a draft) by the user."""

    type: Literal["sent", "draft"]
    to: list[str]
    cc: list[str] = []
    #: Words the subject must contain (all of them); `subject_exact` for the exact subject.
    subject: list[str] = []
    subject_exact: str | None = None
    #: Words or phrases the body must contain (all of them, case-insensitively).
    body: list[str] = []
    #: The thread it must continue (a reply) or the message it must carry (a forward).
    reply_to: ItemRef | None = None
    forward_of: ItemRef | None = None


class Trashed(Strict):
    """Messages moved to the trash: exactly these, or exactly every one in a scope."""

    type: Literal["trashed"]
    items: list[ItemRef] = []
    scope: MessageScope | None = None


class EventCreated(Strict):
    type: Literal["event_created"]
    #: Words the summary must contain; `summary_exact` for the exact title, case kept.
    summary: list[str] = []
    summary_exact: str | None = None
    #: Local start in the user's zone, or a window it must fall in (scheduling).
    start: dt.datetime | None = None
    start_after: dt.datetime | None = None
    start_before: dt.datetime | None = None
    duration_minutes: int | None = None
    all_day_on: dt.date | None = None
    attendees: list[str] = []
    location: list[str] = []
    #: An RRULE fragment the recurrence must contain ("FREQ=WEEKLY", "BYDAY=MO").
    recurrence: list[str] = []
    #: None of these people may be busy at the chosen time (their calendars before the write).
    free: list[str] = []


class EventChanged(Strict):
    """One occurrence (or a whole event) moved, renamed, resized or re-invited."""

    type: Literal["event_changed"]
    event: ItemRef
    start: dt.datetime | None = None
    duration_minutes: int | None = None
    summary_exact: str | None = None
    attendees_added: list[str] = []
    attendees_removed: list[str] = []


class EventCancelled(Strict):
    type: Literal["event_cancelled"]
    event: ItemRef
    #: `one`: that occurrence; `following`: it and every later one; `all`: the whole series.
    scope: Literal["one", "following", "all"] = "one"


class FileChanged(Strict):
    type: Literal["file_renamed", "file_shared", "file_trashed", "file_unshared"]
    file: ItemRef
    name: str | None = None
    email: str | None = None
    role: Literal["reader", "commenter", "writer"] | None = None


Change = Annotated[
    Sent | Trashed | EventCreated | EventChanged | EventCancelled | FileChanged, Field(discriminator="type")
]


class Ask(Strict):
    """The answer asks back (a clarification or a question), naming one of `about`."""

    about: list[str] = []


class Expect(Strict):
    cite: list[ItemRef] = []
    first: ItemRef | None = None
    not_cite: list[ItemRef] = []
    facts: list[Fact] = []
    #: What the answer must not state (a wrong date, a claim that something was done).
    not_facts: list[Fact] = []
    changes: list[Change] = []
    asks: Ask | None = None


class Task(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,80}$")
    family: str = ""
    #: The same request in several phrasings; each is run and judged on its own.
    requests: list[str] = Field(min_length=3)
    #: Earlier turns of the conversation, asked first (their outcomes are not judged).
    turns: list[str] = []
    user: str = SUITE_USER
    now: dt.datetime = SUITE_NOW
    expect: Expect
    #: Why this is the right outcome, checked against the workspace (for reviewers).
    note: str = ""


class Family(Strict):
    family: str = Field(pattern=r"^[a-z_]+$")
    description: str
    tasks: list[Task]


def load_suite(directory: Path = SUITE_DIR, families: set[str] | None = None) -> list[Task]:
    """Every task of every family file (or of the named families), ids checked unique."""
    tasks: list[Task] = []
    for path in sorted(directory.glob("*.yaml")):
        family = Family.model_validate(yaml.safe_load(path.read_text()))
        if families is not None and family.family not in families:
            continue
        tasks += [task.model_copy(update={"family": family.family}) for task in family.tasks]
    ids = [task.id for task in tasks]
    duplicates = sorted({task_id for task_id in ids if ids.count(task_id) > 1})
    if duplicates:
        raise ValueError(f"task ids used twice: {', '.join(duplicates)}")
    return tasks
