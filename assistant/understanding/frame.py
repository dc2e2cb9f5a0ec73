"""The request frame: what a request means, the one meaning model.

Both understanding paths fill it: a language model's structured output *is* a `Frame`
(its JSON schema is the contract, with every field present as strict structured output
needs), and the offline reader fills the same fields from the words. The frame keeps
what the user wrote where the words matter (names, titles, quoted text, date phrases,
with their case) and holds values where the words are unambiguous (counts, an order, a
duration in minutes, a role). What only the user's world can say (who "Sarah" is, which
instant "Thursday at 1" is in the user's zone, which item "the second one" was) is added
by the resolver, not here.

    "cancel my next 1:1 with Priya"
    Frame(act="delete", services=["calendar"],
          target=Selection(service="calendar", title="1:1", order="next", count=1,
                           people=[PersonRef(name="Priya", role="with")]))

    "email Daniel with the subject 'Staging' saying 'the deploy is green'"
    Frame(act="send", services=["gmail"],
          message=Message(to=["Daniel"], subject="Staging", body="the deploy is green", quoted=True))
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.core.services import ServiceName
from assistant.understanding.schema import Clarification

#: What the request does. `find` looks items up and answers about them; `read` opens one
#: in full; the writes are proposed and carried out only after the user confirms.
Act = Literal[
    "find",
    "read",
    "send",
    "draft",
    "reply",
    "forward",
    "create",  # a new event
    "change",  # move, shift, resize or rename an event; rename a file
    "delete",  # events are cancelled, mail goes to the trash
    "share",
    "free_time",  # when am I (or are we) free
    "prepare",  # brief me for a meeting: the event, its people's recent mail, its files
]
#: What the answer must say: the items (`list`), when, who, where, how many, yes or no,
#: a summary, who has access, what an item says (`content`), or how much it is for
#: (`amount`: "how much was the September invoice?").
Ask = Literal["list", "when", "who", "where", "count", "yes_no", "summary", "access", "content", "amount"]
#: How the items are ordered before `count` of them are taken: by relevance; `next`, the
#: first upcoming from now; `latest`, the most recent (newest mail or file, last past
#: event); `earliest`, the oldest.
Order = Literal["relevance", "next", "latest", "earliest"]
#: A person's part: in a selection `from` is the sender (an event's organizer, a file's
#: owner), `to` and `cc` the recipients, `with` someone taking part (attendee, any
#: correspondent); in a message `to` and `cc`; `any` when the words do not say.
Role = Literal["from", "to", "cc", "with", "any"]
#: Kinds of item a request names, beyond its service.
ItemKind = Literal[
    "email",
    "event",
    "file",
    "pdf",
    "spreadsheet",
    "presentation",
    "document",
    "image",
    "newsletter",
    "invoice",
    "booking",  # a flight, train, hotel or other reservation: mail confirming it, events for it
]
#: What a request asks that only someone else could do: read another person's mailbox,
#: calendar or account (`other_account`), or send as them (`send_as_other`).
OutOfReach = Literal["other_account", "send_as_other"]
#: Which occurrences of a recurring event: this one, this and the following, all of them.
Series = Literal["one", "following", "all"]
ShareRole = Literal["reader", "commenter", "writer"]
#: What a share does to each person's access: `grant` gives at least the role (someone
#: who already has it or more keeps theirs); `set` makes it exactly the role, a downgrade
#: included ("make Daniel view-only", "change his access so he can only view"); `revoke`
#: removes their access ("stop sharing it with Tom", "remove Sarah's access").
ShareAccess = Literal["grant", "set", "revoke"]


class FrameModel(BaseModel):
    """A part of the frame. Defaults serve the offline reader and tests; the JSON schema
    a model fills lists every field as required and shows no defaults (strict output)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=lambda schema: _every_field_required(schema))


def _every_field_required(schema: dict[str, Any]) -> None:
    properties: dict[str, Any] = schema.get("properties", {})
    for field in properties.values():
        field.pop("default", None)
    schema["required"] = list(properties)


class PersonRef(FrameModel):
    """A person as named ("Sarah", "sarah.chen@northwindlabs.com", "my manager") and their part."""

    name: str = Field(description="As written: a name, an address, or a phrase like 'my manager'.")
    role: Role = Field(default="any", description="Their part in the items or in the message.")


class Selection(FrameModel):
    """Which existing items the request is about."""

    service: ServiceName | None = Field(default=None, description="Where the items are; null when anywhere.")
    kinds: list[ItemKind] = Field(default_factory=list, description="Kinds of item named ('PDFs', 'invoices').")
    title: str | None = Field(
        default=None, description="A named item, as written with its case: 'Q4 Financial Review', 'Beacon PRD'."
    )
    topic: str | None = Field(default=None, description="What the items are about (search words), as written.")
    people: list[PersonRef] = Field(default_factory=list)
    time: str | None = Field(
        default=None, description="The date or time phrase that selects the items, as written: 'next week'."
    )
    order: Order = "relevance"
    count: int | None = Field(
        default=None, description="How many are meant: 1 for 'the next', 'the latest'; N for 'the 5 newest'."
    )
    every: bool = Field(default=False, description="All matching items ('all', 'every', 'everything').")
    unread: bool = False
    starred: bool = False
    has_attachment: bool = False
    sent_by_me: bool = Field(default=False, description="Mail the user sent ('emails I sent', 'my email to Tom').")
    received: bool = Field(
        default=False, description="Mail the user received, not sent ('emails I got', 'invoices that came in')."
    )
    labels: list[str] = Field(default_factory=list, description="Gmail labels named, as written.")
    picks: list[int] = Field(
        default_factory=list, description="Positions (1-based; -1 the last) in the previous answer: 'the second one'."
    )
    previous: bool = Field(
        default=False, description="The items of the previous answer ('it', 'them', 'those', 'only the ones...')."
    )
    series: Series = Field(default="one", description="For a recurring event: this one, this and following, all.")


class Message(FrameModel):
    """The message to send, draft, reply with or forward."""

    to: list[str] = Field(default_factory=list, description="Recipients as written (names or addresses).")
    cc: list[str] = Field(default_factory=list)
    subject: str | None = Field(default=None, description="The subject as written, with its case.")
    body: str | None = Field(default=None, description="What the message says, as written, with its case.")
    quoted: bool = Field(
        default=False, description="True when the body is given word for word ('saying \"...\"'), not reported."
    )
    reply_all: bool = False
    draft: bool = Field(
        default=False,
        description="A reply or forward saved as a draft, not sent ('draft a reply to Tom's email').",
    )
    link: bool = Field(
        default=False,
        description="The message carries a link to the target file ('send Daniel the link to the roadmap deck').",
    )


class EventSpec(FrameModel):
    """The event to create, or what changes in an existing one."""

    title: str | None = Field(default=None, description="The new event's title.")
    start: str | None = Field(
        default=None, description="When it starts, as written: 'Thursday at 1pm', '3pm', 'tomorrow at 1'."
    )
    keep_time: bool = Field(default=False, description="A move to another day at the same time ('same time').")
    when_free: bool = Field(
        default=False,
        description="The time is to be found: the first time within `start` ('next week', 'tomorrow "
        "afternoon') when the user and the attendees are all free ('find an hour with Sarah next week').",
    )
    duration_minutes: int | None = Field(default=None, description="'an hour and a half' is 90.")
    shift_minutes: int | None = Field(
        default=None, description="A move by a duration: '15 minutes earlier' is -15, 'an hour later' is 60."
    )
    all_day: bool = False
    attendees: list[str] = Field(
        default_factory=list, description="People to invite (to a new event, or added to one), as written."
    )
    uninvited: list[str] = Field(
        default_factory=list, description="People taken off an existing event's guest list, as written."
    )
    location: str | None = None
    zone: str | None = Field(default=None, description="A time zone the times are in, when named ('London time').")
    recurrence: str | None = Field(default=None, description="A repetition as written: 'every Monday'.")


class Share(FrameModel):
    people: list[str] = Field(default_factory=list, description="Whose access changes, as written.")
    role: ShareRole = "reader"
    access: ShareAccess = "grant"
    message: str | None = None


class Refinement(FrameModel):
    """How a follow-up changes the previous answer: `narrow` it ("only the ones about X"),
    `widen` or change it ("what about last month?"), `pick` from it ("the second one"),
    the `next_page` ("show me more"), `other_one`, or step from its item to the one
    `earlier` ("and the one before that?") or `later` ("and when do I come back?"). The
    frame still says the whole request: the previous one, changed."""

    kind: Literal["narrow", "widen", "pick", "next_page", "other_one", "earlier", "later"]


class Condition(FrameModel):
    """Do the act only if this holds: no meeting with `people` in `time` (`no_meeting_with`),
    `time` is free (`free`), or the target event overlaps `other` (`overlaps`: "cancel
    tomorrow's standup if it clashes with the Q4 review"; no `other` is any other event)."""

    kind: Literal["no_meeting_with", "free", "overlaps"]
    people: list[str] = Field(default_factory=list)
    time: str | None = None
    other: Selection | None = Field(
        default=None, description="With `overlaps`: the event the target must clash with; null for any event."
    )


class Frame(FrameModel):
    """A request's meaning: what to do, on which items, with what content."""

    act: Act = "find"
    ask: Ask = "list"
    services: list[ServiceName] = Field(default_factory=list, description="Every service needed, the main one first.")
    target: Selection = Field(default_factory=Selection, description="The items acted on or asked about.")
    also: list[Selection] = Field(
        default_factory=list, description="Other items looked up alongside ('and my meetings with her next week')."
    )
    message: Message | None = None
    event: EventSpec | None = None
    share: Share | None = None
    rename: str | None = Field(
        default=None, description="The new name in a rename, of an event or a file, as written with its case."
    )
    refine: Refinement | None = None
    condition: Condition | None = None
    clarification: Clarification | None = None
    out_of_reach: OutOfReach | None = Field(
        default=None, description="Set when the request needs another person's account; nothing then runs."
    )
    confidence: float = Field(default=1.0, description="Probability, 0 to 1, that this reading is right.")
