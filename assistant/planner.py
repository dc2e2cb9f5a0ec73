"""From a request's meaning to an execution plan: a function of the `Meaning` alone.

The planner never reads the request's text; every decision comes from the frame and what
the resolver added (people's addresses, time ranges, items of the previous answer).

- A lookup (`find`, `read`) is one search per selection: the target and each `also`
  selection, concurrently; a target of items from the previous answer reads them by id.
  When the understanding is unsure, every service is searched (the caches are local).
- A write needs its target: a search of the target's service (or a read of a picked
  item) runs first, concurrently with the other searches, and the write consumes its best
  result, or all of them when the request says "all".
- Cancelling a booking (a flight, a hotel) searches the mail for its confirmation and the
  calendar for its entries, and proposes nothing: only whoever sold it can cancel it, and
  the answer says how, from the confirmation.
- A new event without a time takes the first free slot of the window asked.
- `free_time` asks free/busy; `prepare` is the next meeting and, beside it, the mail and
  files about it.

A time range selects in every searched service, except that a future range selects only
in the calendar: mail and files are never dated in the future.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from assistant.core.services import spec
from assistant.plan import CONDITION_STEP, Binding, ExecutionPlan, Operation, PlanStep, Service
from assistant.understanding.dates import recurrence_rule
from assistant.understanding.frame import Act, EventSpec, ItemKind, Selection
from assistant.understanding.meaning import Meaning
from assistant.understanding.schema import SERVICES, TimeRange

#: The input a write takes its target from, per service.
TARGET_INPUT: dict[Service, str] = {"gmail": "message", "calendar": "event", "drive": "file"}
#: Below this confidence a lookup searches every service: it is cheap (the caches are
#: local) and a misread service would otherwise hide the answer.
UNSURE = 0.6
LOOKUPS: frozenset[Act] = frozenset({"find", "read"})
#: How many results a search step keeps, and how many a write's target search reads.
SEARCH_LIMIT = 10
#: A new event without a length lasts this long.
DEFAULT_MINUTES = 30
#: Drive types by the kind named, and what to call such files.
FILE_TYPES: dict[ItemKind, tuple[str, tuple[str, ...]]] = {
    "pdf": ("PDF", ("application/pdf",)),
    "spreadsheet": (
        "spreadsheet",
        (
            "application/vnd.google-apps.spreadsheet",
            "application/vnd.ms-excel",
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ),
    "presentation": (
        "presentation",
        (
            "application/vnd.google-apps.presentation",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
    ),
    "document": (
        "document",
        (
            "application/vnd.google-apps.document",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ),
    "image": ("image", ("image/",)),
}
#: The words that name a kind of file: a type filter says them, the search need not.
FILE_KIND_WORDS = re.compile(
    r"\b(?:decks?|slides?|presentations?|spreadsheets?|sheets?|pdfs?|docs?|documents?|images?|photos?)\b",
    re.IGNORECASE,
)
#: Kinds of item no filter selects: their names are searched for.
SEARCHED_KINDS: frozenset[ItemKind] = frozenset({"invoice", "newsletter", "booking"})
#: The operation each write act is, per service.
WRITES: dict[tuple[Act, Service], Operation] = {
    ("send", "gmail"): Operation.SEND,
    ("draft", "gmail"): Operation.DRAFT,
    ("reply", "gmail"): Operation.REPLY,
    ("forward", "gmail"): Operation.FORWARD,
    ("delete", "gmail"): Operation.TRASH,
    ("create", "calendar"): Operation.CREATE,
    ("change", "calendar"): Operation.UPDATE,
    ("delete", "calendar"): Operation.DELETE,
    ("share", "drive"): Operation.SHARE,
    ("change", "drive"): Operation.RENAME,
}
DESCRIPTIONS: dict[Operation, str] = {
    Operation.SEND: "Send the email",
    Operation.DRAFT: "Draft the email",
    Operation.REPLY: "Reply in the thread",
    Operation.FORWARD: "Forward the email",
    Operation.TRASH: "Move the email to the trash",
    Operation.CREATE: "Create the event",
    Operation.UPDATE: "Change the event",
    Operation.DELETE: "Delete the event",
    Operation.SHARE: "Share the file",
    Operation.UNSHARE: "Stop sharing the file",
    Operation.RENAME: "Rename the file",
}


def plan_for(meaning: Meaning, now: datetime) -> ExecutionPlan:
    frame = meaning.frame
    if frame.act in LOOKUPS:
        return _lookup(meaning, now)
    if frame.act == "free_time":
        return _free_time(meaning, now)
    if frame.act == "prepare":
        return _prepare(meaning, now)
    if frame.act == "delete" and "booking" in frame.target.kinds:
        # The booking itself (confirmed in the mail), or its entries in the calendar.
        return _cancel_booking(meaning, now) if frame.target.service != "calendar" else _unbook(meaning, now)
    return _write(meaning, now)


# --- lookups ----------------------------------------------------------------------------


def _lookup(meaning: Meaning, now: datetime) -> ExecutionPlan:
    frame = meaning.frame
    if meaning.items:
        return ExecutionPlan(
            steps=[
                _read_by_id(ref.service, ref.id, f"read_{ref.service}_{ref.position}", ref.title)
                for ref in meaning.items
            ]
        )
    target = frame.target
    services = _services_of(meaning)
    steps = [_search(meaning, target, service, meaning.target_window, now) for service in services]
    for index, selection in enumerate(frame.also):
        service = selection.service or services[0]
        window = meaning.also_windows[index] if index < len(meaning.also_windows) else None
        step = _search(meaning, selection, service, window, now, step_id=f"search_{service}_also_{index + 1}")
        if all(existing.id != step.id for existing in steps):
            steps.append(step)
    return ExecutionPlan(steps=steps)


def _services_of(meaning: Meaning) -> list[Service]:
    """Where the target is looked for: its service (or the frame's), every service when unsure."""
    frame = meaning.frame
    first: list[Service] = [frame.target.service] if frame.target.service else list(frame.services[:1])
    also = {selection.service for selection in frame.also}
    services = first + [s for s in frame.services if s not in first and s not in also]
    if frame.confidence < UNSURE and not frame.also:
        services += [s for s in SERVICES if s not in services]
    return services or ["gmail"]


def _search(
    meaning: Meaning,
    selection: Selection,
    service: Service,
    window: TimeRange | None,
    now: datetime,
    *,
    step_id: str | None = None,
    limit: int = SEARCH_LIMIT,
) -> PlanStep:
    """One service's search for the items `selection` describes."""
    nouns, kind_filters = _kinds(selection, service)
    filters = _time_filters(window, service, now) | _people_filters(meaning, selection, service) | kind_filters
    params: dict[str, Any] = {
        "text": _search_text(meaning, selection, service),
        "filters": filters,
        "limit": limit,
        "nouns": nouns,
    }
    if selection.order != "relevance":
        params["order"] = selection.order
    if selection.order == "next" and meaning.frame.ask == "when" and service == "calendar":
        params["or_latest"] = True  # "when is the offsite?" after it: when it was
    if selection.count is not None:
        params["count"] = selection.count
    if selection.every or (selection is meaning.frame.target and meaning.frame.ask == "count"):
        params["every"] = True  # all of them, or how many there are
    if selection.title:
        params["title"] = selection.title
    refine = meaning.frame.refine
    if refine is not None and refine.kind == "narrow" and selection is meaning.frame.target and params["text"]:
        params["lexical"] = True  # narrowing keeps the items that say it, not those like it
    shown = [ref.id for ref in meaning.exclude if ref.service == service]
    if shown and selection is meaning.frame.target:
        params["exclude"] = shown  # "show me more": after the ones shown
    return PlanStep(
        id=step_id or f"search_{service}",
        service=service,
        operation=Operation.SEARCH,
        description=f"Search your {nouns[1]}",
        params=params,
    )


def _search_text(meaning: Meaning, selection: Selection, service: Service) -> str:
    """What to search for: the named item and the topic, and any name that matched no one
    (it may be a company, a product or a place the user typed)."""
    unmatched = [
        person.name
        for person in selection.people
        if meaning.address(person.name) is None and not _maybe_someone(meaning, person.name)
    ]
    words = [selection.title, selection.topic, *unmatched]
    text = " ".join(dict.fromkeys(word for word in words if word))
    if any(kind in FILE_TYPES for kind in selection.kinds):
        text = FILE_KIND_WORDS.sub(" ", text).strip()  # a type filter selects them: "the roadmap deck"
    # A kind no filter selects ("invoice", "newsletter") is searched as its word.
    # (A flight is an event titled "Flight ...": the calendar holds no "booking".)
    kinds = [
        kind
        for kind in selection.kinds
        if kind in SEARCHED_KINDS and kind not in text.lower() and not (kind == "booking" and service == "calendar")
    ]
    if any(person.role == "from" and meaning.address(person.name) for person in selection.people):
        # A newsletter's sender says what it is: "Sarah Chenoweth's newsletters" need not say "newsletter".
        kinds = [kind for kind in kinds if kind != "newsletter"]
        text = re.sub(r"\bnewslett?ers?\b", " ", text, flags=re.IGNORECASE).strip()
    return " ".join([text, *kinds]).strip()


def _maybe_someone(meaning: Meaning, name: str) -> bool:
    person = meaning.person(name)
    return person is not None and bool(person.candidates)


def _people_filters(meaning: Meaning, selection: Selection, service: Service) -> dict[str, list[str]]:
    """Who the items involve, by part: the sender (an event's organizer, a file's owner),
    a recipient (an attendee), or anyone on the item. An ambiguous name goes to search as
    the name itself: search matches every address it may mean, and ranking sorts them out."""
    filters: dict[str, list[str]] = {}
    for person in selection.people:
        value = meaning.address(person.name)
        if value is None:
            if not _maybe_someone(meaning, person.name):
                continue  # no one by that name: it is searched as words
            value = person.name
        role = "people"
        if person.role == "from":
            role = "senders"
        elif person.role in ("to", "cc") and service != "drive":
            role = "recipients"  # a file has no recipients: "files to Tom" are his as anyone's
        filters.setdefault(role, []).append(value)
    return filters


def _kinds(selection: Selection, service: Service) -> tuple[list[str], dict[str, Any]]:
    """What to call the items found, and the filters the kinds and flags named make."""
    described = spec(service)
    nouns = [described.noun, described.plural]
    filters: dict[str, Any] = {}
    if service == "drive":
        named = [FILE_TYPES[kind] for kind in selection.kinds if kind in FILE_TYPES]
        if len(named) == 1:
            nouns = [named[0][0], f"{named[0][0]}s"]
        types = [mime for _, mimes in named for mime in mimes]
        if types:
            filters["mime_types"] = types
    if service == "gmail":
        labels = (["STARRED"] if selection.starred else []) + (["SENT"] if selection.sent_by_me else [])
        labels += selection.labels
        if labels:
            filters["labels"] = labels
        if selection.unread:
            filters["unread"] = True
        if selection.has_attachment:
            filters["has_attachment"] = True
        if selection.received:
            filters["received"] = True
    return nouns, filters


def _time_filters(window: TimeRange | None, service: Service, now: datetime) -> dict[str, Any]:
    if window is None:
        return {}
    if service != "calendar" and window.start > now:
        return {}  # mail and files are dated in the past: future time words name their subject
    return {"after": window.start.isoformat(), "before": window.end.isoformat()}


def _read_by_id(service: Service, item_id: str, step_id: str, title: str) -> PlanStep:
    return PlanStep(
        id=step_id,
        service=service,
        operation=Operation.READ,
        description=f"Open \u201c{title or item_id}\u201d",
        params={"id": item_id},
    )


def _free_time(meaning: Meaning, now: datetime) -> ExecutionPlan:
    """Free/busy for the calendar's part of the request; the other parts ("emails about the
    Istanbul trip and when am I free next week") are searched beside it."""
    frame = meaning.frame
    selections = [(frame.target, meaning.target_window)]
    selections += [
        (selection, meaning.also_windows[index] if index < len(meaning.also_windows) else None)
        for index, selection in enumerate(frame.also)
    ]
    calendar_window = next((window for selection, window in selections if selection.service == "calendar"), None)
    steps = [_free_slots(meaning, "find_free_time", "Find free time", window=calendar_window)]
    for index, (selection, window) in enumerate(selections):
        service = selection.service
        if service is not None and service != "calendar":
            steps.append(_search(meaning, selection, service, window, now, step_id=f"search_{index}"))
    return ExecutionPlan(steps=steps)


def _free_slots(meaning: Meaning, step_id: str, description: str, *, window: TimeRange | None = None) -> PlanStep:
    frame = meaning.frame
    window = window or meaning.target_window or meaning.new_time
    minutes = (frame.event.duration_minutes if frame.event else None) or DEFAULT_MINUTES
    params: dict[str, Any] = {"duration_minutes": minutes}
    if window is not None:
        params.update(start=window.start.isoformat(), end=window.end.isoformat())
    # Whose time counts: the people asked about ("when are Daniel and I free"), or a new
    # event's guests ("find an hour with Sarah").
    named = [person.name for person in frame.target.people] + (frame.event.attendees if frame.event else [])
    attendees = list(dict.fromkeys(address for name in named if (address := meaning.address(name))))
    if attendees:
        params["attendees"] = attendees
        params["names"] = [_display_name(meaning, address) for address in attendees]
    if frame.target.order == "earliest" or (frame.target.order == "next" and frame.target.count == 1):
        params["first"] = True  # "my first free hour tomorrow": when it starts
    return PlanStep(
        id=step_id, service="calendar", operation=Operation.FREE_SLOTS, description=description, params=params
    )


def _display_name(meaning: Meaning, address: str) -> str:
    """A person as the answer names them: their contact's name, else the address."""
    contact = next((p.contact for p in meaning.people if p.contact is not None and p.contact.email == address), None)
    return contact.name if contact is not None and contact.name else address


def _prepare(meaning: Meaning, now: datetime) -> ExecutionPlan:
    """The next meeting (or the one named), and beside it the mail and files about it."""
    said = meaning.frame.target
    generic = {"meeting", "meetings", "mtg", "call", "calls", "event", "events", "next", "nxt", "my", "upcoming"}
    # "prepare me for the roadmap review", "prep me for istanbul"; not "my next meeting".
    words = said.title or (said.topic if said.order == "relevance" else None)
    named = words if words and not set(words.lower().split()) <= generic else None
    target = said.model_copy(
        update={"order": "next", "count": 1, "service": "calendar", "title": named, "topic": None, "kinds": []}
    )
    meeting = _search(meaning, target, "calendar", meaning.target_window, now, step_id="find_meeting")
    # A meeting named ("the roadmap review", "istanbul") is looked for by its name beside
    # it; the next meeting, whatever it is, by what it turns out to be.
    about = {} if named else {"about": Binding(step=meeting.id, output="top")}
    text = named or ""
    mail = PlanStep(
        id="search_gmail",
        service="gmail",
        operation=Operation.SEARCH,
        description="Search the mail about it",
        params={"text": text, "limit": 5, "nouns": ["email", "emails"], "brief": True},
        inputs=about,
    )
    files = PlanStep(
        id="search_drive",
        service="drive",
        operation=Operation.SEARCH,
        description="Search the files about it",
        params={"text": text, "limit": 5, "nouns": ["file", "files"], "brief": True},
        inputs=about,
    )
    return ExecutionPlan(steps=[meeting, mail, files])


# --- writes -----------------------------------------------------------------------------


def _write(meaning: Meaning, now: datetime) -> ExecutionPlan:
    frame = meaning.frame
    service = _write_service(meaning)
    if frame.act == "reply" and service == "calendar":
        return _reply_to_event(meaning, now)
    operation = WRITES.get((frame.act, service))
    if operation == Operation.SHARE and frame.share is not None and frame.share.access == "revoke":
        operation = Operation.UNSHARE
    drafted = operation == Operation.REPLY and frame.message is not None and frame.message.draft
    if operation is None:
        return _lookup(meaning, now)  # nothing to write there ("share" an email): look it up
    steps: list[PlanStep] = []
    inputs: dict[str, Binding] = {}
    if operation in (
        Operation.REPLY,
        Operation.FORWARD,
        Operation.UPDATE,
        Operation.DELETE,
        Operation.SHARE,
        Operation.UNSHARE,
        Operation.RENAME,
        Operation.TRASH,
    ):
        target = _target_step(meaning, service, now)
        steps.append(target)
        if frame.target.every and target.operation == Operation.SEARCH:
            inputs["messages" if service == "gmail" else "events"] = Binding(step=target.id, output="items")
            inputs["total"] = Binding(step=target.id, output="total")  # past the cap, the count refuses
        else:
            inputs[TARGET_INPUT[service]] = _bind_target(target)
            if target.operation == Operation.SEARCH:
                target.params["one"] = True  # a write needs one: items of one name are asked about
        if service == "calendar" and frame.condition is not None and frame.condition.kind == "overlaps":
            # "cancel tomorrow's standup if it clashes with the Q4 review": the events at the
            # same time as it are looked up; the write needs one (it is skipped if none).
            check = _overlap_check(meaning, target, now)
            steps.append(check)
            inputs["clashes"] = Binding(step=check.id, output="items")
    if operation in (Operation.SEND, Operation.DRAFT) and frame.message is not None and frame.message.link:
        # "send Daniel the link to the roadmap deck": the file first, its link in the message.
        linked = _target_step(meaning, "drive", now)
        linked.params["one"] = True
        steps.append(linked)
        inputs["message"] = _bind_target(linked)
    params = _write_params(meaning, service, operation)
    if drafted:  # "draft a reply to Tom's email": the reply, saved as a draft
        operation, params = Operation.DRAFT, params | {"purpose": "reply"}
    if operation == Operation.CREATE and frame.condition is not None and _their_time(meaning, params):
        # "if Sarah's free at 3 on Friday, set up 30 minutes with her": free/busy for her and
        # the user at that time; none free (no slot) and nothing is proposed.
        check = _their_time_check(meaning, params)
        steps.append(check)
        inputs["free"] = Binding(step=check.id, output="slots")
    elif operation == Operation.CREATE and frame.condition is not None:
        # "unless we already meet that day", "if Friday afternoon is free": what would stop
        # it is looked up first, and the event is proposed only when nothing is found.
        check = _condition_check(meaning, now)
        steps.append(check)
        inputs["conflicts"] = Binding(step=check.id, output="items", optional=True)
    if operation == Operation.CREATE and "start" not in params:
        slots = _free_slots(meaning, "find_free_slot", "Find a free slot")
        steps.append(slots)
        inputs["slots"] = Binding(step=slots.id, output="slots")

    def write(step_id: str, bound: dict[str, Binding]) -> PlanStep:
        description = DESCRIPTIONS[operation]
        return PlanStep(
            id=step_id, service=service, operation=operation, description=description, params=params, inputs=bound
        )

    steps.append(write(f"{operation}_{service}", inputs))
    if operation == Operation.SHARE:
        # "share the Beacon PRD and the interview synthesis with Hannah": each file, the same way.
        for number, (selection, window) in enumerate(zip(frame.also, meaning.also_windows, strict=True), start=2):
            found = _search(meaning, selection, "drive", window, now, step_id=f"search_drive_{number}")
            found.params["one"] = True
            steps += [found, write(f"{operation}_{service}_{number}", {TARGET_INPUT[service]: _bind_target(found)})]
    return ExecutionPlan(steps=steps)


def _their_time(meaning: Meaning, params: dict[str, Any]) -> bool:
    """Whether the condition is other people's free time at the new event's own time."""
    condition = meaning.frame.condition
    return condition is not None and condition.kind == "free" and bool(condition.people) and "start" in params


def _their_time_check(meaning: Meaning, params: dict[str, Any]) -> PlanStep:
    """Free/busy for the condition's people and the user at the new event's time: one
    slot when all are free, none otherwise (with who is busy, and the user's events then)."""
    condition = meaning.frame.condition
    assert condition is not None
    people = list(dict.fromkeys(a for name in condition.people if (a := meaning.address(name))))
    start, end = datetime.fromisoformat(params["start"]), datetime.fromisoformat(params["end"])
    return PlanStep(
        id=CONDITION_STEP,
        service="calendar",
        operation=Operation.FREE_SLOTS,
        description="Check who is free then",
        params={
            "start": params["start"],
            "end": params["end"],
            "duration_minutes": int((end - start).total_seconds() // 60),
            "attendees": people,
            "names": [_display_name(meaning, address) for address in people],
            "check": True,
        },
    )


def _condition_check(meaning: Meaning, now: datetime) -> PlanStep:
    """The events that would make the condition false: meetings with the people named in
    the window (`no_meeting_with`), or any event in the window (`free`)."""
    condition = meaning.frame.condition
    assert condition is not None
    window = meaning.condition_window or meaning.new_time
    if window is not None and window.end - window.start < timedelta(days=1) and condition.kind == "no_meeting_with":
        day = window.start.replace(hour=0, minute=0, second=0, microsecond=0)
        window = TimeRange(text=window.text, start=day, end=day + timedelta(days=1))  # "that day"
    people = [a for name in condition.people if (a := meaning.address(name))]
    filters: dict[str, Any] = _time_filters(window, "calendar", now)
    if condition.kind == "no_meeting_with" and people:
        filters["people"] = people
    return PlanStep(
        id=CONDITION_STEP,
        service="calendar",
        operation=Operation.SEARCH,
        description="Check your calendar first",
        params={"text": "", "filters": filters, "limit": SEARCH_LIMIT, "every": True},
    )


def _overlap_check(meaning: Meaning, target: PlanStep, now: datetime) -> PlanStep:
    """The events that overlap the target's (the other one named, or any), with the other
    one named as found (`compared`) for the answer to say when it is."""
    condition = meaning.frame.condition
    assert condition is not None
    other = condition.other
    words = (other.title or other.topic or "") if other is not None else ""
    return PlanStep(
        id=CONDITION_STEP,
        service="calendar",
        operation=Operation.SEARCH,
        description="Check whether it clashes",
        params={"text": words, "limit": SEARCH_LIMIT, "purpose": "overlaps"},
        inputs={"overlapping": _bind_target(target)},
    )


def _write_service(meaning: Meaning) -> Service:
    frame = meaning.frame
    if meaning.items and frame.act in ("reply", "forward", "change", "delete", "share"):
        return meaning.items[0].service
    if frame.act in ("send", "draft", "forward"):
        return "gmail"
    if frame.act == "change" and (frame.target.service == "drive" or meaning.found_in == "drive"):
        return "drive"  # a file's rename
    if frame.act in ("create", "change"):
        return "calendar"
    if frame.act == "share":
        return "drive"
    return frame.target.service or (frame.services[0] if frame.services else "gmail")


def _target_step(meaning: Meaning, service: Service, now: datetime) -> PlanStep:
    refs = [ref for ref in meaning.items if ref.service == service]
    if refs:
        return _read_by_id(service, refs[0].id, f"read_{service}", refs[0].title)
    target = meaning.frame.target
    share = meaning.frame.share
    stray = [n for n in share.people if not meaning.address(n) and not _maybe_someone(meaning, n)] if share else []
    if stray:  # "give emma edit access to the product analyst JD": no one is called that
        target = target.model_copy(update={"topic": " ".join(filter(None, [target.topic, *stray]))})
    if service == "calendar" and target.order == "relevance" and meaning.target_window is None and not target.every:
        # Changing or cancelling "the 1:1 with Priya" is the next one, not one long past.
        target = target.model_copy(update={"order": "next", "count": target.count or 1})
        step = _search(meaning, target, service, meaning.target_window, now)
        step.params["or_latest"] = True
        return step
    return _search(meaning, target, service, meaning.target_window, now)


def _bind_target(target: PlanStep) -> Binding:
    """The item a target step found: the one it read, or the best its search found."""
    return Binding(step=target.id, output="item" if target.operation == Operation.READ else "top")


def _reply_to_event(meaning: Meaning, now: datetime) -> ExecutionPlan:
    """A reply to a meeting is an email to its organizer, or to the people invited when the
    meeting is the user's own: Calendar has no replies of its own."""
    target = _target_step(meaning, "calendar", now)
    params = _write_params(meaning, "gmail", Operation.SEND) | {"purpose": "event_reply"}
    reply = PlanStep(
        id="email_organizer",
        service="gmail",
        operation=Operation.SEND,
        description="Email the organizer",
        params=params,
        inputs={"message": _bind_target(target)},
    )
    return ExecutionPlan(steps=[target, reply])


def _cancel_booking(meaning: Meaning, now: datetime) -> ExecutionPlan:
    """ "cancel my Turkish Airlines flight": only the airline can cancel the booking. Its
    confirmation in the mail says how (and what it costs), and the calendar shows its
    entries; nothing is written, since deleting the entries would hide a booking still valid."""
    find_booking = _booking_search(meaning)
    find_booking.params |= {"purpose": "booking", "whole": True}
    find_event = PlanStep(
        id="find_event",
        service="calendar",
        operation=Operation.SEARCH,
        description="Find it in your calendar",
        params={"text": _booked_words(meaning), "limit": 10}
        | {"filters": _time_filters(meaning.target_window, "calendar", now)},
    )
    return ExecutionPlan(steps=[find_booking, find_event])


def _unbook(meaning: Meaning, now: datetime) -> ExecutionPlan:
    """ "the TK booking is cancelled, take the flights out of my calendar": the booking's
    entries (the events naming its flight numbers), or the one named ("the return flight")."""
    find_booking = _booking_search(meaning)
    find_event = PlanStep(
        id="find_event",
        service="calendar",
        operation=Operation.SEARCH,
        description="Find its entries in your calendar",
        params={"text": "", "limit": 10},
        inputs={"about": Binding(step=find_booking.id, output="items")},  # the events naming its numbers
    )
    target = meaning.frame.target
    said = _booked_words(meaning).lower()
    one = not target.every and (target.count or 1) == 1
    leg = (
        ("return" if _RETURN_LEG.search(said) else "outbound" if _OUTBOUND_LEG.search(said) else None) if one else None
    )
    delete_event = PlanStep(
        id="delete_event",
        service="calendar",
        operation=Operation.DELETE,
        description="Delete the calendar entries",
        params={"leg": leg} if leg else {},
        inputs={
            "events": Binding(step="find_event", output="items"),
            "bookings": Binding(step="find_booking", output="items"),
        },
    )
    return ExecutionPlan(steps=[find_booking, find_event, delete_event])


#: A trip's legs: "the return flight", "the flight home"; "the outbound flight".
_RETURN_LEG = re.compile(r"\b(?:return|back|home|inbound)\b")
_OUTBOUND_LEG = re.compile(r"\b(?:outbound|out|there|first)\b")


def _booked_words(meaning: Meaning) -> str:
    target = meaning.frame.target
    return " ".join(filter(None, [target.title, target.topic]))


def _booking_search(meaning: Meaning) -> PlanStep:
    """The booking's confirmation in the mail, from whom it was booked with when named
    ("my Turkish Airlines flight")."""
    sellers = [a for p in meaning.frame.target.people if (a := meaning.address(p.name)) and a.startswith("@")]
    return PlanStep(
        id="find_booking",
        service="gmail",
        operation=Operation.SEARCH,
        description="Find the booking in your mail",
        params={"text": f"{_booked_words(meaning)} booking confirmation", "limit": 5}
        | ({"filters": {"senders": sellers}} if sellers else {}),
    )


def _write_params(meaning: Meaning, service: Service, operation: Operation) -> dict[str, Any]:
    frame = meaning.frame
    if service == "gmail":
        message = frame.message
        to = [a for name in (message.to if message else []) if (a := meaning.address(name))]
        cc = [a for name in (message.cc if message else []) if (a := meaning.address(name))]
        first = next(
            (
                p.contact.name.split(" ")[0]
                for p in meaning.people
                if p.contact and p.contact.name and p.mention in (message.to if message else [])
            ),
            "",
        )
        params: dict[str, Any] = {
            "to": to,
            "cc": cc,
            "subject": (message.subject if message else None) or "",
            "body": (message.body if message else None) or "",
            "greeting_name": first,
        }
        if message is not None and message.quoted:
            params["quoted"] = True
        if message is not None and message.reply_all:
            params["reply_all"] = True
        if message is not None and message.link:
            params["purpose"] = "link"
        return params
    if service == "calendar":
        return _event_params(meaning, operation)
    return _file_params(meaning, operation)


def _file_params(meaning: Meaning, operation: Operation) -> dict[str, Any]:
    """A rename's new name; a share's people (with the candidates of a name that may mean
    several), role and whether the role is exact."""
    frame = meaning.frame
    if operation == Operation.RENAME:
        return {"name": frame.rename or ""}
    share = frame.share
    names = share.people if share else []
    params: dict[str, Any] = {"emails": [a for name in names if (a := meaning.address(name))]}
    # A name that may mean several people: whose access is at stake settles it (only one
    # of them has access to the file), else the user is asked.
    maybe = {name: [c.email for c in person.candidates] for name in names if (person := meaning.person(name))}
    if any(maybe.values()):
        params["candidates"] = {name: emails for name, emails in maybe.items() if emails}
    if operation == Operation.UNSHARE:
        return params
    return params | {"role": share.role if share else "reader", "exact": bool(share and share.access == "set")}


def _a_day_long(event: EventSpec, target: Selection) -> bool:
    """A new event named as a day ("a focus day", "out of office", "holiday")."""
    named = f"{event.title or ''} {target.title or ''} {target.topic or ''}".lower()
    return bool(re.search(r"\bday\b|\bout of (?:the )?office\b|\bholiday\b|\bannual leave\b|\boff\b", named))


def _event_params(meaning: Meaning, operation: Operation) -> dict[str, Any]:
    frame = meaning.frame
    event = frame.event
    params: dict[str, Any] = {}
    new = meaning.new_time
    whole_day = new is not None and new.end - new.start >= timedelta(days=1)
    if operation == Operation.CREATE:
        minutes = (event.duration_minutes if event else None) or DEFAULT_MINUTES
        # "tomorrow afternoon", "next week": a stretch to find a free time in (below), not a start.
        stretch = new is not None and not meaning.new_clock_said and new.end - new.start > timedelta(minutes=minutes)
        if new is not None and not whole_day and not stretch:
            params["start"] = new.start.isoformat()
            params["end"] = (new.start + timedelta(minutes=minutes)).isoformat()
        elif new is not None and event is not None and (event.all_day or _a_day_long(event, frame.target)):
            # "block Friday as a focus day": the whole day, not a slot in it.
            params.update(start=new.start.isoformat(), end=new.end.isoformat(), all_day=True)
        if event is not None and event.recurrence and new is not None:
            if (rule := recurrence_rule(event.recurrence, new.start)) is not None:
                params["recurrence"] = [rule]
        attendees = [a for name in (event.attendees if event else []) if (a := meaning.address(name))]
        unsure = [
            name
            for name in (event.attendees if event else [])
            if not meaning.address(name) and (person := meaning.person(name)) is not None and person.candidates
        ]
        if unsure:
            params["not_invited"] = unsure  # several people have the name: no one is guessed
        params.update(
            summary=(event.title if event else None) or frame.target.title or frame.target.topic or "",
            attendees=attendees,
            location=(event.location if event else None) or "",
        )
        if event is not None and event.duration_minutes:
            params["duration_minutes"] = event.duration_minutes
        return params
    if operation == Operation.UPDATE:
        event = event or EventSpec()
        if new is not None and (whole_day or event.keep_time):
            params["day"] = new.start.date().isoformat()
        elif new is not None and not meaning.new_day_said:
            params["at_time"] = new.start.strftime("%H:%M")  # "to 3pm": the event's own day
        elif new is not None:
            params["start"] = new.start.isoformat()
        if event.shift_minutes:
            params["shift_minutes"] = event.shift_minutes
        if event.duration_minutes:
            params["duration_minutes"] = event.duration_minutes
        if frame.rename:
            params["summary"] = frame.rename
        if event.attendees:  # "add Hannah to the Beacon kickoff"
            params["attendees_added"] = [a for name in event.attendees if (a := meaning.address(name))]
        if event.uninvited:  # "take Daniel off the roadmap review"
            params["attendees_removed"] = [a for name in event.uninvited if (a := meaning.address(name))]
        return params
    if operation == Operation.DELETE:
        params["series"] = frame.target.series
    return params
