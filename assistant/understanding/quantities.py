"""Quantities and cues of a request read from its words: the offline reader's share of the frame.

Pure rules over the normalised text (lower case, one spelling for am/pm, quoted text
dropped first so a subject like 'second draft' or a body like "how many?" says nothing):

- `duration_minutes`: how long a new or resized event lasts ("an hour and a half" is 90);
- `shift_minutes`: a move by a duration, signed ("15 minutes earlier" is -15);
- `keeps_time`: a move to another day at the same time;
- `selection_order`: the order, count and "all" of the items meant ("my next 3 meetings");
- `picks`: positions in the previous answer ("the second and the fourth");
- `ask_kind`: what the answer must say (a list, when, who, how many, yes or no, ...);
- `series_scope`: which occurrences of a recurring event;
- `mail_flags`: unread, starred, with attachments, sent by the user.

These are rules, not a model: they read the phrasings the tests list and their close
variants, and they say nothing (None, "relevance", False) when unsure rather than guess.
What they cannot read (see the tests' known gaps) is left to the language model path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.understanding.features import normalise
from assistant.understanding.frame import Ask, Order, Series

# ---------------------------------------------------------------- shared text preparation

_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|(?<![\w'])'[^']+'(?![\w'])")
_NUMBER_WORDS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNIT_WORDS = "one|two|three|four|five|six|seven|eight|nine"
_SMALL_WORDS = "|".join(sorted((w for w, n in _NUMBER_WORDS.items() if n < 20), key=len, reverse=True))
#: A number as digits ("1.5", "1,5") or words ("forty-five", "a couple of", "an").
_NUMBER = (
    rf"(?:\d+(?:[.,]\d+)?|(?:(?:{_TENS})(?:[\s-](?:{_UNIT_WORDS}))?|{_SMALL_WORDS}|(?:a\s+)?couple(?:\s+of)?|an?)\b)"
)
#: A count of items: digits or a word up to twenty (never "a"/"an").
_COUNT = rf"(?:\d{{1,3}}(?![\w:./-])|(?:{_SMALL_WORDS}|twenty)\b)"


def _prepare(text: str, quoted: str = " ") -> str:
    """Normalised text with quoted passages replaced by `quoted` (their words are content,
    not cues)."""
    unquoted = _QUOTED.sub(quoted, normalise(text.replace("‘", "'")))
    return re.sub(r"\s+", " ", unquoted).strip()


def _number_value(words: str) -> float:
    """'1,5' -> 1.5, 'forty-five' -> 45, 'a couple of' -> 2, 'an' -> 1."""
    if words[0].isdigit():
        return float(words.replace(",", "."))
    if words in {"a", "an"}:
        return 1
    if "couple" in words:
        return 2
    return float(sum(_NUMBER_WORDS[part] for part in re.split(r"[\s-]", words)))


def _count_value(words: str) -> int | None:
    """A count's value, or None for '0' and for numbers too large to be a count of items."""
    value = int(_number_value(words))
    return value if 0 < value <= 100 else None


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the spans replaced by spaces, so positions elsewhere are kept."""
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


# ---------------------------------------------------------------- durations and shifts

_HOUR_WORD = r"(?:hours?|hrs?)"
_MINUTE_WORD = r"(?:minutes?|mins?)"
#: "1h30", "1h", "2h 15m", "1.5h".
_COMPACT_DURATION = re.compile(
    r"(?<![\w.,:])(?P<hours>\d+(?:[.,]\d+)?)\s?h(?![a-z])(?:\s?(?P<minutes>\d{1,2})(?:\s?(?:m|mins?|minutes?))?\b)?"
)
#: "half an hour", "a half-hour", "half hour".
_HALF_HOUR = re.compile(r"(?<!\w)(?:(?:a|one)\s)?half[\s-](?:an?\s)?(?:hour|hr)\b")
#: "a quarter of an hour", "quarter-hour", "three quarters of an hour".
_QUARTER_HOUR = re.compile(
    r"(?<!\w)(?:(?P<quarters>a|one|two|2|three|3)\s)?quarters?[\s-](?:of\s)?(?:an?\s)?(?:hour|hr)\b"
)
#: "two hours", "an hour and a half", "one and a half hours", "1 hour 30 minutes", "hour-long".
_HOURS_DURATION = re.compile(
    rf"(?<![\w.,:])(?P<hours>{_NUMBER})(?P<and_half>[\s-](?:and[\s-])?a[\s-]?half)?[\s-]?{_HOUR_WORD}\b"
    rf"(?:(?P<tail_half>[\s-]and[\s-](?:a[\s-])?half\b)|,?\s(?:and\s)?(?P<minutes>{_NUMBER})[\s-]?{_MINUTE_WORD}\b)?"
    r"(?:[\s-]long\b)?"
)
#: "90 minutes", "90-minute", "30-min", "90mins", "45m".
_MINUTES_DURATION = re.compile(rf"(?<![\w.,:])(?P<minutes>{_NUMBER})(?:[\s-]?{_MINUTE_WORD}\b|(?<=\d)m\b)")
#: "an hour-long" is read by `_HOURS_DURATION`; this is "hour-long" with no number.
_HOUR_LONG = re.compile(r"(?<![\w-])hour[\s-]long\b")

#: Words just before a duration that make it a lead time, a window or a delta, not a length:
#: "in 2 hours", "within the next hour", "every 2 hours", "by 30 minutes", "the last 24 hours".
_LEAD_BEFORE = re.compile(
    r"\badd\s+$|\b(?:in|within|after|every|per|each|by|than|past|last|next|coming|previous|first|following|extra|"
    r"another|additional|more|less)\s+"
    r"(?:the\s+)?(?:(?:next|past|last|coming|previous|first|following)\s+)?$"
)
#: Words just after a duration that make it a lead time: "2 hours ago", "an hour from now".
_LEAD_AFTER = re.compile(
    r"^\s*(?:ago|from\s+now|back|before\s+now|in\s+advance|notice|longer|shorter|more|less|extra)\b"
)
#: Words after a duration that may make it an offset ("30 minutes before the flight"); such
#: a duration is used only when no other is said.
_OFFSET_AFTER = re.compile(r"^\s*(?:before|after|prior\s+to|until|till|beforehand)\b")

#: "an hour later this week" is a time; "15 minutes earlier tomorrow" moves tomorrow's event.
_TIME_AFTER_SHIFT = r"(?!\s+(?:this|next|in\s+the|that|morning|afternoon|evening|week|day)\b)"
#: "15 minutes earlier", "an hour later" (but not "an hour later this week", a time).
_SHIFT_WORD_AFTER = re.compile(
    rf"^\s*(?:(?P<earlier>earlier|sooner|early)|(?P<later>later|late))\b{_TIME_AFTER_SHIFT}(?:\s+than\s+\w+)?"
)
#: "later by 30 minutes", "earlier by an hour".
_SHIFT_WORD_BEFORE = re.compile(r"\b(?:(?P<earlier>earlier|sooner|forward)|(?P<later>later|back))\s+by\s+$")
#: Verbs that move an event; those that say a direction on their own are grouped.
_MOVE_VERB = re.compile(
    r"\b(?:(?P<later>delay(?:ed|ing|s)?|postpon(?:e|ed|es|ing)|push(?:ed|es|ing)?|bump(?:ed|s|ing)?|slip|put\s+off)"
    r"|(?P<earlier>pull(?:ed|ing|s)?)"
    r"|(?P<neutral>mov(?:e|ed|es|ing)|bring(?:ing|s)?|brought|shift(?:ed|ing|s)?|slide|reschedul(?:e|ed|es|ing)))\b"
)
#: The particle of a move ("push back", "bring forward", "move up"), in the words between
#: the verb and the duration or just after the duration.
_MOVE_PARTICLE = re.compile(r"\b(?:(?P<later>back|out|later)|(?P<earlier>forward|up|earlier|sooner))\b")
#: Words between a move verb and a duration that break the link: "move it to 3pm for an hour".
_GAP_BREAK = re.compile(r"[.;!?]|\b(?:to|at|until|till|from|for|into|and|then|on\s+\w+day)\b")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    minutes: int


def _compact_minutes(match: re.Match[str]) -> int:
    return round(_number_value(match["hours"]) * 60) + int(match["minutes"] or 0)


def _quarter_minutes(match: re.Match[str]) -> int:
    quarters = {"two": 2, "2": 2, "three": 3, "3": 3}.get(match["quarters"] or "", 1)
    return 15 * quarters


def _hours_minutes(match: re.Match[str]) -> int:
    hours = _number_value(match["hours"])
    if match["and_half"] or match["tail_half"]:
        hours += 0.5
    extra = _number_value(match["minutes"]) if match["minutes"] else 0
    return round(hours * 60 + extra)


def _minutes_minutes(match: re.Match[str]) -> int:
    return round(_number_value(match["minutes"]))


_DURATION_READERS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], int]]] = [
    (_COMPACT_DURATION, _compact_minutes),
    (_HALF_HOUR, lambda _m: 30),
    (_QUARTER_HOUR, _quarter_minutes),
    (_HOURS_DURATION, _hours_minutes),
    (_MINUTES_DURATION, _minutes_minutes),
    (_HOUR_LONG, lambda _m: 60),
]


def _durations(text: str) -> list[_Span]:
    """Every phrase that says an amount of time, left to right, the longest where two overlap."""
    found: list[_Span] = []
    for pattern, reader in _DURATION_READERS:
        for match in pattern.finditer(text):
            minutes = reader(match)
            if minutes > 0:
                found.append(_Span(match.start(), match.end(), minutes))
    found.sort(key=lambda s: (s.start, -(s.end - s.start)))
    kept: list[_Span] = []
    for span in found:
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def _clause_before(text: str, start: int) -> str:
    """The words before `start` in the same sentence."""
    before = text[:start]
    cut = max(before.rfind(mark) for mark in ".;!?")
    return before[cut + 1 :]


def _direction_from(match: re.Match[str] | None) -> int:
    if match is None:
        return 0
    if match["earlier"]:
        return -1
    return 1 if match["later"] else 0


def _verb_direction(before: str, after: str) -> int:
    """The direction of the last move verb before a duration, or 0 when none is linked to it."""
    verbs = list(_MOVE_VERB.finditer(before))
    if not verbs:
        return 0
    verb = verbs[-1]
    gap = before[verb.end() :]
    if len(gap.split()) > 6 or _GAP_BREAK.search(gap):
        return 0
    particles = list(_MOVE_PARTICLE.finditer(gap))
    if particles:
        return _direction_from(particles[-1])
    after_particle = re.match(r"^\s*(?:(?P<later>back|out)|(?P<earlier>forward|up|earlier|sooner))\b", after)
    if after_particle:
        return _direction_from(after_particle)
    if verb["later"]:
        return 1
    return -1 if verb["earlier"] else 0


def _shift_direction(text: str, span: _Span) -> int:
    """+1 when the duration moves an event later, -1 earlier, 0 when it is no shift."""
    before, after = _clause_before(text, span.start), text[span.end :]
    said_after = _direction_from(_SHIFT_WORD_AFTER.match(after))
    if said_after:
        return said_after
    said_before = _direction_from(_SHIFT_WORD_BEFORE.search(before))
    if said_before:
        return said_before
    return _verb_direction(before, after)


def shift_minutes(text: str) -> int | None:
    """A move by a duration, signed: '15 minutes earlier' -> -15, 'push back an hour' -> 60; else None."""
    prepared = _prepare(text)
    for span in _durations(prepared):
        direction = _shift_direction(prepared, span)
        if direction:
            return direction * span.minutes
    return None


def duration_minutes(text: str) -> int | None:
    """The length of a new or resized event in minutes ('an hour and a half' -> 90), or None.

    Shifts ('15 minutes earlier'), lead times ('in 2 hours', '2 hours ago'), windows ('the
    next 2 hours'), recurrences ('every 2 hours') and deltas ('by 30 minutes') are no length.
    """
    # "a full hour", "a whole hour": an hour.
    # A quoted title stays a word: "add 'Hiring plan' 1h" is an hour long, not "add 1h" more.
    prepared = re.sub(
        r"\b(an?|one)\s+(?:full|whole|entire|solid)\s+(hour|hr)\b", r"\1 \2", _prepare(text, quoted=" title ")
    )
    offsets: list[int] = []
    for span in _durations(prepared):
        before, after = prepared[: span.start], prepared[span.end :]
        if _shift_direction(prepared, span) or _LEAD_BEFORE.search(before) or _LEAD_AFTER.match(after):
            continue
        if _OFFSET_AFTER.match(after):
            offsets.append(span.minutes)
            continue
        return span.minutes
    return offsets[0] if offsets else None


# ---------------------------------------------------------------- same time

_SAME_TIME = re.compile(
    r"\b(?:(?:at|for)\s+)?(?:the\s+)?same\s+(?:time|hour|slot|time\s+slot)\b(?!\s+as\b)"
    r"|\bkeep(?:ing|s)?\s+(?:it\s+at\s+)?the\s+(?:same\s+)?(?:time|hour|slot)\b"
)
_NOT_SAME_TIME = re.compile(r"\b(?:not|n't|different)\s+(?:at\s+|keep\s+)?(?:the\s+)?same\s+time\b")


def keeps_time(text: str) -> bool:
    """True for a move to another day at the same time ('to Tuesday, same time')."""
    prepared = _prepare(text)
    return bool(_SAME_TIME.search(prepared)) and not _NOT_SAME_TIME.search(prepared)


# ---------------------------------------------------------------- item nouns

_ITEM_SINGULARS = (
    "email mail message meeting event file doc document invoice newsletter thread 1:1 1-1 one-on-one call sync "
    "standup stand-up pdf presentation spreadsheet deck sheet slide note draft appointment invite invitation "
    "thing one item result attachment receipt report review interview session catch-up catchup update version "
    "contract photo image picture video chat conversation booking reservation flight lunch dinner check-in demo"
).split()
_ITEM_PLURALS = {"reply": "replies", "1:1": "1:1s", "1-1": "1-1s", "one-on-one": "one-on-ones"}
_SINGULAR_NOUNS = frozenset(_ITEM_SINGULARS) | {"reply"}
_PLURAL_NOUNS = frozenset(_ITEM_PLURALS.get(w, w + "s") for w in _SINGULAR_NOUNS) | {"people"}
_ITEM_NOUN = "|".join(re.escape(w) for w in sorted(_SINGULAR_NOUNS | _PLURAL_NOUNS, key=len, reverse=True))
_NOT_PLURAL = frozenset({"news", "status", "class", "bus", "analysis", "process", "address", "this", "series", "his"})


def _looks_plural(word: str) -> bool:
    if word in _PLURAL_NOUNS:
        return True
    if word in _SINGULAR_NOUNS or word in _NOT_PLURAL or word.endswith(("ss", "'s", "us")):
        return False
    return len(word) > 3 and word.endswith("s")


# ---------------------------------------------------------------- picks from a previous answer

_ORDINALS: dict[str, int] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "last": -1,
    "penultimate": -2,
}
_ORDINAL = (
    r"(?:(?:second|next)[\s-](?:to[\s-])?last|penultimate|first|second|third|fourth|fifth|sixth|seventh|eighth"
    r"|ninth|tenth|last|\d{1,2}(?:st|nd|rd|th))"
)
_ORDINAL_LIST = rf"{_ORDINAL}(?:\s*(?:,\s*(?:and\s+)?|and\s+|&\s*)(?:the\s+)?{_ORDINAL})*"
#: "the second one", "the 3rd email", "the second and the fourth", "the first two".
_PICK = re.compile(
    rf"\b(?P<det>the|that)?\s*(?P<ordinals>{_ORDINAL_LIST})\b(?:\s+(?!one\b)(?P<count>{_COUNT}))?"
    # Not a ratio or a time ("1:1", "2:30"); a colon before what a reply says is fine ("the 2nd: ok").
    rf"(?:\s+(?P<noun>{_ITEM_NOUN}))?(?![\w-]|:\S)"
)
#: "number 2", "#3", "option 1 and 3".
_NUMBERED_PICK = re.compile(
    r"(?<!\w)(?:number|#|no\.|option|item|result)\s?(?P<numbers>\d{1,2}(?:\s*(?:,|and|&|or)\s*\d{1,2})*)\b"
)
#: What may follow a pick: nothing, politeness, the rest of the act ("... saying", "... to Sarah").
_PICK_TAIL = re.compile(
    r"^\s*(?:$|[.,!?;:)]|(?:please|pls|thanks|thank|instead|too|also|again|then|and|but|saying|telling|asking|"
    r"now|only|just|as\s+well|in\s+full|above|(?:in|from|on|of)\s+(?:the|that|this|your)\s+"
    r"(?:list|results|answer|previous|above)|you\s+(?:just\s+)?(?:showed|listed|found|mentioned|gave))\b)"
)
_PICK_TO_TAIL = re.compile(r"^\s*to\b")
_SENDING_VERB = re.compile(r"\b(?:forward|fwd|send|share|reply|respond|answer)\b")
#: A date, not a pick: "move it to the 3rd", "on the first".
_DATE_BEFORE_PICK = re.compile(r"\b(?:on|for|by|until|till|from|before|after|since|of)\s+$")
_MOVE_CONTEXT = re.compile(r"\b(?:move|push|reschedule|change|postpone|shift|bring|book|schedule)\b")


def _ordinal_value(word: str) -> int:
    word = re.sub(r"\s+", " ", word.replace("-", " "))
    if word.endswith(" last") or word == "penultimate":
        return -2
    if word in _ORDINALS:
        return _ORDINALS[word]
    return int(re.sub(r"\D", "", word))


def _pick_positions(match: re.Match[str]) -> list[int]:
    ordinals = [_ordinal_value(m[0]) for m in re.finditer(_ORDINAL, match["ordinals"])]
    if not match["count"]:
        return ordinals
    count = _count_value(match["count"])
    if count is None or len(ordinals) != 1 or ordinals[0] not in {1, -1} or count > 20:
        return []
    return list(range(1, count + 1)) if ordinals[0] == 1 else list(range(-count, 0))


def _pick_allowed(text: str, match: re.Match[str]) -> bool:
    """Conservative: an ordinal is a pick only when nothing after it qualifies it."""
    noun = match["noun"]
    bare_last = re.fullmatch(r"last", match["ordinals"])
    if bare_last and noun not in {None, "one", "ones"}:
        return False  # "the last email" is the latest one
    if not match["det"] and noun not in {"one", "ones"}:
        return False
    before, tail = text[: match.start()], text[match.end() :]
    if _DATE_BEFORE_PICK.search(before) and noun is None:
        return False
    if re.search(r"\bto\s+$", before) and noun is None and _MOVE_CONTEXT.search(text):
        return False
    if _PICK_TAIL.match(tail):
        return True
    return bool(_PICK_TO_TAIL.match(tail) and _SENDING_VERB.search(text))


def _pick_spans(text: str) -> list[tuple[tuple[int, int], list[int]]]:
    spans: list[tuple[tuple[int, int], list[int]]] = []
    for match in _PICK.finditer(text):
        if match["ordinals"] and _pick_allowed(text, match):
            positions = _pick_positions(match)
            if positions:
                spans.append(((match.start("ordinals"), match.end()), positions))
    for match in _NUMBERED_PICK.finditer(text):
        if re.match(r"\s*of\b", text[match.end() :]):
            continue
        numbers = [int(n) for n in re.findall(r"\d+", match["numbers"]) if int(n) > 0]
        if numbers:
            spans.append(((match.start(), match.end()), numbers))
    return spans


def picks(text: str) -> list[int]:
    """Positions (1-based, -1 the last) in the previous answer: 'the second and the fourth' -> [2, 4]."""
    prepared = _prepare(text)
    positions: list[int] = []
    for _span, found in sorted(_pick_spans(prepared)):
        positions.extend(p for p in found if p not in positions)
    return positions


# ---------------------------------------------------------------- order, count, every


@dataclass(frozen=True)
class SelectionCue:
    """How the items are ordered, how many are meant, and whether all matching ones are."""

    order: Order = "relevance"
    count: int | None = None
    every: bool = False


_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_TIME_UNITS = (
    rf"weeks?|weekends?|months?|years?|quarters?|days?|nights?|mornings?|afternoons?|evenings?|hours?|minutes?|"
    rf"summer|winter|spring|fall|autumn|{_WEEKDAYS}|{_MONTHS}|page|steps?|name|chance|resort|half"
)
#: "next week", "last 3 days", "the last-minute", "next page": time phrases and idioms, not an order.
_CUE_TIME_AFTER = re.compile(rf"^(?:\s+(?:{_COUNT}|few|couple(?:\s+of)?))?[\s-]+(?:{_TIME_UNITS})\b")
#: "first free hour", "next available slot": free time is asked differently.
_CUE_FREE_AFTER = re.compile(
    r"^(?:\s+\w+)?\s+(?:free|available|open|opening|openings|slots?|gaps?|window|availability)\b"
    r"|^\s+time\s+(?:i'm|i\s+am|we're|we\s+are|i|we|you're|you\s+are|he|she|they)\s+(?:free|available)\b"
)
#: "first thing tomorrow", "the first of December", "first of all": a time or an idiom.
_FIRST_IDIOM_AFTER = re.compile(
    r"^\s+(?:of|thing\s+(?:in|on|tomorrow|today|tonight|next|this|monday|tuesday|"
    r"wednesday|thursday|friday)\b)"
)
_CUE_IDIOM_BEFORE = re.compile(r"\bat\s+(?:the\s+)?$|\bnext\s+to\s+$|\b(?:second|next)\s+(?:to\s+)?$")
#: A verb a trailing 'last'/'first' can end ('which one came first', 'the email I sent last').
_TRAILING_CUE_VERB = re.compile(
    r"\b(?:sent|send|received|arrived|came(?:\s+in)?|emailed|modified|edited|updated|created|opened|uploaded|"
    r"shared|added|scheduled|booked|happened|replied|wrote)\s+$"
)
#: "did I last send", "when Tom last emailed": 'last' as an adverb of the most recent time.
_LAST_ADVERB = re.compile(
    r"\blast\s+(?:sent|send|emailed|email|wrote|write|met|meet|spoke|speak|talked|talk|heard|saw|see|replied|reply|"
    r"messaged|contacted|updated|edited|modified|opened|changed|had)\b"
)
_ORDER_CUES: list[tuple[Order, re.Pattern[str], bool]] = [
    # (order, cue, strong: a singular default count even with no noun after)
    ("next", re.compile(r"\b(?:next|nxt|soonest)\b"), True),
    ("next", re.compile(r"\b(?:upcoming|upcomming|coming\s+up)\b"), False),
    ("latest", re.compile(r"\b(?:latest|lastest|latets|newest|most\s+recent(?:ly)?|last|previous|prior)\b"), True),
    ("latest", re.compile(r"\brecent\b"), False),
    ("earliest", re.compile(r"\b(?:earliest|oldest|first)\b"), True),
]
_STOP_AFTER_CUE = frozenset(
    "from with to about on in at for by that which who whom i and or this next tomorrow today yesterday tonight "
    "sent received he she they we you is was are were did do does has have me my ? . , ! ; :".split()
)
_TOP_COUNT = re.compile(rf"\btop\s+(?P<n>{_COUNT})")
_COUPLE = re.compile(
    r"\b(?:a\s+)?(?:couple|pair)(?:\s+of)?\s+(?!(?:of\s+)?(?:days|weeks|months|hours|minutes|years)\b)\w"
)
_NUMBERED_ITEMS = re.compile(
    rf"(?<![\w:./$-])(?<!\bat\s)(?P<n>{_COUNT})\s+"
    rf"(?:(?!(?:hours?|hrs?|minutes?|mins?|days?|weeks?|am|pm)\b)\w+\s+)?(?:{_ITEM_NOUN})(?![\w:-])"
)


@dataclass(frozen=True)
class _Cue:
    order: Order
    start: int
    end: int
    strong: bool


def _cue_valid(text: str, match: re.Match[str]) -> bool:
    word, before, after = match[0], text[: match.start()], text[match.end() :]
    if _CUE_TIME_AFTER.match(after) or _CUE_FREE_AFTER.match(after) or _CUE_IDIOM_BEFORE.search(before):
        return False
    if word in {"first", "last"} and _FIRST_IDIOM_AFTER.match(after):
        return False
    if word in {"last", "first"} and re.match(r"\s*(?:$|[.,!?;:])", after):
        return bool(_TRAILING_CUE_VERB.search(before))
    return True


def _order_cue(text: str) -> _Cue | None:
    cues: list[_Cue] = []
    for order, pattern, strong in _ORDER_CUES:
        for match in pattern.finditer(text):
            if _cue_valid(text, match):
                cues.append(_Cue(order, match.start(), match.end(), strong))
    return min(cues, key=lambda c: c.start) if cues else None


def _number_near_cue(text: str, cue: _Cue) -> int | None:
    after = re.match(rf"\s+(?P<n>{_COUNT}|(?:a\s+)?couple(?:\s+of)?)\b", text[cue.end :])
    before = re.search(rf"(?<![\w:./-])(?P<n>{_COUNT})\s+$", text[: cue.start])
    for match in (after, before):
        if match:
            return 2 if "couple" in match["n"] else _count_value(match["n"])
    return None


def _singular_default(text: str, cue: _Cue) -> int | None:
    """1 when the noun after the cue is singular ('my next 1:1'), None when plural ('upcoming meetings')."""
    if _LAST_ADVERB.match(text, cue.start):
        return 1
    if re.match(r"\s+(?:first|on top|at the top)\b", text[cue.end :]):
        return None  # "Sarah's emails, newest first": a sort, not one of them
    seen: list[str] = []
    for token in re.findall(r"[\w:'-]+|[^\w\s]", text[cue.end :])[:4]:
        if token in {"few", "several", "many"}:
            return None
        if token in _STOP_AFTER_CUE:
            break
        if token in _SINGULAR_NOUNS:
            return 1
        if token in _PLURAL_NOUNS:
            return None
        seen.append(token)
    if seen:
        return None if _looks_plural(seen[-1]) else 1
    return 1 if cue.strong else None


def _count(text: str, cue: _Cue | None) -> int | None:
    if cue is not None:
        near = _number_near_cue(text, cue)
        if near is not None:
            return near
    if top := _TOP_COUNT.search(text):
        return _count_value(top["n"])
    if _COUPLE.search(text):
        return 2
    if numbered := _NUMBERED_ITEMS.search(text):
        return _count_value(numbered["n"])
    return _singular_default(text, cue) if cue is not None else None


#: "all", "every", "everything", "each" meaning all the matching items.
_EVERY = re.compile(r"\b(?:all|every|evry|evey|everything|evrything|each)\b")
_EVERY_NOT_AFTER = re.compile(
    rf"^(?:[\s-]+(?:other\s+)?(?:\d+\s+)?(?:{_TIME_UNITS}|day|weekday|weekdays|hands|right|set|good|done|clear|caps|"
    r"along|over|in\s+all|the\s+time|at\s+once|now\s+and\s+then|time|other|single\s+(?:day|week|time)))\b"
)
_EVERY_NOT_BEFORE = re.compile(
    r"\b(?:is\s+that|that's|thats|that\s+is|at|after|first\s+of|above|not\s+at|once\s+and\s+for|in)\s+$"
)


def _every(text: str) -> bool:
    for match in _EVERY.finditer(text):
        before, after = text[: match.start()], text[match.end() :]
        if match[0] != "everything" and _EVERY_NOT_AFTER.match(after):
            continue
        if _EVERY_NOT_BEFORE.search(before):
            continue
        return True
    return False


def selection_order(text: str) -> SelectionCue:
    """The order ('next', 'latest', 'earliest' or 'relevance'), count and 'all' of the items meant.

    Ordinals that pick from a previous answer ('the last one') and the words of a series
    ('every occurrence') are not read here: see `picks` and `series_scope`.
    """
    prepared = _prepare(text)
    prepared = _blank(prepared, [span for span, _ in _pick_spans(prepared)])
    prepared = _blank(prepared, _series_spans(prepared))
    cue = _order_cue(prepared)
    order: Order = cue.order if cue is not None else "relevance"
    return SelectionCue(order=order, count=_count(prepared, cue), every=_every(prepared))


# ---------------------------------------------------------------- series

_SERIES_NOUNS = r"(?:occurrences?|instances?|ones|sessions?|events|meetings|recurrences?)"
#: "all future occurrences", "this and all following", "from now on", "going forward".
_SERIES_FOLLOWING = re.compile(
    rf"\b(?:all\s+(?:of\s+them\s+)?)?(?:the\s+)?(?:future|following|subsequent|remaining|later)\s+{_SERIES_NOUNS}\b"
    r"|\ball\s+(?:the\s+)?(?:future|following|subsequent)(?:\s+ones)?\b"
    r"|\bthis\s+(?:one\s+)?and\s+(?:all\s+)?(?:the\s+)?(?:following|future|subsequent|later)"
    rf"(?:\s+{_SERIES_NOUNS})?\b"
    r"|\b(?:all\s+of\s+them\s+)?(?:from\s+now\s+on|going\s+forward|from\s+(?:here|then|this\s+(?:one|week|point))"
    r"\s+on(?:wards?)?|henceforth)\b"
    r"|\bonwards?\b"
)
#: "the whole series", "cancel the series", "every occurrence", "all occurrences".
_SERIES_ALL = re.compile(
    r"\b(?:the\s+|this\s+|that\s+)?(?:(?:whole|entire|full)\s+)?(?:recurring\s+)?series\b"
    r"|\b(?:every|each)\s+(?:single\s+)?(?:occurrence|instance|recurrence|session)\b"
    r"|\ball\s+(?:of\s+)?(?:the\s+|its\s+)?(?:occurrences|instances|recurrences|sessions)\b"
    r"|\baltogether\b"
)


def _series_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for pattern in (_SERIES_FOLLOWING, _SERIES_ALL) for m in pattern.finditer(text)]


def series_scope(text: str) -> Series:
    """Which occurrences of a recurring event: 'following' ('from now on'), 'all' ('the series'), else 'one'."""
    prepared = _prepare(text)
    if _SERIES_FOLLOWING.search(prepared):
        return "following"
    if _SERIES_ALL.search(prepared):
        return "all"
    return "one"


# ---------------------------------------------------------------- mail flags


@dataclass(frozen=True)
class MailFlags:
    unread: bool = False
    starred: bool = False
    has_attachment: bool = False
    sent_by_me: bool = False
    received: bool = False


_UNREAD = re.compile(
    r"\b(?:unread|unopened|unseen)\b"
    r"|\b(?:haven't|have\s+not|havent|hadn't|didn't|did\s+not|not\s+yet|not|never)\s+(?:yet\s+|even\s+)?"
    r"(?:read|opened|open|seen|looked\s+at)\b"
)
_MARK_UNREAD = re.compile(r"\bas\s+unread\b")
_STARRED = re.compile(r"\b(?:starr?ed|flagged)\b|\b(?:did|have|had)\s+i\s+(?:ever\s+)?star\b|\bi\s+star\b")
_NOT_STARRED = re.compile(r"\b(?:not|n't|as)\s+(?:starr?ed|flagged)\b")
_ATTACHMENT = re.compile(r"\battachments?\b|\battached\b")
_NOT_ATTACHMENT = re.compile(
    r"\b(?:as\s+(?:an?\s+)?attachment|without\s+(?:an?\s+|any\s+)?attachments?|no\s+attachments?)\b"
)
_SENT_BY_ME = re.compile(
    r"\b(?:i|i've|i\s+have|i\s+had|i'd)\s+(?:already\s+|just\s+|last\s+|recently\s+|ever\s+|once\s+)?"
    r"(?:sent|wrote|written|emailed|mailed|forwarded|messaged)\b"
    r"|\bsent\s+by\s+me\b|\bfrom\s+me\b|\bmy\s+sent\b|\bsent\s+(?:mail|items|folder|box)\b"
    r"|\b(?:did|have|had)\s+i\s+(?:ever\s+|already\s+|last\s+|recently\s+|just\s+)?"
    r"(?:send|sent|email|emailed|write|written|reply|replied|forward|forwarded|message|messaged|mail|mailed)\b"
)
#: Mail come to the user: "emails I got", "invoices that came in", "attachments I've received".
_RECEIVED = re.compile(
    r"\b(?:i|i've|i\s+have|i\s+had)\s+(?:got|gotten|get|received|receive)\b"
    r"|\b(?:came|come|coming)\s+in\b|\bincoming\b|\breceived\b"
)
#: "my last email to Tom", "my latest email to Sarah", "my reply to Dana": mail the user sent,
#: when looked up (in "forward my email to Tom", "to Tom" is where it goes).
_MY_MAIL_TO = re.compile(
    r"\bmy\s+(?:(?:last|latest|lastest|most\s+recent|recent|previous|first|earlier|newest|oldest)\s+)?"
    r"(?:emails?|messages?|mails?|reply|replies|notes?)\s+to\b"
)


def mail_flags(text: str, *, lookup: bool = True) -> MailFlags:
    """Unread, starred, with attachments, sent by the user, as the words say.

    `lookup`: the request looks mail up (a find), so "my email to Tom" is mail the user
    sent; pass False for a forward or send, where "to Tom" says where the mail goes.
    """
    prepared = _prepare(text)
    sent = bool(_SENT_BY_ME.search(prepared)) or (lookup and bool(_MY_MAIL_TO.search(prepared)))
    return MailFlags(
        unread=bool(_UNREAD.search(prepared)) and not _MARK_UNREAD.search(prepared),
        starred=bool(_STARRED.search(prepared)) and not _NOT_STARRED.search(prepared),
        has_attachment=bool(_ATTACHMENT.search(prepared)) and not _NOT_ATTACHMENT.search(prepared),
        sent_by_me=sent,
        received=not sent and bool(_RECEIVED.search(prepared)),
    )


# ---------------------------------------------------------------- what the answer must say

#: Openings that carry no question: politeness, "tell me", "check".
_LEAD_IN = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|so|and|also|quick\s+question|um|uh|please|pls|plz|kindly|"
    r"(?:could|can|would|will)\s+(?:you|u)(?:\s+please)?(?:\s+(?:tell|show)\s+me)?|would\s+you\s+mind|"
    r"do\s+you\s+know|(?:please\s+)?tell\s+me|let\s+me\s+know|i\s+(?:want|need|'d\s+like|would\s+like)\s+to\s+know|"
    r"i\s+wonder|i\s+was\s+wondering|check|find\s+out|see|"
    r"remind\s+me(?:\s+of)?(?=\s+(?:when|who|whom|what|where|which|how)\b))\b[\s,:;!-]*)+"
)
_CONTENT_ASK = re.compile(
    r"^read\b|(?<!\bi )\bread\s+(?:me|it|out|aloud|them)\b"
    r"|\b(?:full|whole|entire|complete)\s+(?:text|email|message|body|content|thing)\b"
    r"|\bword\s+for\s+word\b|\bverbatim\b|\bexact\s+(?:wording|words|text)\b|\bwhat\s+exactly\b"
)
_SUMMARY_ASK = re.compile(
    r"\b(?:summari[sz](?:e|ed|ing)|summary|summery|summarize|sum\s+(?:it\s+)?up|tl;?\s?dr|tldr|brief\s+me|recap|gist)\b"
    r"|\bwhat\s+(?:does|did|do)\s+.{1,80}?\s+(?:say|said|mention|talk\s+about|cover)\b"
    r"|\bwhat(?:'s|\s+is|\s+was)\s+(?:it|that|this|the\s+\w+(?:\s+\w+)?)\s+about\b"
)
#: How much an item is for: "how much was the September one?", "the amount on the invoice".
_AMOUNT_ASK = re.compile(
    r"\bh(?:o)?w\s+much\b|\b(?:the\s+)?(?:amount|total|price|cost|sum)\s+(?:on|of|due|for|was|is)\b"
    r"|\bwhat\s+(?:did|does|do)\s+(?:it|they|\w+)\s+cost\b"
)
_COUNT_ASK = re.compile(
    r"\bhow\s+many\b|\bhow\s+much\s+(?:e?mail|email)\b|\bcount\b|\bnumber\s+of\b|\btotal\s+number\b"
)
_ACCESS_ASK = [
    re.compile(r"\bwho(?:\s+else)?\s+(?:has|have|had|'s\s+got|has\s+got|got|can\s+get|still\s+has)\s+access\b"),
    re.compile(
        r"\bwho(?:\s+else)?\s+(?:can|could|is\s+able\s+to)\s+(?:edit|see|view|open|access|read|comment|modify|change)\b"
    ),
    re.compile(r"\bshared\s+with\s+whom\b|\bwho(?:m)?(?:'s|\s+is|\s+are|\s+was|\s+has)\s+.{0,60}?\bshared\s+with\b"),
    re.compile(r"^(?:if\s+|whether\s+)?(?:is|was|are|has|have|isn't|hasn't)\s+(?!there\b).{0,80}?\bshared\s+with\b"),
    re.compile(
        r"\b(?:does|do|did|has|have)\s+\S+(?:\s+\S+){0,3}?\s+(?:still\s+)?(?:got\s+|have\s+|has\s+)?"
        r"(?:edit\s+|view\s+|comment\s+|read\s+|write\s+)?(?:access|acc?ess?)\b"
    ),
    re.compile(r"\b(?:does|do|has|have)\s+\S+(?:\s+\S+)?\s+(?:have|got)\s+.{0,60}?\bshared\b"),
    re.compile(r"\b(?:can|could)\s+(?!i\b|you\b|u\b|we\b)\w+\s+(?:open|edit|see|view|access|read|comment\s+on)\b"),
    re.compile(r"\b(?:access\s+(?:list|rights|permissions?)|permissions|sharing\s+settings)\b"),
    # The user's own: "can I make changes to the plan?", "whether I'm able to edit it".
    re.compile(r"\b(?:can|could|may)\s+i\s+(?:edit|make\s+(?:changes|edits)\s+(?:to|in)|comment\s+on)\b"),
    re.compile(r"\b(?:i'm|i\s+am|am\s+i)\s+(?:able|allowed)\s+to\s+(?:edit|view|see|open|comment|access|make)\b"),
    # "whether the one-pager has been shared with Daniel", "whether Marco has access to the PRD".
    re.compile(r"^(?:if|whether)\s+.{0,80}?\b(?:is|was|are|has|have)\s+(?:been\s+|already\s+)?shared\b"),
    re.compile(r"^(?:if|whether)\s+\S+(?:\s+\S+)?\s+(?:has|have|had|still\s+has)\s+(?:\w+\s+)?access\b"),
    # "what access does Sarah have", "is Sarah Chen an editor on the sheet?"
    re.compile(r"\bwhat\s+(?:kind\s+of\s+|sort\s+of\s+|level\s+of\s+)?(?:access|permissions?|rights)\b"),
    re.compile(r"^(?:is|are|was|am)\s+.{1,40}?\s+an?\s+(?:editor|viewer|commenter)\s+(?:on|of|for)\b"),
]
_WHEN_ASK = re.compile(
    r"^(?:when|whens|when's)\b|\b(?:what|which)\s+(?:time|day|date)\b|\bat\s+what\s+time\b|\bhow\s+soon\b"
    r"|^(?:the\s+)?(?:date|day|time)\s+of\b|[,;:\u2013-]\s*(?:and\s+)?when\s+(?:was|is|were|did|does|do)\b"
    # A question after its subject: "Greenleaf call: when and who", "brightwave call - when + with who".
    r"|\bwhen\s*(?:\?|$|,|&|\+|and\s+(?:with\s+)?who)"
)
_WHERE_ASK = re.compile(
    r"^(?:where|wheres|where's)\b|\bwhere(?:'s|\s+is|\s+was|\s+will)\b"
    r"|\bwhat(?:'s|\s+is)\s+the\s+(?:location|address|venue|room)\b|\bwhich\s+room\b"
)
_WHO_ASK = re.compile(
    r"^(?:who|who's|whos|whom)\b"
    r"|\bwho(?:'s|\s+is|\s+are|\s+was|\s+were|\s+will\s+be|\s+else)?\s+(?:coming|attending|invited|going|joining|"
    r"organi[sz]\w*|set\s+up|setting\s+up|running|hosting|presenting|leading|the\s+organi[sz]er|sent|emailed|"
    r"booked|created|scheduled)\b"
    # After its subject: "the contract draft - who's it from?", "the Q3 deck: from whom?".
    r"|\bwho(?:'s|s|\s+is|\s+was)?\s+it\s+from\b|\bfrom\s+whom?\b|[:,+\u2013-]\s*who\s*(?:\?|$)"
)
_YES_NO_ASK = re.compile(
    r"^(?:if|whether|is|isn't|are|aren't|was|wasn't|were|weren't|does|doesn't|did|didn't|has|hasn't|had|am|"
    r"can|could|will|would|should|shall|may|might)\b"
    r"|^(?:do|don't|have|haven't)\s+(?:i|we|you|they)\b"
)
_REQUEST_NOT_QUESTION = re.compile(r"^(?:can|could|may|will|would)\s+(?:i|we)\s+(?:see|get|have|look|view|check)\b")


def _question(text: str) -> str:
    """The request without its polite or reporting opening."""
    return _LEAD_IN.sub("", _prepare(text)).strip()


def ask_kind(text: str) -> Ask:
    """What the answer must say: 'count', 'when', 'who', 'where', 'yes_no', 'summary', 'access', 'content',
    'amount' or 'list'."""
    question = _question(text)
    if _CONTENT_ASK.search(question):
        return "content"
    if _SUMMARY_ASK.search(question):
        return "summary"
    if _COUNT_ASK.search(question):
        return "count"
    if any(pattern.search(question) for pattern in _ACCESS_ASK):
        return "access"
    if _WHEN_ASK.search(question):
        return "when"
    if _WHERE_ASK.search(question):
        return "where"
    if _WHO_ASK.search(question):
        return "who"
    if _AMOUNT_ASK.search(question):
        return "amount"
    if _YES_NO_ASK.search(question) and not _REQUEST_NOT_QUESTION.search(question):
        return "yes_no"
    return "list"
