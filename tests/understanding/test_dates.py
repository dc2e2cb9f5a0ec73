"""Date phrases resolved to absolute ranges in the user's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.understanding.dates import recurrence_rule, resolve_when

PARIS = ZoneInfo("Europe/Paris")
# Sunday 29 November 2026, 10:00 in Paris.
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=PARIS)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("today", at(29), at(30)),
        ("tomorrow", at(30), at(1, month=12)),
        ("yesterday morning", at(28, 6), at(28, 12)),
        ("this week", at(23), at(30)),
        ("next week", at(30), at(7, month=12)),
        ("last month", at(1, month=10), at(1)),
        ("next tuesday afternoon", at(1, 12, month=12), at(1, 17, month=12)),
        ("friday", at(4, month=12), at(5, month=12)),
        ("last friday", at(27), at(28)),
        ("in 3 days", at(2, month=12), at(3, month=12)),
        ("the 14th", at(14, month=12), at(15, month=12)),
        ("on the 12th", at(12, month=12), at(13, month=12)),
        ("30th", at(30), at(1, month=12)),
        ("this weekend", at(28), at(30)),
        ("tonight", at(29, 18), at(30)),
    ],
)
def test_relative_phrases(phrase: str, start: datetime, end: datetime) -> None:
    resolved = resolve_when(phrase, NOW)
    assert resolved is not None
    assert (resolved.start, resolved.end) == (start, end)


@pytest.mark.parametrize(
    ("phrase", "start"),
    [
        ("tomorrow at nine p. m.", at(30, 21)),  # a speech transcript
        ("Tomorrow at 9PM", at(30, 21)),
        ("march 3rd at 4:30pm", at(3, 16, 30, month=3, year=2027)),
        ("twenty second of march twenty seventeen", at(22, month=3, year=2017)),
        ("the first of february twenty twenty seven at five pm", at(1, 17, month=2, year=2027)),
        ("3pm", at(29, 15)),
        ("at 3", at(29, 15)),  # "at 3" is the afternoon
        ("dec 25 at 10am", at(25, 10, month=12)),
    ],
)
def test_times_and_absolute_dates(phrase: str, start: datetime) -> None:
    resolved = resolve_when(phrase, NOW, is_new_event=True)
    assert resolved is not None
    assert resolved.start == start
    assert resolved.end - resolved.start <= timedelta(days=1)


def test_a_past_clock_time_for_a_new_event_means_tomorrow() -> None:
    resolved = resolve_when("8am", NOW, is_new_event=True)
    assert resolved is not None and resolved.start == at(30, 8)


def test_ranges_cross_daylight_saving_time_in_the_users_zone() -> None:
    march = datetime(2026, 3, 27, 12, tzinfo=PARIS)  # DST starts Sunday 29 March
    resolved = resolve_when("this weekend", march)
    assert resolved is not None
    assert resolved.start.utcoffset() != resolved.end.utcoffset()
    assert (resolved.start.hour, resolved.end.hour) == (0, 0)


def test_before_an_event_uses_the_calendar() -> None:
    flight = at(3, 8, month=12)
    resolved = resolve_when("before my flight", NOW, anchors=lambda words: flight if words == "flight" else None)
    assert resolved is not None and (resolved.start, resolved.end) == (NOW, flight)
    assert resolve_when("before my flight", NOW, anchors=lambda words: None) is None


@pytest.mark.parametrize("phrase", ["", "the budget", "soonish maybe"])
def test_phrases_without_a_date_resolve_to_nothing(phrase: str) -> None:
    assert resolve_when(phrase, NOW) is None


def test_now_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError):
        resolve_when("today", datetime(2026, 11, 29, 10))


@pytest.mark.parametrize(
    ("phrase", "rule"),
    [
        ("weekly tuesdays", "RRULE:FREQ=WEEKLY;BYDAY=TU"),
        ("every Monday", "RRULE:FREQ=WEEKLY;BYDAY=MO"),
        ("fortnightly every other monday", "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"),
        ("weekly", "RRULE:FREQ=WEEKLY;BYDAY=TU"),
        ("every weekday", "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("daily", "RRULE:FREQ=DAILY"),
        ("monthly", "RRULE:FREQ=MONTHLY;BYMONTHDAY=24"),
    ],
)
def test_a_repetition_said_is_the_rule_google_takes(phrase: str, rule: str) -> None:
    first = datetime(2026, 11, 24, 16, 0, tzinfo=ZoneInfo("Europe/London"))  # a Tuesday
    assert recurrence_rule(phrase, first) == rule
