"""Scheduling words: "when we're all free", "my first free hour", "find 30 minutes with X".

A request to find time says whose time counts and how much is needed in words the rest
of the reader would take for a title or a topic ("When Daniel and I are both free"). This
module takes those words out before the request is read, and says what they meant:

    said = free_time_words(text)
    said.rest      the request without them ("book an hour with Daniel next week")
    said.people    whose time also counts, as written ("Daniel")
    said.question  whether it asks when the time is, rather than to book it
    said.first     whether only the first such time is wanted ("my first free hour")

`scheduled(frame, said, text)` then makes the frame say it: a booking creates an event
with those people as guests, in the first time everyone is free within the time said (with
no title said, the meaning asks for one); a question finds the free time (the planner asks
Calendar's free/busy for both).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from assistant.understanding import quantities, wording
from assistant.understanding.frame import Condition, EventSpec, Frame, PersonRef, Selection

_FREE = r"(?:free|available|availble|avail|clear|open)"
_BE = r"(?:(?:'|’)?re|(?:'|’)?s|(?:'|’)?m|are|r|is|am|were|was|be|have|has|got)"
# "when we're all free", "wherever Sarah, Daniel and I are both free", "at a time we're
# both free", "when shes free", "when everyone is free", "if Daniel is available".
_FREE_CLAUSE = re.compile(
    r"[,;]?\s*\b(?:when(?:ever)?|wherever|where|at\s+a\s+time(?:\s+(?:when|that))?|a\s+time(?:\s+when)?|that)\s+"
    rf"(?P<who>(?:(?!\b(?:when|and\s+(?:book|put|schedule|add|block))\b)[\w'’+&,. ]){{0,60}}?)"
    rf"\s*\b(?:{_BE}\s+)?(?:(?:all|both|each)\s+)?(?:{_BE}\s+)?{_FREE}\b(?!\s+(?:slots?|time|hours?)\b)",
    re.IGNORECASE,
)
# A question about free time: "when are Sarah, Daniel and I all free", "when I first have
# a free hour", "my first free hour tomorrow", "earliest I've got an hour clear".
_ASKS_WHEN = re.compile(
    r"^\W*(?:(?:could|can|would)\s+(?:you|u)\s+(?:please\s+)?(?:check|tell\s+me|find\s+out|see|look)\s+)?"
    r"(?:when(?:'?s|s)?|what\s+time|at\s+what\s+time|is\s+there\s+a\s+time)\b",
    re.IGNORECASE,
)
_FIRST_FREE = re.compile(
    r"\b(?:first|frist|fisrt|earliest|erliest|soonest)\b(?:\s+[\w'’-]+){0,5}?\s+(?:free|clear|available|gap|opening)\b"
    r"|\bnext\s+(?:free|clear|available|open)\b",
    re.IGNORECASE,
)
_FREE_NOUN = re.compile(
    rf"\b{_FREE}\s+(?:hour|hr|slot|window|half[-\s]hour|\d+\s*(?:min|mins|minutes|h|hrs?|hours?))\b"
    rf"|\b(?:hour|hr|\d+\s*(?:min|mins|minutes|h|hrs?|hours?))\s+(?:{_FREE}|clear)\b",
    re.IGNORECASE,
)
# Booking verbs: with free time said, these make an event. "find"/"get" need a length
# ("find 30 minutes with Sarah"): "find the free slots" is a question.
_BOOKING_VERB = re.compile(
    r"\b(?:book|schedule|shedule|set\s+up|setup|put|block|add|arrange|organi[sz]e|pencil|hold|reserve|create|make)\b",
    re.IGNORECASE,
)
_FINDING_TIME = re.compile(
    r"^\W*(?:(?:could|can|would)\s+(?:you|u)\s+(?:please\s+)?|please\s+|pls\s+)?(?:find|get|grab|carve\s+out|want)"
    r"\s+(?:me\s+|us\s+)?(?:an?\s+|some\s+)?"
    r"(?:\d+|one|two|three|half|a\s+half|an?)[\s-]*(?:hour|hr|h|min|mins|minutes|[\w-]*\s*hour)",
    re.IGNORECASE,
)
# A message to write: its words about free time are what it says.
_MESSAGE = re.compile(
    r"\b(?:e-?mail|mail|message|msg|tell(?!\s+me\b)|ask|reply|respond|write|text|send|draft|forward|ping"
    r"|let\s+(?!me\b)\w+\s+know)\b",
    re.IGNORECASE,
)
# Words in a "who" part that name nobody.
_NOBODY = frozenset(
    "we we're were i i'm im me us you all both everyone everybody every one of the two three four they they're "
    "theyre she shes she's he hes he's and are r is am be free available both each us all".split()
)
#: Words that are times, not people, when a name runs into them ("sarah fri", "daniel tmrw").
TIME_WORDS = frozenset(
    "today tomorrow tmrw tmr tmw tomorow tommorow tonight yesterday mon monday tue tues tuesday wed weds wednesday "
    "thu thur thurs thursday fri friday sat saturday sun sunday next nxt this week wk weeks morning afternoon "
    "evening am pm both all".split()
)


# "if Sarah's free at 3 on Friday, ...", "check whether Daniel is free at 2pm tomorrow and,
# if so, ...", "if sarah free fri 3pm, ...": someone else's free time as a condition.
_THEY_ARE_FREE = re.compile(
    r"\b(?:if|whether)\s+(?P<who>(?!(?:i|i'm|im|we|we're|my|the|it|that|this)\b)[a-z][\w'’.-]*(?:\s+(?:and\s+)?[a-z][\w'’.-]*)?)"
    rf"(?:(?:'|’)s|\s+(?:is|are|r))?\s+{_FREE}\b(?P<time>[^,;?!]*?)"
    r"\s*(?:[,;]\s*(?:then\s+)?|\s+and\s*,?\s*(?:if\s+(?:so|she\s+is|he\s+is|they\s+are|yes)\s*,?\s*)?|\s+(?=(?:book|set\s+up|put|add"
    r"|schedule|grab|make|block)\b))",
    re.IGNORECASE,
)
_PRONOUN_OF = re.compile(r"\b(?:her|him|them)\b", re.IGNORECASE)
# What is left of "if so" clauses once the condition is read: "..., if she is, book ...".
_IF_SO = re.compile(r"^\s*(?:if\s+(?:so|she\s+is|he\s+is|they\s+are|yes)\s*,?\s*)", re.IGNORECASE)


@dataclass(frozen=True)
class TheyAreFree:
    """ "if Sarah's free at 3 on Friday, set up 30 minutes with her": the booking, said with
    the names and the time (`booking`), and whose free time is the condition, when."""

    booking: str
    people: list[str]
    time: str


def they_are_free(text: str) -> TheyAreFree | None:
    """Someone's free time as the condition of a booking, or None."""
    match = _THEY_ARE_FREE.search(text)
    if match is None:
        return None
    people = [re.sub(r"['’]s$", "", name) for name in names_in(match.group("who"))]
    rest = _IF_SO.sub("", text[match.end() :])
    if not people or not _books(rest):
        return None
    time = " ".join(match.group("time").split())
    booking = _PRONOUN_OF.sub(" and ".join(people), rest).rstrip(" ?.!")
    return TheyAreFree(booking=f"{booking} {time}".strip(), people=people, time=time)


@dataclass
class FreeTimeWords:
    """What the scheduling words of a request said (see the module docstring)."""

    rest: str
    people: list[str] = field(default_factory=list)
    question: bool = False
    first: bool = False
    said: bool = False


def free_time_words(text: str) -> FreeTimeWords:
    """The request without its "when we're free" clause, and what the words say. Words of
    a message are its content: "email Sarah asking when she's free" sends an email."""
    clause = _FREE_CLAUSE.search(text)
    if _MESSAGE.search(text[: clause.start()] if clause else text) or wording.quoted_spans(text):
        return FreeTimeWords(rest=text)
    asks = bool(_ASKS_WHEN.search(text)) and not _books(text[: clause.start()] if clause else text)
    first = bool(_FIRST_FREE.search(text))
    if clause is None:
        said = first or (asks and bool(_FREE_NOUN.search(text)))
        return FreeTimeWords(rest=text, question=said and not _books(text), first=first, said=said)
    people = names_in(clause.group("who"))
    rest = (text[: clause.start()] + text[clause.end() :]).strip()
    if asks or (clause.start() == 0 and not _books(rest)) or _ASKS_WHEN.search(text[: clause.start() + 6]):
        return FreeTimeWords(rest=text, people=people, question=True, first=first, said=True)
    asked = re.match(r"[,;]?\s*when\s+(?:am|are|is|r)\b", clause.group(0), re.IGNORECASE)
    if asked or not (_books(text) or quantities.duration_minutes(text)):
        # "emails about the Istanbul trip and when am I free next week": a question inside a
        # longer request, read as written; nothing here books anything.
        return FreeTimeWords(rest=text)
    return FreeTimeWords(rest=rest, people=people, question=False, first=first, said=True)


def _books(text: str) -> bool:
    return bool(_BOOKING_VERB.search(text) or _FINDING_TIME.search(text))


def names_in(words: str) -> list[str]:
    """The people a list names ("Sarah, Daniel and I": Sarah, Daniel), as written."""
    names = []
    for part in re.split(r"\s*(?:,|&|\+|\band\b|\bor\b)\s*", words.strip(" ,.")):
        said = part.split()
        while said and said[0].lower() in ("r", "are", "is", "am", "were"):
            said.pop(0)  # "r sarah": the verb before the name
        # A name ends where the words stop naming: "I both have an hour" names no one.
        kept = list(itertools.takewhile(lambda word: not _nobody(word), said))
        if kept:
            names.append(" ".join(kept))
    return names


def _nobody(word: str) -> bool:
    return word.lower().strip(".'’") in _NOBODY | TIME_WORDS or word.lower() in ("have", "has", "got", "get")


def as_booking(text: str) -> str:
    """ "find 30 minutes with Sarah": "book 30 minutes with Sarah"; a request with no verb
    ("Beacon budget check with Sarah tomorrow afternoon, 30 mins") gets one."""
    match = _FINDING_TIME.search(text)
    if match:
        verb = re.search(r"(?:find|get|grab|carve\s+out|want)\s+(?:me\s+|us\s+)?", match.group(0), re.IGNORECASE)
        assert verb is not None
        start = match.start() + verb.start()
        return text[:start] + "book " + text[match.start() + verb.end() :]
    if not _BOOKING_VERB.search(text) and not re.match(r"^\W*(?:could|can|would|please|pls)\b", text, re.IGNORECASE):
        return "book " + text
    return text


def scheduled(frame: Frame, said: FreeTimeWords, text: str) -> Frame:
    """`frame` with the scheduling words' meaning: the people whose time counts and the
    length of time needed."""
    minutes = quantities.duration_minutes(text) or (60 if re.search(r"\bfree\s+hour\b", text, re.I) else None)
    if said.question:
        # Whose time: the names in "when are Sarah, Daniel and I free", else those read.
        named = said.people or names_in(", ".join(p.name for p in frame.target.people))
        people = [PersonRef(name=name, role="with") for name in named]
        target = Selection(
            service="calendar",
            people=people,
            time=frame.target.time or (frame.event.start if frame.event else None),
            order="earliest" if said.first else "relevance",
            count=1 if said.first else None,
        )
        event = EventSpec(duration_minutes=minutes) if minutes else None
        return Frame(
            act="free_time",
            ask="when",
            services=["calendar"],
            target=target,
            event=event,
            confidence=frame.confidence,
        )
    event = frame.event or EventSpec()
    attendees = list(event.attendees)
    known = {name.lower() for name in attendees}
    attendees += [name for name in said.people if name.lower() not in known]
    attendees += [p.name for p in frame.target.people if p.name.lower() not in {a.lower() for a in attendees}]
    event = event.model_copy(
        update={
            "attendees": attendees,
            "duration_minutes": event.duration_minutes or minutes,
            "start": event.start or frame.target.time,
            "when_free": True,
        }
    )
    if not event.title:
        # "block 2h focus tmrw where im free": the words left name it, whatever the act read.
        event = event.model_copy(update={"title": wording.event_title(as_booking(said.rest))})
    return frame.model_copy(
        update={
            "act": "create",
            "services": ["calendar"],
            "target": Selection(service="calendar"),
            "event": event,
            "clarification": None,
        }
    )


def on_condition(frame: Frame, condition: TheyAreFree) -> Frame:
    """The booking `frame`, made only if the people (and the user) are free at its time."""
    event = frame.event or EventSpec()
    known = {name.lower() for name in event.attendees}
    attendees = [*event.attendees, *(name for name in condition.people if name.lower() not in known)]
    event = event.model_copy(update={"attendees": attendees, "start": event.start or condition.time or None})
    return frame.model_copy(
        update={
            "act": "create",
            "ask": "list",
            "services": ["calendar"],
            "target": Selection(service="calendar"),
            "event": event,
            "condition": Condition(kind="free", people=condition.people, time=condition.time or None),
            "clarification": None,
        }
    )
