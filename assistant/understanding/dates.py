"""Date and time phrases resolved to absolute [start, end) ranges in the user's time zone.

Ranges are what a search or a new event needs, and `dateparser` returns points: so the
relative ranges people say ("this week", "last month", "next tuesday afternoon", "the
weekend", "in 3 days", "before my flight") are our rules, and `dateparser` (chosen for its
well-tested absolute formats: "march 3rd", "3/4/2026", "dec 25 at 10") handles whatever
the rules do not. Weeks start on Monday. Number words ("nine p. m.", "the twenty first")
are read as digits first, since speech transcripts spell them out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo

from assistant.understanding.features import normalise
from assistant.understanding.schema import TimeRange

# Given the words after "before my"/"after the", the start of that event (or None).
AnchorLookup = Callable[[str], datetime | None]

_UNITS = {
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
    "a": 1,
    "an": 1,
    "couple": 2,
    "few": 3,
}
_ORDINALS = {
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
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
WEEKDAY_INDEX = {
    name: i
    for i, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
DAY_PARTS: dict[str, tuple[int, int]] = {
    "morning": (6, 12),
    "noon": (12, 13),
    "lunch": (12, 14),
    "lunchtime": (12, 14),
    "afternoon": (12, 17),
    "evening": (17, 21),
    "tonight": (18, 24),
    "night": (18, 24),
}
EVENT_DURATION = timedelta(hours=1)


def words_to_digits(text: str) -> str:
    """'twenty second' -> '22nd', 'nine pm' -> '9 pm', 'three days' -> '3 days'."""

    def compound(match: re.Match[str]) -> str:
        tens, unit = _TENS[match.group(1)], match.group(2)
        if unit in _ORDINALS:
            return _ordinal_text(tens + _ORDINALS[unit])
        return str(tens + _UNITS[unit])

    units = "|".join(w for w in _UNITS if len(w) > 2)
    ordinals = "|".join(_ORDINALS)
    teens = "|".join(w for w, n in _UNITS.items() if 10 <= n <= 19)
    # Years: "twenty seventeen" -> 2017, "twenty twenty six" -> 2026.
    text = re.sub(rf"\btwenty ({teens})\b", lambda m: str(2000 + _UNITS[m.group(1)]), text)
    text = re.sub(
        rf"\btwenty twenty(?: ({units}))?\b",
        lambda m: str(2020 + (_UNITS[m.group(1)] if m.group(1) else 0)),
        text,
    )
    text = re.sub(rf"\b({'|'.join(_TENS)})[ -]({units}|{ordinals})\b", compound, text)
    text = re.sub(
        rf"\b({ordinals})\b(?= (?:of|day|week)|$| \w+ \d{{4}})", lambda m: _ordinal_text(_ORDINALS[m.group(1)]), text
    )
    text = re.sub(rf"\bthe ({ordinals})\b", lambda m: "the " + _ordinal_text(_ORDINALS[m.group(1)]), text)
    text = re.sub(rf"\b({'|'.join(_TENS)})\b", lambda m: str(_TENS[m.group(1)]), text)
    return re.sub(rf"\b({units})\b", lambda m: str(_UNITS[m.group(1)]), text)


def _ordinal_text(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _day_range(first: date, days: int, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time(), tz)
    return start, datetime.combine(first + timedelta(days=days), time(), tz)


def _month_start(year: int, month: int) -> date:
    year += (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def _relative_days(text: str, today: date, tz: tzinfo) -> tuple[datetime, datetime] | None:
    """Ranges of whole days named relative to today, or None."""
    monday = today - timedelta(days=today.weekday())
    fixed = {
        "today": (today, 1),
        "tonight": (today, 1),
        "tomorrow": (today + timedelta(days=1), 1),
        "day after tomorrow": (today + timedelta(days=2), 1),
        "yesterday": (today - timedelta(days=1), 1),
        "day before yesterday": (today - timedelta(days=2), 1),
        "this week": (monday, 7),
        "next week": (monday + timedelta(days=7), 7),
        "last week": (monday - timedelta(days=7), 7),
        "past week": (today - timedelta(days=7), 8),
        "this weekend": (monday + timedelta(days=5), 2),
        "weekend": (monday + timedelta(days=5), 2),
        "next weekend": (monday + timedelta(days=12), 2),
        "last weekend": (monday - timedelta(days=2), 2),
    }
    for phrase in sorted(fixed, key=len, reverse=True):
        if re.search(rf"\b{phrase}\b", text):
            first, days = fixed[phrase]
            return _day_range(first, days, tz)
    month = re.search(r"\b(this|next|last|past) month\b", text)
    if month:
        if month.group(1) == "past":
            return _day_range(today - timedelta(days=30), 31, tz)
        offset = {"this": 0, "next": 1, "last": -1}[month.group(1)]
        first = _month_start(today.year, today.month + offset)
        return _day_range(first, (_month_start(first.year, first.month + 1) - first).days, tz)
    year = re.search(r"\b(this|next|last) year\b", text)
    if year:
        y = today.year + {"this": 0, "next": 1, "last": -1}[year.group(1)]
        return _day_range(date(y, 1, 1), (date(y + 1, 1, 1) - date(y, 1, 1)).days, tz)
    span = re.search(r"\b(?:in|within|over|for)? ?(?:the )?(next|coming|past|last) (\d+) (day|week|month)s?\b", text)
    if span:
        days = int(span.group(2)) * {"day": 1, "week": 7, "month": 30}[span.group(3)]
        if span.group(1) in {"next", "coming"}:
            return _day_range(today, days + 1, tz)
        return _day_range(today - timedelta(days=days), days + 1, tz)
    shift = re.search(r"\bin (\d+) (day|week|month)s?\b|\b(\d+) (day|week|month)s? (ago|from now)\b", text)
    if shift:
        count, unit = (shift.group(1), shift.group(2)) if shift.group(1) else (shift.group(3), shift.group(4))
        days = int(count) * {"day": 1, "week": 7, "month": 30}[unit]
        sign = -1 if shift.group(5) == "ago" else 1
        return _day_range(today + timedelta(days=sign * days), 1, tz)
    weekday = re.search(rf"\b(?:(this|next|last|coming|on) )?({'|'.join(WEEKDAY_INDEX)})s?\b", text)
    if weekday:
        target = WEEKDAY_INDEX[weekday.group(2)]
        ahead = (target - today.weekday()) % 7
        if weekday.group(1) == "last":
            back = (today.weekday() - target) % 7 or 7
            return _day_range(today - timedelta(days=back), 1, tz)
        if weekday.group(1) == "next" and ahead == 0:
            ahead = 7
        return _day_range(today + timedelta(days=ahead), 1, tz)
    if re.search(r"\b(upcoming|coming up|soon|next few days)\b", text):
        return _day_range(today, 8, tz)
    return None


def _day_of_month(text: str, today: date, tz: tzinfo) -> tuple[datetime, datetime] | None:
    """'the 14th' (no month named): that day of this month, or of next month if past."""
    match = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)\b(?! of| \w+ \d)", text)
    if not match or re.search(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", text):
        return None
    day = int(match.group(1))
    first = today.replace(day=1)
    for month_start in (first, _month_start(first.year, first.month + 1)):
        try:
            candidate = month_start.replace(day=day)
        except ValueError:
            continue
        if candidate >= today:
            return _day_range(candidate, 1, tz)
    return None


def _clock_time(text: str) -> time | None:
    """'3pm', '3:30 pm', '15:00', 'at 9', 'noon', 'midnight'."""
    if re.search(r"\bnoon\b", text):
        return time(12)
    if re.search(r"\bmidnight\b", text):
        return time(0)
    if match := re.search(r"\b(\d{1,2})(?::(\d{2}))? ?(am|pm)\b", text):
        hour = int(match.group(1)) % 12 + (12 if match.group(3) == "pm" else 0)
        minute = int(match.group(2) or 0)
    elif match := re.search(r"\b(\d{1,2}):(\d{2})\b", text):
        hour, minute = int(match.group(1)), int(match.group(2))
    elif match := re.search(r"\bat (\d{1,2})\b(?! ?(?:st|nd|rd|th))", text):
        hour, minute = int(match.group(1)), 0
        if 1 <= hour <= 7:  # "at 3" means the afternoon, not three in the morning
            hour += 12
    else:
        return None
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _day_part(text: str) -> tuple[int, int] | None:
    for word, hours in DAY_PARTS.items():
        if re.search(rf"\b{word}\b", text):
            return hours
    return None


def _parse_absolute(text: str, now: datetime) -> datetime | None:
    import dateparser  # deferred: 23 ms at the chat app's start, for the phrases our rules miss

    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "TIMEZONE": str(now.tzinfo),
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DAY_OF_MONTH": "first",
    }
    cleaned = re.sub(r"\b(on|the|of|at|for|by|from|until|in|this|coming)\b", " ", text)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    # Only what names a day: a month, a numeric date or a year (bare clock times are ours).
    if not re.search(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|\d+[/.-]\d+|\b\d{4}\b", cleaned):
        return None
    parsed = dateparser.parse(cleaned, languages=["en"], settings=settings)
    return parsed.astimezone(now.tzinfo) if parsed else None


def _anchor(text: str, now: datetime, lookup: AnchorLookup | None) -> tuple[datetime, datetime] | None:
    """'before my flight' -> now until the flight; 'after the offsite' -> from its start."""
    match = re.search(r"\b(before|until|after) (?:my|the|our) (.+)$", text)
    if not match or lookup is None:
        return None
    anchor = lookup(match.group(2))
    if anchor is None:
        return None
    if match.group(1) == "after":
        return anchor, anchor + timedelta(days=7)
    return (min(now, anchor), anchor)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_ALONE = re.compile(
    r"^(?:(?:in|during|from|for|of|over) )?(?:the month of )?"
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)$"
)
#: "before September", "since Monday", "until the 14th": one side open.
_OPEN = re.compile(r"^(?:from |dated |sent )?(before|until|till|prior to|older than|after|since|newer than) (.+)$")
#: How far back "before ..." reaches: further than any mailbox this product has seen.
FAR_BACK = timedelta(days=365 * 30)


def _month_alone(text: str, today: date, tz: tzinfo) -> tuple[datetime, datetime] | None:
    """A month named alone ("September", "in January"): its occurrence nearest to today,
    so mail "from September" is the last one and a trip "in January" the next one."""
    match = _MONTH_ALONE.match(text.strip())
    if not match:
        return None
    month = _MONTHS.index(match.group(1)[:3]) + 1

    def distance(year: int) -> int:
        first = _month_start(year, month)
        last = _month_start(year, month + 1) - timedelta(days=1)
        return 0 if first <= today <= last else min(abs((first - today).days), abs((last - today).days))

    year = min((today.year - 1, today.year, today.year + 1), key=distance)
    first = _month_start(year, month)
    return _day_range(first, (_month_start(year, month + 1) - first).days, tz)


#: Two months and what lies between: "July and August", "from July to September".
_MONTHS_SPAN = re.compile(
    r"^(?:(?:from|between|in|during|over)\s+)?(?P<first>(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)"
    r"\s*(?:and|to|through|thru|till|until|-|\u2013)\s*(?P<last>(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)$"
)


def months_span(text: str) -> bool:
    """Whether `text` is two months and what lies between ("July and August")."""
    return _MONTHS_SPAN.match(text.strip()) is not None


def _months_span(text: str, today: date, tz: tzinfo) -> tuple[datetime, datetime] | None:
    """ "July and August": from the first's start to the last's end, each placed as a
    month named alone is (the occurrence nearest to today)."""
    match = _MONTHS_SPAN.match(text.strip())
    if not match:
        return None
    first, last = _month_alone(match.group("first"), today, tz), _month_alone(match.group("last"), today, tz)
    if first is None or last is None:
        return None
    if last[0] < first[0]:  # "November to January": the January after
        following = _month_start(first[0].year + 1, last[0].month)
        return first[0], _day_range(_month_start(following.year, following.month + 1), 1, tz)[0]
    return first[0], last[1]


def _open_range(phrase: str, text: str, now: datetime, anchors: AnchorLookup | None) -> TimeRange | None:
    """ "before September" is everything until September begins; "since Monday" from that
    Monday (the last one) until now."""
    match = _OPEN.match(text.strip())
    if not match or re.match(r"(?:my|the|our) ", match.group(2)) and anchors is not None:
        return None  # "before my flight": an event's time, read by `_anchor`
    side = resolve_when(match.group(2), now, anchors=anchors)
    if side is None:
        return None
    if match.group(1) in ("before", "until", "till", "prior to", "older than"):
        start = side.start
        named_month = re.search(rf"\b(?:{'|'.join(_MONTHS)})", match.group(2))
        if start > now and named_month and not re.search(r"\b\d{4}\b", match.group(2)):
            start = start.replace(year=start.year - 1)  # "before 1 September": the last one
        if start > now:
            return TimeRange(text=phrase, start=now, end=start)  # "until Friday": from now
        return TimeRange(text=phrase, start=start - FAR_BACK, end=start)
    if match.group(1) in ("since", "newer than"):
        start = side.start if side.start <= now else side.start - timedelta(days=7)
        return TimeRange(text=phrase, start=start, end=now)
    return TimeRange(text=phrase, start=side.end, end=side.end + timedelta(days=365))  # "after September"


_STEP_FROM = re.compile(r"^the (day|week|month|year) (after|before) (?!that\b)(.+)$", re.IGNORECASE)


def _stepped_from(phrase: str, now: datetime, anchors: AnchorLookup | None, is_new_event: bool) -> TimeRange | None:
    """ "the week after next week": the week after the one "next week" is; "the month
    before last month" the month before. ("the day after tomorrow" is read as itself.)"""
    match = _STEP_FROM.match(phrase.strip())
    if match is None or match.group(3).strip().lower() in ("tomorrow", "today", "yesterday"):
        return None
    base = resolve_when(match.group(3), now, anchors=anchors, is_new_event=is_new_event)
    if base is None:
        return None
    sign = 1 if match.group(2).lower() == "after" else -1
    unit = match.group(1).lower()
    if unit in ("day", "week"):
        shift = timedelta(days=sign * (1 if unit == "day" else 7))
        return TimeRange(text=phrase, start=base.start + shift, end=base.end + shift)
    months = sign * (12 if unit == "year" else 1)
    start = _months_on(base.start, months)
    return TimeRange(text=phrase, start=start, end=_months_on(start, 12 if unit == "year" else 1))


def _months_on(moment: datetime, months: int) -> datetime:
    """The first of the month `months` after (before, when negative) `moment`'s month."""
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1, day=1)


#: A day given as a date: "11 December", "December 11th", "the 4th".
_A_DATE = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{1,2}(?:st|nd|rd|th)?\b"
    r"|\bthe\s+\d{1,2}(?:st|nd|rd|th)\b"
)


def resolve_when(
    phrase: str, now: datetime, *, anchors: AnchorLookup | None = None, is_new_event: bool = False
) -> TimeRange | None:
    """The range a phrase means, seen from `now` (aware, in the user's time zone).

    `is_new_event`: a clock time starts a one-hour event instead of narrowing a search
    to that hour's neighbourhood; both give [time, time + 1h).
    """
    tz = now.tzinfo
    if tz is None:
        raise ValueError("now must carry a time zone")
    if (stepped := _stepped_from(phrase, now, anchors, is_new_event)) is not None:
        return stepped
    text = words_to_digits(normalise(phrase))
    if _A_DATE.search(text):
        # "Friday 11 December", "Friday the 4th": the date says which day; the weekday
        # only names it (and a wrong one must not move it to another week).
        text = re.sub(rf"\b(?:(?:this|next|coming|on)\s+)?(?:{'|'.join(WEEKDAY_INDEX)})s?\b,?", " ", text)
    today = now.date()
    if (months := _months_span(text, today, tz)) is not None:
        return TimeRange(text=phrase, start=months[0], end=months[1])
    if (bounded := _open_range(phrase, text, now, anchors)) is not None:
        return bounded
    if (month := _month_alone(text, today, tz)) is not None:
        return TimeRange(text=phrase, start=month[0], end=month[1])
    day_span = _anchor(text, now, anchors) or _relative_days(text, today, tz) or _day_of_month(text, today, tz)
    clock = _clock_time(text)
    part = _day_part(text)
    if day_span is None:
        absolute = _parse_absolute(text, now)
        if absolute is not None:
            has_time = clock is not None
            day_span = _day_range(absolute.date(), 1, tz)
            if has_time or absolute.time() != time():
                clock = clock or absolute.time()
        elif clock is not None or part is not None:
            # A time with no day: today if it is still ahead, else tomorrow.
            moment = clock or time(part[0] if part else 9)
            first = (
                today if datetime.combine(today, moment, tz) > now or not is_new_event else today + timedelta(days=1)
            )
            day_span = _day_range(first, 1, tz)
    if day_span is None:
        return None
    start, end = day_span
    if clock is not None and (end - start) <= timedelta(days=1):
        begin = datetime.combine(start.date(), clock, tz)
        return TimeRange(text=phrase, start=begin, end=begin + EVENT_DURATION)
    if part is not None and (end - start) <= timedelta(days=1):
        begin = datetime.combine(start.date(), time(part[0]), tz)
        finish = datetime.combine(start.date(), time(), tz) + timedelta(hours=part[1])
        return TimeRange(text=phrase, start=begin, end=finish)
    return TimeRange(text=phrase, start=start, end=end)


_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def recurrence_rule(phrase: str, first: datetime) -> str | None:
    """The RRULE a repetition said means, from the first occurrence's day: "every Monday"
    is FREQ=WEEKLY;BYDAY=MO, "weekly ... Tuesdays" weekly on Tuesdays, "every other
    Monday"/"fortnightly" every two weeks, "every weekday" Monday to Friday, "daily",
    "monthly"; None when nothing repeats."""
    said = phrase.lower()
    if not said.strip():
        return None
    if "weekday" in said:
        return "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    if "daily" in said or "every day" in said:
        return "RRULE:FREQ=DAILY"
    if "monthly" in said or "every month" in said:
        return f"RRULE:FREQ=MONTHLY;BYMONTHDAY={first.day}"
    days = [_WEEKDAYS[i] for i, name in enumerate(_DAY_NAMES) if name in said] or [_WEEKDAYS[first.weekday()]]
    every_two = r"\b(?:other|second|fortnightly|biweekly|bi-weekly)\b|\bevery (?:2|two) weeks\b"
    interval = ";INTERVAL=2" if re.search(every_two, said) else ""
    return f"RRULE:FREQ=WEEKLY{interval};BYDAY={','.join(days)}"
