"""Date and time phrases in a request's words (assistant/understanding/when.py).

Each behaviour has a family of phrasings (polite, terse, lower and upper case, chat
spellings) with the exact phrases expected, and the confusable words that are no time
("1:1", "Q4", "Roadmap 2027", durations, counts). The split by act is checked the same
way, and every phrase a split hands on is checked to resolve with `dates.resolve_when`
(after `for_resolver`), with exact ranges for a sample. The last section lists known
misses as strict xfails.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.understanding.dates import resolve_when
from assistant.understanding.frame import Act
from assistant.understanding.when import TimePhrase, TimeSplit, for_resolver, split_times, time_phrases

LONDON = ZoneInfo("Europe/London")
# Wednesday 18 November 2026, 09:00 in London.
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=LONDON)
EVENTS = {
    "flight": datetime(2026, 11, 21, 7, 0, tzinfo=LONDON),
    "offsite": datetime(2026, 11, 25, 9, 0, tzinfo=LONDON),
    "team offsite": datetime(2026, 11, 25, 9, 0, tzinfo=LONDON),
    "board meeting": datetime(2026, 11, 27, 14, 0, tzinfo=LONDON),
}


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def phrases(text: str) -> list[str]:
    return [phrase.text for phrase in time_phrases(text)]


# ---------------------------------------------------------------- time_phrases, by behaviour

WEEKDAYS = [
    ("what's on thursday?", ["on thursday"]),
    ("any meetings on thurs", ["on thurs"]),
    ("Do I have anything next Tuesday?", ["next Tuesday"]),
    ("what did I have last friday", ["last friday"]),
    ("show me this coming Monday please", ["this coming Monday"]),
    ("anything nxt wed", ["nxt wed"]),
    ("what about mon", ["mon"]),
    ("what's happening coming friday", ["coming friday"]),
    ("WHAT'S ON WEDNESDAY", ["ON WEDNESDAY"]),
    ("any calls this sat?", ["this sat"]),
    ("free on Thrusday?", ["on Thrusday"]),
]

RELATIVE_DAYS = [
    ("what's on today", ["today"]),
    ("anything tonight?", ["tonight"]),
    ("what's on my calendar tmrw", ["tmrw"]),
    ("Tomorow morning please", ["Tomorow morning"]),
    ("thx! anything tmr?", ["tmr"]),
    ("emails from yesterday", ["from yesterday"]),
    ("what's on tomorrow afternoon", ["tomorrow afternoon"]),
    ("am I busy tomorrow evening?", ["tomorrow evening"]),
    ("WHAT'S ON TOMORROW AFTERNOON", ["TOMORROW AFTERNOON"]),
    ("the day after tomorrow at 9am", ["the day after tomorrow at 9am"]),
]

PERIODS = [
    ("emails from last week", ["from last week"]),
    ("what's on this week", ["this week"]),
    ("meetings next month", ["next month"]),
    ("invoices so far this month", ["so far this month"]),
    ("files from last year", ["from last year"]),
    ("any plans for this weekend?", ["this weekend"]),
    ("anything nxt wk", ["nxt wk"]),
    ("what did I do last weekend", ["last weekend"]),
    ("any meetings this week or next week", ["this week", "next week"]),
    ("anything over the weekend", ["over the weekend"]),
]

SPANS = [
    ("what did Sarah send in the past 7 days", ["the past 7 days"]),
    ("meetings in 2 weeks", ["in 2 weeks"]),
    ("files from 3 days ago", ["from 3 days ago"]),
    ("emails from a week ago", ["from a week ago"]),
    ("anything in three days?", ["in three days"]),
    ("invoices since the 1st", ["since the 1st"]),
    ("mail over the last 2 weeks", ["over the last 2 weeks"]),
    ("what came in the past couple of days", ["the past couple of days"]),
    ("meetings for the next few days", ["the next few days"]),
    ("in a couple of weeks", ["in a couple of weeks"]),
]

DATES = [
    ("what's on December 1", ["on December 1"]),
    ("anything on 1 December?", ["on 1 December"]),
    ("the 1st of December please", ["the 1st of December"]),
    ("book it for dec 3rd", ["dec 3rd"]),
    ("emails from September", ["from September"]),
    ("emails before September", ["before September"]),
    ("trips in September", ["in September"]),
    ("what's on 2026-12-01", ["on 2026-12-01"]),
    ("anything on the 14th?", ["on the 14th"]),
    ("budget docs in 2027", ["in 2027"]),
    ("the December 2027 offsite", ["December 2027"]),
    ("what happened on the 2nd of may", ["on the 2nd of may"]),
    ("from Dec 1 to Dec 5", ["from Dec 1 to Dec 5"]),
    ("Dec. 5 at noon", ["Dec. 5 at noon"]),
]

CLOCK_TIMES = [
    ("anything at 3pm", ["at 3pm"]),
    ("is 3 pm free", ["3 pm"]),
    ("am i free at 15:00", ["at 15:00"]),
    ("what's on at 1", ["at 1"]),
    ("what's on at one o'clock", ["at one o'clock"]),
    ("meetings at noon", ["at noon"]),
    ("lunch around midday?", ["around midday"]),
    ("anything at 3 in the afternoon", ["at 3 in the afternoon"]),
    ("am I free at half past two", ["at half past two"]),
    ("free @ 4pm?", ["@ 4pm"]),
    ("anything at 10:30am", ["at 10:30am"]),
    ("Before 5 P.M. please", ["Before 5 P.M."]),
]

PARTS_OF_DAY = [
    ("what's on this afternoon", ["this afternoon"]),
    ("anything in the morning?", ["in the morning"]),
    ("meetings friday afternoon", ["friday afternoon"]),
    ("emails from this morning", ["from this morning"]),
    ("any calls this evening", ["this evening"]),
    ("am I free in the afternoon", ["in the afternoon"]),
    ("what did I have yesterday evening", ["yesterday evening"]),
    ("anything monday night", ["monday night"]),
    ("free after lunch?", ["after lunch"]),
    ("Good morning! what's on this afternoon?", ["this afternoon"]),
]

RANGES = [
    ("am I free from 2 to 3", ["from 2 to 3"]),
    ("am I free between 2 and 4pm tomorrow", ["between 2 and 4pm tomorrow"]),
    ("is 9-11 free on Monday", ["9-11", "on Monday"]),
    ("block 10:30-11:30", ["10:30-11:30"]),
    ("busy from 9am till noon?", ["from 9am till noon"]),
    ("anything thursday between 9 and 11", ["thursday between 9 and 11"]),
    ("free 2 to 3pm?", ["2 to 3pm"]),
    ("from Monday to Wednesday next week", ["from Monday to Wednesday next week"]),
    ("any gaps between Monday and Wednesday", ["between Monday and Wednesday"]),
]

RELATIVE_TO_EVENTS = [
    ("what do I have before my flight", ["before my flight"]),
    ("files after the offsite", ["after the offsite"]),
    ("anything before our board meeting?", ["before our board meeting"]),
    ("emails after the team offsite with Dan", ["after the team offsite"]),
    ("prep docs before my 1:1 with Priya", ["before my 1:1"]),
    ("calls ahead of my trip to Lisbon", ["ahead of my trip"]),
    ("anything after the weekend", ["after the weekend"]),
    ("what's due before the 14th", ["before the 14th"]),
    ("after my flight tomorrow", ["after my flight", "tomorrow"]),
]

ADJACENT_PIECES = [
    ("schedule it Thursday at 1pm", ["Thursday at 1pm"]),
    ("next Tuesday at 3 works", ["next Tuesday at 3"]),
    ("on Monday at 10am please", ["on Monday at 10am"]),
    ("3pm on Friday?", ["3pm on Friday"]),
    ("tmrw @ 3", ["tmrw @ 3"]),
    ("what's on Friday the 4th", ["on Friday the 4th"]),
    ("December 1 at 3 pm", ["December 1 at 3 pm"]),
    ("tomorrow, 10am", ["tomorrow, 10am"]),
    ("at 8 tonight", ["at 8 tonight"]),
    ("Monday at 10am, Tuesday at 3", ["Monday at 10am", "Tuesday at 3"]),
    ("monday, tuesday or wednesday", ["monday", "tuesday", "wednesday"]),
    ("thursday at 1pm.", ["thursday at 1pm"]),
]

NOT_TIME: list[tuple[str, list[str]]] = [
    ("my 1:1 with Priya", []),
    ("the 1-on-1 with Dan", []),
    ("cancel my one-on-one with Sam", []),
    ("1:1s with my reports", []),
    ("the Q4 planning doc", []),
    ("open Roadmap 2027", []),
    ("schedule a 90-minute review", []),
    ("block an hour for focus", []),
    ("book it for 30 minutes", []),
    ("make it an hour and a half", []),
    ("push it 15 minutes earlier", []),
    ("show the 5 newest emails", []),
    ("I got 3 emails from Tom", []),
    ("find my first free hour", []),
    ("same time as usual", []),
    ("open the last one", []),
    ("forward the second one to Tom", []),
    ("good morning! any news?", []),
    ("have a nice weekend", []),
    ("emails from Jan", []),
    ("emails from June about the budget", []),
    ("look at 3 emails", []),
    ("reply to 3 of them", []),
    ("the 14th floor meeting room", []),
    ("I may be late", []),
    ("c'mon", []),
    ("the sun is out", []),
    ("subject 'see you tomorrow at 3'", []),
    ('email Dan saying "see you tomorrow"', []),
]

NOT_TIME_BESIDE_TIME = [
    ("tomorrow's product standup fifteen minutes", ["tomorrow"]),
    ("90 - minute thursday 1pm", ["thursday 1pm"]),
    ("Monday's 1:1 with Priya", ["Monday"]),
    ("the Q4 review next week", ["next week"]),
    ("Roadmap 2027 review on Friday", ["on Friday"]),
    ("book a 1:1 at 2pm", ["at 2pm"]),
    ("for 30 minutes at 2pm", ["at 2pm"]),
    ("the first free hour on Tuesday", ["on Tuesday"]),
    ("move it 15 minutes earlier tomorrow", ["tomorrow"]),
    ("next week's 1-on-1s", ["next week"]),
]

FAMILIES = {
    "weekdays": WEEKDAYS,
    "relative days": RELATIVE_DAYS,
    "periods": PERIODS,
    "spans": SPANS,
    "dates": DATES,
    "clock times": CLOCK_TIMES,
    "parts of day": PARTS_OF_DAY,
    "ranges": RANGES,
    "relative to events": RELATIVE_TO_EVENTS,
    "adjacent pieces": ADJACENT_PIECES,
    "not time": NOT_TIME,
    "not time beside time": NOT_TIME_BESIDE_TIME,
}
ALL_CASES = [(text, expected) for family in FAMILIES.values() for text, expected in family]


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_has_at_least_eight_phrasings(family: str) -> None:
    assert len(FAMILIES[family]) >= 8


@pytest.mark.parametrize(("text", "expected"), ALL_CASES)
def test_time_phrases(text: str, expected: list[str]) -> None:
    assert phrases(text) == expected


@pytest.mark.parametrize(("text", "expected"), [case for case in ALL_CASES if case[1]])
def test_phrases_keep_their_case_and_offsets(text: str, expected: list[str]) -> None:
    found = time_phrases(text)
    assert all(text[p.start : p.end] == p.text for p in found)
    assert [p.start for p in found] == sorted(p.start for p in found)
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


def test_a_phrase_records_where_it_is() -> None:
    assert time_phrases("Move Monday's 1:1 to Tuesday at 3PM") == [
        TimePhrase("Monday", 5, 11),
        TimePhrase("Tuesday at 3PM", 21, 35),
    ]


# ---------------------------------------------------------------- split_times

CREATE = [
    ("schedule a 90-minute meeting with Dan on thursday at 1pm", "on thursday at 1pm"),
    ("book lunch with Sam tmrw at 1", "tmrw at 1"),
    ("set up a call w/ priya next Tuesday at 3", "next Tuesday at 3"),
    ("add an event on Monday at 10am called Budget review", "on Monday at 10am"),
    ("can you please create a 1:1 with Priya for friday afternoon", "friday afternoon"),
    ("put a meeting with the team on December 1 at 3 pm", "on December 1 at 3 pm"),
    ("block 2 hours tomorrow morning for focus", "tomorrow morning"),
    ("schedule 'Roadmap 2027' review for thursday at 1", "thursday at 1"),
    ("book a call with Tom at 3 in the afternoon on wed", "at 3 in the afternoon on wed"),
    ("create an event from 2 to 3 tomorrow", "from 2 to 3 tomorrow"),
    ("schedule a one-on-one with Dan next wed @ 4pm", "next wed @ 4pm"),
    ("add a dentist appt on the 14th at 9:30am", "on the 14th at 9:30am"),
    ("SCHEDULE A SYNC THURSDAY 1PM", "THURSDAY 1PM"),
    ("book the Q4 review for Friday, ideally at 3pm", "Friday at 3pm"),
    ("set up a 30 min catch-up with Dan", None),
]

CHANGE = [
    ("move Monday's 1:1 with Priya to Tuesday, same time", "Monday", "Tuesday"),
    ("move my 1:1 with Priya to 3pm", None, "3pm"),
    ("push the Priya 1:1 to 15:00", None, "15:00"),
    ("make the standup 15 minutes earlier tomorrow", "tomorrow", None),
    ("move tomorrow's standup to Friday at 10", "tomorrow", "Friday at 10"),
    ("can you please move the call from 2 to 3", "2", "3"),
    ("reschedule the review from Tuesday to Thursday at 1pm", "Tuesday", "Thursday at 1pm"),
    ("could u push my 2pm with Dan to 4", "2pm", "4"),
    ("move the standup for tomorrow to friday", "tomorrow", "friday"),
    ("push the 3pm tmrw to 4pm", "3pm tmrw", "4pm"),
    ("move it to thurs @ 3", None, "thurs @ 3"),
    ("shift the 10am on Monday to 11am", "10am on Monday", "11am"),
    ("postpone the offsite until next month", None, "next month"),
    ("MOVE LUNCH TO 1PM TOMORROW", None, "1PM TOMORROW"),
    ("rename tomorrow's standup to Daily sync", "tomorrow", None),
    ("pls move my sync w/ Dan to nxt wed", None, "nxt wed"),
    ("could you move the team sync into next week", None, "next week"),
    ("move my 9am to tomorrow morning", "9am", "tomorrow morning"),
    ("move the 1-on-1 with Sam from Monday to Wednesday at 2pm", "Monday", "Wednesday at 2pm"),
    ("move my 2pm to 1-3pm", "2pm", "1-3pm"),
]

CONDITIONS: list[tuple[str, Act, str | None, str | None]] = [
    ("move my 1:1 with Priya to Friday unless we already meet that day", "change", None, "Friday"),
    (
        "move the team sync to friday afternoon if I have nothing on Friday afternoon",
        "change",
        None,
        "friday afternoon",
    ),
    ("book a meeting with Tom tomorrow if I have nothing on Friday afternoon", "create", None, "tomorrow"),
    ("schedule a catch up with Sam on Friday at 2 unless we already meet that day", "create", None, "on Friday at 2"),
    ("if I'm free on Thursday, book lunch with Priya at 1pm", "create", None, "at 1pm"),
    (
        "set up a call with Dan next Tuesday at 3 as long as I have nothing on Monday",
        "create",
        None,
        "next Tuesday at 3",
    ),
    ("push the standup to 10 tomorrow unless Sarah has a meeting at 10", "change", None, "10 tomorrow"),
    ("can you check if you can move the standup to 10 tomorrow", "change", None, "10 tomorrow"),
    ("schedule lunch with Sam on Friday if possible", "create", None, "on Friday"),
]

OTHER_ACTS: list[tuple[str, Act, str | None]] = [
    ("what's on tomorrow afternoon", "find", "tomorrow afternoon"),
    ("am I free between 2 and 4pm tomorrow", "free_time", "between 2 and 4pm tomorrow"),
    ("cancel my 1:1 with Priya on Monday", "delete", "on Monday"),
    ("delete tomorrow's standup", "delete", "tomorrow"),
    ("brief me for my 3pm tomorrow", "prepare", "3pm tomorrow"),
    ("summarise emails from Sarah since the 1st", "find", "since the 1st"),
    ("read the email Tom sent yesterday", "read", "yesterday"),
    ("reply to Dan's email from last week", "reply", "from last week"),
    ("forward the invoice from 3 days ago to Tom", "forward", "from 3 days ago"),
    ("share the deck I made last month with Priya", "share", "last month"),
    ("when am I free next wed", "free_time", "next wed"),
    ("find my 1:1s this week", "find", "this week"),
    ("draft a reply to Sarah's email from this morning", "draft", "from this morning"),
    ("send Dan the Roadmap 2027 doc", "send", None),
    ("move nothing, just show me Friday", "find", "Friday"),
]


@pytest.mark.parametrize(("text", "new"), CREATE)
def test_every_phrase_of_a_new_event_is_its_start(text: str, new: str | None) -> None:
    assert split_times(text, "create") == TimeSplit(selects=None, new=new)


@pytest.mark.parametrize(("text", "selects", "new"), CHANGE)
def test_a_change_selects_before_the_destination_and_moves_to_it(
    text: str, selects: str | None, new: str | None
) -> None:
    assert split_times(text, "change") == TimeSplit(selects=selects, new=new)


@pytest.mark.parametrize(("text", "act", "selects", "new"), CONDITIONS)
def test_a_condition_is_no_destination(text: str, act: Act, selects: str | None, new: str | None) -> None:
    assert split_times(text, act) == TimeSplit(selects=selects, new=new)


@pytest.mark.parametrize(("text", "act", "selects"), OTHER_ACTS)
def test_other_acts_only_select(text: str, act: Act, selects: str | None) -> None:
    assert split_times(text, act) == TimeSplit(selects=selects, new=None)


def test_split_families_have_at_least_eight_phrasings() -> None:
    assert min(len(CREATE), len(CHANGE), len(CONDITIONS), len(OTHER_ACTS)) >= 8


# ---------------------------------------------------------------- the pieces fit resolve_when


def _resolved(phrase: str, *, new: bool) -> tuple[datetime, datetime]:
    resolved = resolve_when(for_resolver(phrase), NOW, anchors=EVENTS.get, is_new_event=new)
    assert resolved is not None, f"{phrase!r} (read as {for_resolver(phrase)!r}) does not resolve"
    return resolved.start, resolved.end


def _handed_on() -> list[tuple[str, bool]]:
    """Every phrase the split families expect, and whether it is a new time."""
    pieces = [(new, True) for _, new in CREATE if new]
    for _, selects, new in CHANGE:
        pieces += [(p, False) for p in [selects] if p] + [(p, True) for p in [new] if p]
    pieces += [(new, True) for _, _, _, new in CONDITIONS if new]
    pieces += [(selects, False) for _, _, selects in OTHER_ACTS if selects]
    return pieces


@pytest.mark.parametrize(("phrase", "new"), _handed_on())
def test_every_phrase_handed_on_resolves_to_a_sensible_range(phrase: str, new: bool) -> None:
    start, end = _resolved(phrase, new=new)
    assert timedelta(0) < end - start <= timedelta(days=31)
    assert abs(start - NOW) < timedelta(days=60)
    if new:
        assert start >= NOW - timedelta(hours=1)


@pytest.mark.parametrize(
    ("phrase", "new", "start", "end"),
    [
        ("tmrw", False, at(19), at(20)),
        ("Thursday at 1pm", True, at(19, 13), at(19, 14)),
        ("next tuesday at 3", True, at(24, 15), at(24, 16)),
        ("at half past two", False, at(18, 14, 30), at(18, 15, 30)),
        ("at 3 in the afternoon on wed", True, at(18, 15), at(18, 16)),
        ("between 2 and 4pm tomorrow", False, at(19, 14), at(19, 15)),
        ("on the 14th at 9:30am", True, at(14, 9, 30, month=12), at(14, 10, 30, month=12)),
        ("since the 1st", False, at(1), at(1, month=12)),
        ("the past 7 days", False, at(11), at(19)),
        ("1-3pm", True, at(18, 13), at(18, 14)),
        ("at one o'clock", False, at(18, 13), at(18, 14)),
        ("in a couple of weeks", False, at(2, month=12), at(3, month=12)),
        ("from a week ago", False, at(11), at(12)),
        ("nxt wed afternoon", False, at(25, 12), at(25, 17)),
        ("3pm tmrw", False, at(19, 15), at(19, 16)),
        ("10 tomorrow", True, at(19, 10), at(19, 11)),
        ("before my flight", False, NOW, EVENTS["flight"]),
        ("last night", False, at(17, 18), at(18)),
    ],
)
def test_sample_ranges(phrase: str, new: bool, start: datetime, end: datetime) -> None:
    assert _resolved(phrase, new=new) == (start, end)


@pytest.mark.parametrize(
    ("phrase", "spelling"),
    [
        ("Tmrw @ 3", "tomorrow at 3"),
        ("tomorow morning", "tomorrow morning"),
        ("nxt Thrusday", "next thursday"),
        ("half past two", "2:30pm"),
        ("quarter to nine", "8:45am"),
        ("one o'clock", "at one"),
        ("3 in the afternoon", "3pm"),
        ("at 8 tonight", "8pm tonight"),
        ("from 2 to 3 tomorrow", "2pm tomorrow"),
        ("between 11 and 1pm", "11am"),
        ("9-11", "9am"),
        ("midday", "noon"),
        ("since the 1st", "this month"),
        ("10", "at 10"),
        ("the 14th at 3", "3pm the 14th"),
        ("from Dec 1 to Dec 5", "dec 1"),
        ("2026-12-01", "2026-12-01"),
        ("1 December at 3pm", "1 december at 3pm"),
        ("December 1 in the morning", "december 1 in the morning"),
        ("3 days ago", "3 days ago"),
    ],
)
def test_for_resolver_spells_what_resolve_when_reads(phrase: str, spelling: str) -> None:
    assert for_resolver(phrase) == spelling


# ---------------------------------------------------------------- known misses


@pytest.mark.xfail(strict=True, reason="'the day after' (after the event) is not read as a time")
def test_known_miss_the_day_after() -> None:
    assert split_times("move tomorrow's standup to the day after", "change").new == "the day after"


@pytest.mark.xfail(strict=True, reason="an hour range followed by a noun ('9-11 block') reads as a count")
def test_known_miss_a_range_before_a_noun() -> None:
    assert split_times("move my 9-11 block to 1-3pm", "change").selects == "9-11"


@pytest.mark.xfail(strict=True, reason="'the 2nd' after a sending verb is a pick, not a date")
def test_known_miss_a_numbered_pick() -> None:
    assert phrases("forward the 2nd to Tom") == []


@pytest.mark.xfail(strict=True, reason="'end of day' / 'EOD' are not read")
def test_known_miss_end_of_day() -> None:
    assert phrases("send it by end of day") == ["by end of day"]


@pytest.mark.xfail(strict=True, reason="'in 30 minutes' is blanked as a duration")
def test_known_miss_minutes_from_now() -> None:
    assert phrases("remind me in 30 minutes") == ["in 30 minutes"]


@pytest.mark.xfail(strict=True, reason="alternatives are joined into one phrase ('this week next week')")
def test_known_miss_alternatives() -> None:
    assert split_times("any meetings this week or next week", "find").selects == "this week or next week"


@pytest.mark.xfail(strict=True, reason="'to 4' is read as a destination only for a change")
def test_known_miss_bare_destination_hour_outside_a_change() -> None:
    assert phrases("could u push my 2pm with Dan to 4") == ["2pm", "4"]


def test_a_month_alone_is_its_nearest_occurrence() -> None:
    assert _resolved("from September", new=False) == (at(1, month=9), at(1, month=10))


def test_before_a_month_resolves_to_everything_until_it() -> None:
    assert resolve_when(for_resolver("before September"), NOW) is not None


@pytest.mark.parametrize("phrase", ["Friday the 4th", "Friday 4 December", "fri dec 4th", "on Friday, 4th of December"])
def test_a_date_says_which_day_whatever_weekday_names_it(phrase: str) -> None:
    assert _resolved(phrase, new=False) == (at(4, month=12), at(5, month=12))


def test_since_a_weekday_is_the_last_one() -> None:
    assert _resolved("since Monday", new=False)[0] == at(16)


@pytest.mark.xfail(strict=True, reason="a part of the day naming a meeting ('the morning standup') reads as a time")
def test_known_miss_a_part_of_day_in_a_title() -> None:
    assert split_times("move the morning standup to 10", "change") == TimeSplit(selects=None, new="10")


@pytest.mark.xfail(strict=True, reason="two moves in one request share one destination")
def test_known_miss_two_moves() -> None:
    assert split_times("move the standup to 9:30 tomorrow and the retro to 4", "change").new == "9:30 tomorrow"
