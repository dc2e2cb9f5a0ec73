"""A request that lists what it wants from several services.

"the Greenleaf incident: emails, the report and any meetings about it", "beacon docs and
emails", "lena fischer offer mails + first day on calender": a subject, then parts, each
naming one kind of thing (mail, a file, an event). Each part is read as one selection in
its service; the subject is what every part is about.

A part names its service by a place ("in my calendar", "in Drive"), or by a noun that only
one service holds: mail ("the booking email", "the threads"), a file ("the report", "the
order form", "the account plan"), an event ("the call", "the calendar entry", "her first
day"). A part that names none belongs with the part before it ("Mehmet's agenda").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.understanding.schema import Service

#: Where a subject ends and its parts begin: "the flight to Istanbul: ...", "greenleaf incident - ...".
_SUBJECT = re.compile(r"^(?P<subject>[^:]{2,80}?)\s*(?::|\s[-\u2013\u2014]\s)\s*(?P<parts>.+)$", re.DOTALL)
#: Between two parts: a comma, "and", "+", "&", "plus", "as well as", "also".
_BETWEEN = re.compile(r"\s*(?:,\s*(?:and\s+|also\s+)?|\s\+\s*|\s&\s|\band also\b|\band\b|\bplus\b|\bas well as\b)\s*")
#: The words of a part that say which service holds it, in the order they are trusted:
#: a place said outright, then a noun only one service holds.
_PLACES: list[tuple[Service, re.Pattern[str]]] = [
    ("calendar", re.compile(r"\b(?:in|on|from|to)\s+(?:my|the)\s+(?:calendar|calender|diary)\b")),
    ("drive", re.compile(r"\b(?:in|on|from)\s+(?:my\s+|the\s+)?(?:google\s+)?drive\b")),
    ("gmail", re.compile(r"\b(?:in|from)\s+(?:my\s+|the\s+)?(?:inbox|gmail|e-?mail)\b")),
]
_NOUNS: list[tuple[Service, re.Pattern[str]]] = [
    (
        "gmail",
        re.compile(
            r"\b(?:e-?mails?|mails?|emial|inbox|gmail|messages?|threads?|newsletters?|replies|bookings?"
            r"|confirmations?|receipts?|invoices?)\b"
        ),
    ),
    (
        "drive",
        re.compile(
            r"\b(?:drive|docs?|documents?|files?|spreadsheets?|sheets?|slides|decks?|pdfs?|folders?|presentations?"
            r"|reports?|contracts?|order forms?|plans?|proposals?|memos?|write-?ups?|briefs?|prds?)\b"
        ),
    ),
    (
        "calendar",
        re.compile(
            r"\b(?:calendar|calender|meetings?|events?|appointments?|appts?|calls?|entry|entries|invites?"
            r"|first day|launch day|sessions?)\b|\bwhen\b.*\b(?:seeing|meeting|meet|see)\b"
        ),
    ),
]


@dataclass(frozen=True)
class Part:
    """One thing the request lists: its service, the words that name it, and the subject
    every part is about ("" when there is none)."""

    service: Service
    words: str
    subject: str


def listed_parts(text: str) -> list[Part]:
    """The parts of a request that lists things from at least two services; none when it
    does not (one service, or no list)."""
    match = _SUBJECT.match(text.strip())
    subject, rest = (match.group("subject"), match.group("parts")) if match else ("", text)
    if subject and _only_a_place(subject):
        subject, rest = "", text  # "emails: ..." names a place, not a subject
    pieces = [piece.strip(" ?.!") for piece in _BETWEEN.split(rest) if piece.strip(" ?.!")]
    leading: list[str] = []
    while pieces and _service_of(pieces[0]) is None and len(pieces) > 2:
        leading.append(pieces.pop(0))  # "my Istanbul flight, both the email and the entry"
    subject = " ".join([subject, *leading]).strip()
    parts: list[tuple[Service | None, str]] = []
    for piece in pieces:
        service = _service_of(piece)
        if service is None and parts:
            parts[-1] = (parts[-1][0], f"{parts[-1][1]} and {piece}")
        elif parts and parts[-1][0] is None:
            parts[-1] = (service, f"{parts[-1][1]} {piece}")  # "beacon docs": the words before it are its own
        else:
            parts.append((service, piece))
    known = [(service, words) for service, words in parts if service is not None]
    if len(known) < 2 or len({service for service, _ in known}) < 2 or len(known) != len(parts):
        return []
    return [Part(service=service, words=words, subject=subject) for service, words in known]


#: Words around a place's name that say nothing else ("all my emails", "the calendar").
_PLACE_FILLER = frozenset("my the all any your our in on from".split())


def _only_a_place(words: str) -> bool:
    """ "emails", "in my calendar": words that name a service and nothing else."""
    said = [word for word in re.findall(r"[\w'-]+", words.lower()) if word not in _PLACE_FILLER]
    return bool(said) and all(_service_of(word) is not None for word in said)


def _service_of(piece: str) -> Service | None:
    lowered = piece.lower()
    for service, pattern in _PLACES:
        if pattern.search(lowered):
            return service
    found = [(match.start(), service) for service, pattern in _NOUNS if (match := pattern.search(lowered))]
    return min(found)[1] if found else None
