"""From a resolved intent to an execution plan.

Rules, in the order they are tried:
- a request about items of the previous answer ("reply to the second one", "move it")
  reads those items by id instead of searching again;
- a write needs its target: a search step of its service runs first (in parallel with
  every other search) and the write consumes its best result;
- cancelling a booking ("cancel my Turkish Airlines flight") searches the mail for the
  booking and the calendar for the trip in parallel, then proposes deleting the event and
  drafting the cancellation to whoever sent the booking;
- a new event without a time takes the first free slot found by free/busy;
- everything else is one search per service, all concurrent.
A time range filters every searched service, except that a future range ("my meetings
next week") only filters the calendar: mail and files are never dated in the future.
In a lookup, "from Sarah" filters by sender and "to Tom" by recipient; other names by
anyone on the item. Kinds of item filter too: "PDFs", "spreadsheets", "slides" the Drive
type; "unread", "starred", "with attachments", "I sent", "my emails to Tom" the mail's
flags and labels.
A request for the newest ("the latest email from Sarah", "my most recent invoice") has
its mail and file searches list newest first: by people and dates alone, newest first
overall, when it names no topic; else its most relevant results, newest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from assistant.plan import Binding, ExecutionPlan, Operation, PlanStep, Service
from assistant.understanding.schema import SERVICES, ParsedIntent
from search.terms import TIME_WORDS

TARGET_INPUT = {"gmail": "message", "calendar": "event", "drive": "file"}
SEARCH_OPERATIONS = {"search", "read"}
_BOOKING = re.compile(r"\b(flight|booking|reservation|hotel|train|trip|ticket)s?\b", re.IGNORECASE)
_CANCEL = re.compile(r"\bcancel\b", re.IGNORECASE)
#: Below this confidence a lookup searches every service: it is cheap (the caches are
#: local) and a misread service would otherwise hide the answer.
UNSURE = 0.6
_AVAILABILITY = re.compile(r"\b(free|available|availability|free slots?|open slots?)\b", re.IGNORECASE)
_EDIT_ROLE = re.compile(r"\b(edit|editor|write|modify|change)\b", re.IGNORECASE)
_COMMENT_ROLE = re.compile(r"\bcomment", re.IGNORECASE)
#: "latest", "newest", "most recent", "my last email to Tom"; not "last week" nor "the last one".
_NOT_AFTER_LAST = "|".join(sorted(TIME_WORDS | {"night", "time", "one", "ones", "year's", "week's", "month's"}))
_NEWEST = re.compile(rf"\b(?:latest|newest|most recent(?:ly)?|last (?!(?:{_NOT_AFTER_LAST})\b)[a-z]+)", re.IGNORECASE)


def plan_for(intent: ParsedIntent, now: datetime) -> ExecutionPlan:
    operation = "trash" if intent.service == "gmail" and intent.operation == "delete" else intent.operation
    if operation not in SEARCH_OPERATIONS and _CANCEL.search(intent.text) and _BOOKING.search(intent.text):
        return _cancel_booking(intent, now)
    if operation in SEARCH_OPERATIONS:
        return _lookup(intent, now)
    return _write(intent, Operation(operation), now)


def _lookup(intent: ParsedIntent, now: datetime) -> ExecutionPlan:
    steps = []
    if "calendar" in intent.services and _AVAILABILITY.search(intent.text):
        # "when am I free on Tuesday": free/busy, not a search of events.
        slots = PlanStep(
            id="find_free_time",
            service="calendar",
            operation=Operation.FREE_SLOTS,
            description="Find free time",
            params=_slot_window(intent),
        )
        others = [_search(intent, service, now) for service in intent.services if service != "calendar"]
        return ExecutionPlan(steps=[*others, slots])
    if intent.operation == "read" and intent.entities.items:
        for ref in intent.entities.items:
            steps.append(_read_by_id(ref.service, ref.id, f"read_{ref.service}_{ref.position}", ref.title))
        return ExecutionPlan(steps=steps)
    services = list(intent.services)
    if intent.confidence < UNSURE:
        services += [service for service in SERVICES if service not in services]
    for service in services:
        steps.append(_search(intent, service, now))
    return ExecutionPlan(steps=steps)


def _write(intent: ParsedIntent, operation: Operation, now: datetime) -> ExecutionPlan:
    service = intent.service
    if service == "calendar" and operation == "reply":
        return _reply_to_event(intent, now)
    steps: list[PlanStep] = []
    inputs: dict[str, Binding] = {}
    needs_target = operation in {"reply", "forward", "update", "delete", "share", "trash"}
    if needs_target:
        target = _target_step(intent, service, now)
        steps.append(target)
        inputs[TARGET_INPUT[service]] = _bind_target(target)
    params = _write_params(intent, service, operation)
    if service == "calendar" and operation == "create" and not params.get("start"):
        slots = PlanStep(
            id="find_free_slot",
            service="calendar",
            operation=Operation.FREE_SLOTS,
            description="Find a free slot",
            params=_slot_window(intent),
        )
        steps.append(slots)
        inputs["slots"] = Binding(step=slots.id, output="slots")
    # Other services named in the request are looked up alongside, for the answer.
    for other in intent.services[1:]:
        if other != service:
            steps.append(_search(intent, other, now))
    steps.append(
        PlanStep(
            id=f"{operation}_{service}",
            service=service,
            operation=operation,
            description=_describe_write(operation, service),
            params=params,
            inputs=inputs,
        )
    )
    return ExecutionPlan(steps=steps)


def _reply_to_event(intent: ParsedIntent, now: datetime) -> ExecutionPlan:
    """A reply to a meeting ("reply to the first one" after a calendar lookup) is an email
    to its organizer, or to the people invited when the meeting is the user's own.

    Calendar has no replies of its own (an RSVP is an answer, not a message), and this is
    what people mean.
    """
    target = _target_step(intent, "calendar", now)
    params = _write_params(intent, "gmail", "send") | {"purpose": "event_reply"}
    reply = PlanStep(
        id="email_organizer",
        service="gmail",
        operation=Operation.SEND,
        description="Email the organizer",
        params=params,
        inputs={"message": _bind_target(target)},
    )
    return ExecutionPlan(steps=[target, reply])


def _cancel_booking(intent: ParsedIntent, now: datetime) -> ExecutionPlan:
    words = intent.entities.topic or intent.entities.event_title or _strip_cancel(intent.text)
    find_booking = PlanStep(
        id="find_booking",
        service="gmail",
        operation=Operation.SEARCH,
        description="Find the booking in your mail",
        params={"text": f"{words} booking confirmation", "limit": 5},
    )
    find_event = PlanStep(
        id="find_event",
        service="calendar",
        operation=Operation.SEARCH,
        description="Find it in your calendar",
        params={"text": words, "limit": 10, "filters": _time_filters(intent, "calendar", now)},
    )
    delete_event = PlanStep(
        id="delete_event",
        service="calendar",
        operation=Operation.DELETE,
        description="Delete the calendar entries",
        inputs={
            "events": Binding(step="find_event", output="items"),
            "booking": Binding(step="find_booking", output="top"),
        },
    )
    draft = PlanStep(
        id="draft_cancellation",
        service="gmail",
        operation=Operation.DRAFT,
        description="Draft the cancellation email",
        params={"purpose": "cancellation", "body": intent.entities.body or ""},
        inputs={"message": Binding(step="find_booking", output="top")},
    )
    return ExecutionPlan(steps=[find_booking, find_event, delete_event, draft])


def _target_step(intent: ParsedIntent, service: Service, now: datetime) -> PlanStep:
    refs = [ref for ref in intent.entities.items if ref.service == service]
    if refs:
        return _read_by_id(service, refs[0].id, f"read_{service}", refs[0].title)
    search = _search(intent, service, now, limit=10)
    # The whole request, not just the title the reader extracted: "the dinner for
    # Olivia's birthday" must not become "birthday". Search drops the intent words.
    search.params["text"] = f"{search.params['text']} {intent.text}"
    search.params["title"] = intent.text
    return search


def _bind_target(target: PlanStep) -> Binding:
    """The item a target step found: the one it read, or the best its search found."""
    return Binding(step=target.id, output="item" if target.operation == Operation.READ else "top")


def _read_by_id(service: Service, item_id: str, step_id: str, title: str) -> PlanStep:
    return PlanStep(
        id=step_id,
        service=service,
        operation=Operation.READ,
        description=f"Open \u201c{title or item_id}\u201d",
        params={"id": item_id},
    )


def _search(intent: ParsedIntent, service: Service, now: datetime, limit: int = 10) -> PlanStep:
    entities = intent.entities
    topic = {
        "gmail": entities.topic or entities.subject,
        "calendar": entities.event_title or entities.topic,
        "drive": entities.file_name or entities.topic,
    }[service]
    # Mail and files are listed newest first when asked for the newest; the calendar keeps
    # its own order ("my last meeting" is a past one, and listings there go by time).
    newest_first = service != "calendar" and bool(_NEWEST.search(intent.text))
    kinds = _kinds(intent, service)
    # Without a topic, the request's words are searched, less those that became filters:
    # "my unread emails" lists unread mail, not mail saying "unread". The newest are the
    # newest of the filters (people, dates), not the items whose words best match the
    # request's names: then the names leave the text too.
    names = [_word(mention) for mention, _ in _named(intent)] if newest_first else []
    text = topic or _without(intent.text, kinds.words + names)
    filters = _time_filters(intent, service, now) | _people_filters(intent, service) | kinds.filters
    return PlanStep(
        id=f"search_{service}",
        service=service,
        operation=Operation.SEARCH,
        description=f"Search your {kinds.nouns[1]}",
        params={"text": text, "filters": filters, "limit": limit, "nouns": kinds.nouns}
        | ({"newest_first": True} if newest_first else {}),
    )


def _people_filters(intent: ParsedIntent, service: str) -> dict[str, list[str]]:
    """Who the items involve: in a lookup, "from Sarah" is the sender (an event's
    organizer, a file's owner) and "to Tom" a recipient (an attendee); anyone else named is
    anyone on the item. A write's people are its own ("forward the invoice to Tom"), so its
    target search takes them as anyone. An ambiguous name ("Sarah") goes to search as the
    name: search matches any of the addresses it may mean, and ranking sorts them out."""
    filters: dict[str, list[str]] = {}
    for mention, value in _named(intent):
        role = "people"
        if intent.operation in SEARCH_OPERATIONS:
            if re.search(rf"\b(?:from|by)\s+{re.escape(mention)}\b", intent.text, re.IGNORECASE):
                role = "senders"
            elif service != "drive" and re.search(rf"\bto\s+{re.escape(mention)}\b", intent.text, re.IGNORECASE):
                role = "recipients"  # a file has no recipients: "files to Tom" are his as anyone's
        filters.setdefault(role, []).append(value)
    return filters


#: Drive types by the words that name them, and what to call such files; a request naming
#: several kinds takes any of them.
_FILE_TYPES = (
    (re.compile(r"\bpdfs?\b", re.IGNORECASE), "PDF", ("application/pdf",)),
    (
        re.compile(r"\b(?:spreadsheets?|(?:google )?sheets|google sheet|excel|xlsx|csv)\b", re.IGNORECASE),
        "spreadsheet",
        (
            "application/vnd.google-apps.spreadsheet",
            "application/vnd.ms-excel",
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ),
    (
        re.compile(r"\b(?:slides?|(?:slide )?decks?|presentations?|powerpoints?|pptx)\b", re.IGNORECASE),
        "presentation",
        (
            "application/vnd.google-apps.presentation",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
    ),
    # Not "document" alone: "the Beacon requirements document" may be any kind of file.
    (
        re.compile(r"\b(?:google docs?|word (?:docs?|documents?|files?)|docx)\b", re.IGNORECASE),
        "document",
        (
            "application/vnd.google-apps.document",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ),
    (re.compile(r"\b(?:images?|photos?|pictures?|screenshots?)\b", re.IGNORECASE), "image", ("image/",)),
)
_UNREAD = re.compile(r"\bunread\b", re.IGNORECASE)
_STARRED = re.compile(r"\bstarred\b", re.IGNORECASE)
_ATTACHMENT = re.compile(r"\b(?:attachments?|attached)\b", re.IGNORECASE)
_SENT_BY_ME = re.compile(r"\b(?:I(?:'ve| have)? (?:sent|wrote|written)|sent by me|my sent)\b", re.IGNORECASE)
#: In a lookup, "my last email to Tom" is one the user sent; in a write ("forward my email
#: to Tom") Tom receives the forward, and the email may be one the user received.
_MY_MAIL_TO = re.compile(r"\bmy (?:[a-z]+ )?(?:e-?mails?|mails?|messages?) to\b", re.IGNORECASE)


@dataclass(frozen=True)
class Kinds:
    """The kind of item a request names, for one service: its filters, the words that
    named it (they leave the searched text) and what to call the items found."""

    filters: dict[str, Any]
    words: list[re.Pattern[str]]
    nouns: list[str]


def _kinds(intent: ParsedIntent, service: str) -> Kinds:
    """Drive types ("PDFs about pricing": called PDFs when one kind is named), mail flags
    and labels ("unread emails from Sarah", "starred", "with attachments", "emails I sent
    to Tom"). Each filter goes to the one service that can satisfy it: search drops a
    service a filter excludes."""
    text = intent.text
    nouns = {"gmail": ["email", "emails"], "calendar": ["event", "events"], "drive": ["file", "files"]}[service]
    if service == "drive":
        named = [(words, kind, mimes) for words, kind, mimes in _FILE_TYPES if words.search(text)]
        if len(named) == 1:
            nouns = [named[0][1], f"{named[0][1]}s"]
        types = [mime for _, _, mimes in named for mime in mimes]
        return Kinds({"mime_types": types} if types else {}, [words for words, _, _ in named], nouns)
    if service != "gmail":
        return Kinds({}, [], nouns)
    sent = _MY_MAIL_TO if intent.operation in SEARCH_OPERATIONS and _MY_MAIL_TO.search(text) else _SENT_BY_ME
    named_flags = [words for words in (_STARRED, sent, _UNREAD, _ATTACHMENT) if words.search(text)]
    filters: dict[str, Any] = {}
    labels = [label for label, words in (("STARRED", _STARRED), ("SENT", sent)) if words in named_flags]
    if labels:
        filters["labels"] = labels
    if _UNREAD in named_flags:
        filters["unread"] = True
    if _ATTACHMENT in named_flags:
        filters["has_attachment"] = True
    return Kinds(filters, named_flags, nouns)


def _named(intent: ParsedIntent) -> list[tuple[str, str]]:
    """Each person named, as written and as searched for (their address when matched)."""
    named = [
        (person.mention, person.contact.email if person.contact else person.mention)
        for person in intent.entities.people
    ]
    return named + [(address, address) for address in intent.entities.email_addresses]


def _word(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(phrase)}\b", re.IGNORECASE)


def _without(text: str, words: list[re.Pattern[str]]) -> str:
    """`text` less the spans the patterns match, the longest patterns first."""
    for pattern in sorted(words, key=lambda p: len(p.pattern), reverse=True):
        text = pattern.sub(" ", text)
    return " ".join(text.split())


def _time_filters(intent: ParsedIntent, service: str, now: datetime) -> dict[str, Any]:
    window = intent.entities.time_range
    if window is None:
        return {}
    if service != "calendar" and window.start > now:
        return {}  # mail and files are dated in the past: future time words name their subject
    return {"after": window.start.isoformat(), "before": window.end.isoformat()}


def _write_params(intent: ParsedIntent, service: str, operation: str) -> dict[str, Any]:
    entities = intent.entities
    recipients = [p.contact.email for p in entities.people if p.contact] + entities.email_addresses
    if service == "gmail":
        first = next((p.contact.name.split(" ")[0] for p in entities.people if p.contact and p.contact.name), "")
        return {
            "to": recipients,
            "subject": _as_written(entities.subject or "", intent.text),
            "body": _as_written(entities.body or "", intent.text),
            "greeting_name": first,
        }
    if service == "calendar":
        params: dict[str, Any] = {}
        if entities.new_time is not None:
            params["start"] = entities.new_time.start.isoformat()
            if entities.new_time.end - entities.new_time.start >= timedelta(
                minutes=15
            ) and entities.new_time.end - entities.new_time.start <= timedelta(hours=8):
                params["end"] = entities.new_time.end.isoformat()
        if operation == "create":
            params.update(
                summary=entities.event_title or entities.topic or "Meeting",
                attendees=recipients,
                location=entities.place or "",
            )
        return params
    role = (
        "writer" if _EDIT_ROLE.search(intent.text) else "commenter" if _COMMENT_ROLE.search(intent.text) else "reader"
    )
    return {"emails": recipients, "role": role}


def _as_written(span: str, text: str) -> str:
    """`span` with the capitals the user typed ("Friday", "Q4"), if the request contains it."""
    start = text.lower().find(span.lower()) if span else -1
    return text[start : start + len(span)] if start >= 0 else span


def _slot_window(intent: ParsedIntent) -> dict[str, Any]:
    window = intent.entities.time_range
    params: dict[str, Any] = {"duration_minutes": 30}
    if window is not None:
        params.update(start=window.start.isoformat(), end=window.end.isoformat())
    return params


def _describe_write(operation: str, service: str) -> str:
    return {
        ("gmail", "send"): "Send the email",
        ("gmail", "draft"): "Draft the email",
        ("gmail", "reply"): "Reply in the thread",
        ("gmail", "forward"): "Forward the email",
        ("gmail", "trash"): "Move the email to the trash",
        ("calendar", "create"): "Create the event",
        ("calendar", "update"): "Move the event",
        ("calendar", "delete"): "Delete the event",
        ("drive", "share"): "Share the file",
    }.get((service, operation), f"{operation} on {service}")


def _strip_cancel(text: str) -> str:
    return re.sub(r"\b(please|cancel(?:led|ling)?|my|the)\b", " ", text, flags=re.IGNORECASE).strip()
