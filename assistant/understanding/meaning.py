"""A request's meaning for this user, now: its frame, with what the user's world resolves.

    meaning = resolve_frame(frame, text=..., provider=..., now=..., contacts=..., context=...)

The frame says what the words say; the resolver adds what only the user's world can say:
- people: each name the frame holds (in selections, recipients, attendees, sharers,
  conditions) matched to a contact, or to several when the name is ambiguous;
- times: each date phrase as a range in the user's zone (`resolve_when`), the new start of
  an event as an instant (a day alone when no time was said);
- items: "the second one", "it" as the items of the previous answer.

`Meaning` is what the planner plans from. Its `text` is kept for the record and for
display, never read to plan.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from assistant.core.services import ServiceName
from assistant.understanding.contacts import ContactBook
from assistant.understanding.context import ConversationContext
from assistant.understanding.dates import AnchorLookup, resolve_when
from assistant.understanding.frame import EventSpec, Frame, PersonRef, Selection
from assistant.understanding.people import DEPARTMENTS
from assistant.understanding.roles import person_roles
from assistant.understanding.schema import Clarification, Contact, ItemRef, ResolvedPerson, TimeRange
from assistant.understanding.when import for_resolver
from search import spelling


class Meaning(BaseModel):
    """A frame resolved against the user's contacts, clock and conversation."""

    text: str = Field(description="The request as typed: for the record and display, never to plan from.")
    frame: Frame
    provider: str = Field(description="Which understanding read the request.")
    #: Every person the frame names, by the name as written (`ResolvedPerson.mention`).
    people: list[ResolvedPerson] = Field(default_factory=list)
    #: The target's and each `also` selection's time phrase, resolved.
    target_window: TimeRange | None = None
    also_windows: list[TimeRange | None] = Field(default_factory=list)
    #: A new event's start, or where a changed event goes: a range of one day when only a
    #: day was said ("to Tuesday, same time").
    new_time: TimeRange | None = None
    #: Whether the new time's phrase names a day ("Friday at 3") or only a time ("3pm").
    new_day_said: bool = True
    #: Whether it names a time of day ("at 3", "noon"): "tomorrow afternoon" and "next week"
    #: are where to look for a free time, not when it starts.
    new_clock_said: bool = False
    condition_window: TimeRange | None = None
    #: The items of the previous answer the frame points at ("the second one", "it").
    items: list[ItemRef] = Field(default_factory=list)
    #: All items of the previous answer, in order (a refinement narrows them).
    previous_items: list[ItemRef] = Field(default_factory=list)
    #: The previous request's frame (a refinement changes it).
    previous: Frame | None = None
    clarification: Clarification | None = None
    #: Items shown already that the search leaves out ("show me more").
    exclude: list[ItemRef] = Field(default_factory=list)
    #: The service holding the item the target names, when only the user's items can say
    #: (a rename's "Beacon PRD" is a file: no event is called that).
    found_in: ServiceName | None = None

    def person(self, name: str) -> ResolvedPerson | None:
        return next((person for person in self.people if person.mention == name), None)

    def address(self, name: str) -> str | None:
        """The address a name stands for: its contact's, or the name if it is an address."""
        person = self.person(name)
        if person is not None and person.contact is not None:
            return person.contact.email
        return name.lower() if "@" in name else None


def resolve_frame(
    frame: Frame,
    *,
    text: str,
    provider: str,
    now: datetime,
    contacts: ContactBook,
    context: ConversationContext,
    previous: Frame | None = None,
    anchors: AnchorLookup | None = None,
    found_in: ServiceName | None = None,
) -> Meaning:
    """The frame as seen by this user at `now` (aware, in the user's time zone)."""
    frame = _people_in_words(frame, contacts, text)
    frame = _run_together_names_split(frame, contacts)
    frame, senders = _organizations_named(frame, contacts)
    people = [contacts.match(name) for name in _names(frame) if name not in senders] + list(senders.values())
    people = _colleagues_to_meet(people, frame, contacts, text)
    refine = frame.refine.kind if frame.refine is not None else None
    # A refinement selects anew ("only the ones from Tom"), unless it points at items shown.
    pointing = frame.target.previous or bool(frame.target.picks)
    items = _pointed_at(frame.target, context, _window(frame.target, now, anchors)) if pointing else []
    target_window = _stepped_window(refine, context) or _window(frame.target, now, anchors)
    event = frame.event
    condition = frame.condition
    return Meaning(
        text=text,
        frame=frame,
        provider=provider,
        people=people,
        target_window=target_window,
        also_windows=[_window(selection, now, anchors) for selection in frame.also],
        new_time=_evening_if_said(
            event,
            _when(event.start if event else None, _moved_from(frame, target_window, now), anchors, is_new_event=True),
        ),
        new_day_said=bool(event and event.start and _NAMES_A_DAY.search(event.start.lower())),
        new_clock_said=bool(event and event.start and _NAMES_A_CLOCK.search(event.start.lower())),
        condition_window=_when(condition.time if condition else None, now, anchors),
        items=items,
        previous_items=context.last_items,
        previous=previous,
        clarification=_which_ones_first(frame)
        or _ask_about(people, frame, items, context)
        or _name_asked(frame)
        or frame.clarification,
        found_in=found_in,
        exclude=context.last_items if refine == "next_page" else [],
    )


#: A time of day in a phrase: "at 3", "15:00", "noon", "at one o'clock".
_NAMES_A_CLOCK = re.compile(
    r"\d|\b(?:noon|midday|midnight|mid-day|o'?clock)\b"
    r"|\bat\s+(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|half|quarter)\b"
)
#: A day said by its weekday alone ("Thursday at 12", "to fri"): which week it is, the words do not say.
_BARE_WEEKDAY = re.compile(
    r"^(?:(?:on|to)\s+)?(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b(?!.*\b(?:next|this|last|\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3}))"
)


def _moved_from(frame: Frame, target_window: TimeRange | None, now: datetime) -> datetime:
    """Where a move's new weekday is counted from: "move next week's design review to
    Thursday" is that week's Thursday, not this one; otherwise from now."""
    start = frame.event.start if frame.event else None
    if frame.act != "change" or not start or target_window is None or target_window.start <= now:
        return now
    return target_window.start if _BARE_WEEKDAY.match(start.lower()) else now


#: Words that only say what kind of mail an organisation sends ("GitHub notifications").
_MAIL_FROM_WORDS = frozenset(
    "notifications notification alerts alert updates emails email mails mail messages message receipts "
    "receipt newsletters newsletter promos promo promotions promotional marketing offers deals".split()
)


def _organizations_named(frame: Frame, contacts: ContactBook) -> tuple[Frame, dict[str, ResolvedPerson]]:
    """Mail selected by who sends it when its words name an organisation that writes to
    the user ("LinkedIn emails", "my Uber receipts", "the CloudNest invoices"): the words
    become the sender (every address of its domain), and the kind words after them go."""
    target = frame.target
    if frame.act in ("send", "draft", "create", "free_time") or target.service not in ("gmail", None):
        return frame, {}
    senders: dict[str, ResolvedPerson] = {}
    words = (target.topic or target.title or "").split()
    for size in (4, 3, 2, 1):
        for start in range(len(words) - size + 1):
            said = " ".join(words[start : start + size])
            domain = contacts.organization(said.strip("'\"").removesuffix("'s"))
            if domain and said not in senders and not any(said in taken for taken in senders):
                senders[said] = ResolvedPerson(
                    mention=said, contact=Contact(name=said, email=f"@{domain}"), score=100.0
                )
    if not senders:
        return frame, {}
    rest = " ".join(
        w for w in words if not any(w in name.split() for name in senders) and w.lower() not in _MAIL_FROM_WORDS
    )
    people = target.people + [PersonRef(name=name, role="from") for name in senders]
    field = "topic" if target.topic else "title"
    return frame.model_copy(
        update={"target": target.model_copy(update={field: rest or None, "people": people})}
    ), senders


def _colleagues_to_meet(
    people: list[ResolvedPerson], frame: Frame, contacts: ContactBook, text: str
) -> list[ResolvedPerson]:
    """A name shared by several people, said of finding time to meet (a guest whose free
    time the new event must fit, someone whose free time is asked), is the colleague among
    them: "find an hour with Sarah" meets Sarah Chen from the user's organisation, whose
    calendar the organisation shares, not Sarah at a vendor. ("Lunch with Sarah at 1" says
    nothing of her time: the name stays ambiguous and she is not invited.)"""
    event = frame.event
    # A new event at no said hour ("on Monday", "next week") is put where its guests are free.
    finds_time = event is not None and (event.when_free or not _NAMES_A_CLOCK.search((event.start or "").lower()))
    meeting = set(event.attendees) if frame.act == "create" and event is not None and finds_time else set()
    if frame.act == "free_time":
        meeting |= {person.name for person in frame.target.people}
    if frame.condition is not None and frame.condition.kind == "free":
        meeting |= set(frame.condition.people)  # "if Sarah's free at 3, ..."
    if frame.condition is not None and frame.condition.kind == "no_meeting_with" and finds_time:
        meeting |= set(frame.condition.people)  # "... with Sarah on Monday unless we already meet"
    # "let Sarah from finance know ...": a team of the user's own organisation says which.
    teams = "|".join(sorted(DEPARTMENTS))
    meeting |= {
        person.mention
        for person in people
        if re.search(rf"\b{re.escape(person.mention)}\s+(?:from|in|on)\s+(?:the\s+)?(?:{teams})\b", text, re.I)
    }
    resolved = []
    for person in people:
        colleague = (
            contacts.colleague(person.candidates)
            if person.mention in meeting and person.contact is None and person.candidates
            else None
        )
        resolved.append(person.model_copy(update={"contact": colleague}) if colleague else person)
    return resolved


def _name_asked(frame: Frame) -> Clarification | None:
    """A new event the words give no name: what it is called is asked, never made up."""
    event = frame.event
    if frame.act != "create" or event is None or event.title or frame.target.title or frame.target.topic:
        return None
    return Clarification(
        kind="title", question="What should I call it? Tell me what it's for and I'll find the time.", options=[]
    )


def _run_together_names_split(frame: Frame, contacts: ContactBook) -> Frame:
    """ "when r sarah daniel and me free": a name of several words that is no one's, whose
    every word names someone the user deals with, is those people (the tagger ran a list
    without commas into one name)."""

    def split(name: str) -> list[str]:
        words = name.split()
        # (Typed in lower case: "Sarah Chen" as written is one person, and not matched twice.)
        if len(words) < 2 or "@" in name or name != name.lower() or contacts.match(name).contact is not None:
            return [name]
        return words if all(contacts.named(word) for word in words) else [name]

    people = [PersonRef(name=part, role=person.role) for person in frame.target.people for part in split(person.name)]
    update: dict[str, object] = {}
    if len(people) != len(frame.target.people):
        update["target"] = frame.target.model_copy(update={"people": people})
    if frame.event is not None and any(len(split(name)) > 1 for name in frame.event.attendees):
        attendees = [part for name in frame.event.attendees for part in split(name)]
        update["event"] = frame.event.model_copy(update={"attendees": attendees})
    return frame.model_copy(update=update) if update else frame


#: The shortest word taken for a contact's name when the words alone do not say it is one.
SHORTEST_NAME = 4


def _people_in_words(frame: Frame, contacts: ContactBook, text: str) -> Frame:
    """A lookup's words that are no English word but the name of someone the user deals
    with are that person ("wat has mehmet sent me", "Mehmet Yilmaz's messages"): the
    offline tagger knows common first names, not every colleague's. Their part is read from
    the words around them, as for any name."""
    target = frame.target
    if frame.act not in ("find", "read", "reply", "forward", "change", "delete"):
        return frame
    if target.service not in ("gmail", "calendar", None):
        return frame
    words = (target.topic or "").split()
    # An event changed or cancelled is named by all its words ("push the Priya 1:1 to 15:00",
    # "cancel the screen with Tomasz"); a message's words are no one's (replies, forwards).
    candidates = words
    if frame.act in ("change", "delete") and target.service == "calendar":
        candidates = re.findall(r"[^\W\d_][\w'-]*", text.replace(frame.rename or "\x00", " "))
    elif target.service == "calendar":
        # "number of Priya 1:1s last month": a capitalised name beside an event's title.
        said = f"{target.title or ''} {target.time or ''}".lower().split()
        candidates = words + [
            w for w in re.findall(r"\b[A-Z][a-z]+\b", text) if w.lower() not in said and w not in words
        ]
    named = {p.name.lower() for p in target.people}
    unnamed = [
        word
        for word in spelling.suspects(" ".join(candidates))
        if len(word) >= SHORTEST_NAME and not any(word in name.split() for name in named)
    ]
    # Each word's contacts, looked up once (the book is scanned for each).
    found = {word: emails for word in unnamed if (emails := {c.email for c in contacts.named(word)})}
    if not found:
        return frame
    # Neighbouring words naming one person are one name: "Mehmet Yılmaz".
    names: list[list[str]] = []
    last_index, last_emails = -2, set[str]()
    for index, word in enumerate(candidates):
        bare = word.strip("'\".,")
        if bare.lower() not in found:
            continue
        emails = found[bare.lower()]
        if names and index == last_index + 1 and emails & last_emails:
            names[-1].append(bare)
        else:
            names.append([bare])
        last_index, last_emails = index, emails
    spoken = list(dict.fromkeys(" ".join(name) for name in names))
    # "Mehmet Yılmaz from Anadolu Retail": which Mehmet, not a second sender.
    qualifiers = {
        person.name
        for person in target.people
        for name in spoken
        if re.search(rf"{re.escape(name)}\s+(?:from|at|of)\s+{re.escape(person.name)}", text, re.IGNORECASE)
    }
    people = [p for p in target.people if p.name not in qualifiers] + person_roles(text, spoken)
    taken = {word for name in names for word in name}
    rest = " ".join(w for w in words if w.strip("'\".,") not in taken) or None
    return frame.model_copy(update={"target": target.model_copy(update={"topic": rest, "people": people})})


#: How far "the one before that" looks back (or "after" forward) from the item shown.
STEP_REACH = timedelta(days=3 * 365)


def _stepped_window(refine: str | None, context: ConversationContext) -> TimeRange | None:
    """ "and the one before that?": the time before the previous answer's item (after it,
    for "later"), so that the previous request, run again, finds its neighbour."""
    shown = context.last_items
    if refine not in ("earlier", "later") or not shown or shown[0].when is None:
        return None
    anchor = shown[0].when
    if refine == "earlier":
        return TimeRange(text="before that", start=anchor - STEP_REACH, end=anchor)
    return TimeRange(text="after that", start=anchor + timedelta(seconds=1), end=anchor + STEP_REACH)


#: Words that name a day, in a time phrase ("Friday at 3", "tomorrow", "the 14th", "5 Dec").
_NAMES_A_DAY = re.compile(
    r"\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b|\b(?:today|tonight|tomorrow|tomorow|tmrw|tmr|yesterday)\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b\d{1,2}(?:st|nd|rd|th)\b"
    r"|\bnext (?:week|month)\b|\d{4}-\d\d-\d\d|\b\d{1,2}/\d{1,2}\b"
)


def _names(frame: Frame) -> list[str]:
    """Every name the frame holds, once, in the order it holds them."""
    names = [person.name for selection in (frame.target, *frame.also) for person in selection.people]
    if frame.message is not None:
        names += [*frame.message.to, *frame.message.cc]
    if frame.event is not None:
        names += [*frame.event.attendees, *frame.event.uninvited]
    if frame.share is not None:
        names += frame.share.people
    if frame.condition is not None:
        names += frame.condition.people
    return list(dict.fromkeys(name for name in names if name.strip()))


def _window(selection: Selection, now: datetime, anchors: AnchorLookup | None) -> TimeRange | None:
    """The selection's time resolved. Mail and files are of the past: "modified in Drive on
    Tuesday" is the Tuesday just gone, not the coming one."""
    window = _when(selection.time, now, anchors)
    past = selection.service in ("gmail", "drive") and selection.time and _BARE_WEEKDAY.match(selection.time.lower())
    if window is not None and past and window.start > now:
        week = timedelta(days=7)
        return window.model_copy(update={"start": window.start - week, "end": window.end - week})
    return window


#: What happens in the evening: "dinner with Olivia on Saturday at 8" is at 20:00.
_EVENING = re.compile(r"\b(?:dinner|drinks|supper|party|evening|theatre|theater|concert|gig)\b", re.IGNORECASE)


def _evening_if_said(event: EventSpec | None, time: TimeRange | None) -> TimeRange | None:
    """A bare hour of an evening occasion ("dinner at 8") in the evening, not the morning."""
    if event is None or time is None or not _EVENING.search(event.title or ""):
        return time
    said = (event.start or "").lower()
    if re.search(r"\d\s*(?:am|a\.m\.)|\bmorning\b", said) or not 1 <= time.start.hour <= 11:
        return time
    return time.model_copy(update={"start": time.start + timedelta(hours=12), "end": time.end + timedelta(hours=12)})


def _when(
    phrase: str | None, now: datetime, anchors: AnchorLookup | None, *, is_new_event: bool = False
) -> TimeRange | None:
    """A phrase as written ("tmrw at 1", "nxt wed") resolved: spelt for the resolver first."""
    if not phrase:
        return None
    resolved = resolve_when(for_resolver(phrase), now, anchors=anchors, is_new_event=is_new_event)
    return resolved.model_copy(update={"text": phrase}) if resolved else None


def _pointed_at(selection: Selection, context: ConversationContext, window: TimeRange | None) -> list[ItemRef]:
    """The previous answer's items at the picked positions (-1 the last); those of the
    time said ("the September one"); or the first when the selection points at the
    previous answer without a position ("move it")."""
    shown = context.last_items
    if selection.previous and window is not None and not selection.picks:
        return [item for item in shown if item.when is not None and window.start <= item.when < window.end][:1]
    if selection.previous and selection.picks in ([], [1]) and selection.service is not None:
        # "forward it to Daniel" after an answer citing an event and an email: the email.
        of_service = [item for item in shown if item.service == selection.service]
        if of_service and shown[0].service != selection.service:
            return of_service[:1]
    positions = selection.picks or ([1] if selection.previous and shown else [])
    chosen = []
    for position in positions:
        index = len(shown) + position if position < 0 else position - 1
        if 0 <= index < len(shown):
            chosen.append(shown[index])
    return chosen


def _which_ones_first(frame: Frame) -> Clarification | None:
    """Deleting "all" with nothing that says which is never done: asked first."""
    target = frame.target
    scoped = target.people or target.topic or target.title or target.time or target.kinds or target.unread
    return _which_ones(target.service) if frame.act == "delete" and target.every and not scoped else None


def _which_ones(service: str | None) -> Clarification:
    """ "delete all my emails": never all of a place; ask which, by what narrows it."""
    if service == "calendar":
        return Clarification(
            kind="other",
            question="That would delete every event in your calendar. "
            "Which ones: on a day, in a week, or with someone?",
            options=["On a day", "In a week", "With someone"],
        )
    noun = {"drive": "file in your Drive"}.get(service or "", "email in your mailbox")
    return Clarification(
        kind="other",
        question=f"That would delete every {noun}. Which ones: from a sender, older than a date, or about something?",
        options=["From a sender", "Older than a date", "About something"],
    )


def _ask_about(
    people: list[ResolvedPerson], frame: Frame, items: list[ItemRef], context: ConversationContext
) -> Clarification | None:
    """One clear question when the frame cannot be carried out as it is: an ambiguous name
    in a write (a lookup searches every person the name may mean, and ranking sorts them
    out), or a position the previous answer does not have."""
    writes = frame.act not in ("find", "read", "free_time", "prepare")
    # Whose access is taken away or changed is among those who have it: the file settles it.
    settled = set(frame.share.people) if frame.share is not None and frame.share.access != "grant" else set()
    # A reply goes to the message found, a forward to its new recipients: whose message it
    # is ("reply all to Sarah's last Q4 review mail") is looked up, ranking settles it.
    if frame.act in ("reply", "forward"):
        message = frame.message
        written_to = set(message.cc) | (set(message.to) if frame.act == "forward" else set()) if message else set()
        settled |= {person.mention for person in people if person.mention not in written_to}
    for person in people if writes else []:
        if person.contact is None and person.candidates and person.mention not in settled:
            return Clarification(
                kind="person",
                question=f"Which {person.mention} do you mean?",
                options=[f"{c.name} <{c.email}>" for c in person.candidates],
            )
    message = frame.message
    if frame.act == "send" and message is not None and not message.to and not items and not frame.target.previous:
        return Clarification(kind="person", question="Who should I send it to?", options=[])
    if frame.target.picks and not items and context.last_items:
        count = len(context.last_items)
        return Clarification(
            kind="item",
            question=f"I only showed {count} item{'s' if count != 1 else ''}: which one do you mean?",
            options=[f"{item.position}. {item.title}" for item in context.last_items],
        )
    return None
