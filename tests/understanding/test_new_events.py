"""New events, read offline and resolved: when they start and how long they last (a range
of hours, a clock time with a dot, an evening occasion's bare hour, a date named with its
weekday), what they are called (without their time, or by their purpose), who is invited
and how they repeat. Each family holds several phrasings; the expected values come from
the calendar, not from what the product answers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.core.settings import get_settings
from assistant.understanding.contacts import ContactBook
from assistant.understanding.context import ConversationContext
from assistant.understanding.dates import recurrence_rule
from assistant.understanding.local import local_understanding
from assistant.understanding.meaning import Meaning, resolve_frame
from assistant.understanding.reader import FrameReader

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=LONDON)  # a Wednesday


@pytest.fixture(scope="module")
def reader(data_dir: Path) -> FrameReader:
    return FrameReader(local_understanding(get_settings()))


def resolved(reader: FrameReader, text: str) -> Meaning:
    frame = reader.read(text)[0]
    return resolve_frame(
        frame, text=text, provider="local", now=NOW, contacts=ContactBook([]), context=ConversationContext()
    )


@pytest.mark.parametrize(
    ("text", "start", "minutes"),
    [
        ("block 3 to 4:30 on Tuesday for the quarterly plan", datetime(2026, 11, 24, 15, 0), 90),
        ("could you reserve Thursday from 2pm until 3:15pm for interview prep?", datetime(2026, 11, 19, 14, 0), 75),
        ("block fri 10-11am as 'Roadmap read-through'", datetime(2026, 11, 20, 10, 0), 60),
        ("vendor review tues 3-4.30", datetime(2026, 11, 24, 15, 0), 90),
        ("budget chat mon 11.30, 45 mins", datetime(2026, 11, 23, 11, 30), 45),
    ],
)
def test_a_new_event_starts_and_lasts_as_said(reader: FrameReader, text: str, start: datetime, minutes: int) -> None:
    meaning = resolved(reader, text)
    assert meaning.frame.act == "create" and meaning.frame.event is not None
    assert meaning.new_time is not None and meaning.new_time.start == start.replace(tzinfo=LONDON)
    assert meaning.frame.event.duration_minutes == minutes


@pytest.mark.parametrize(
    ("text", "hour"),
    [
        ("dinner with Olivia on Saturday at 8", 20),
        ("drinks with the team friday at 6", 18),
        ("breakfast with Marco on Monday at 8", 8),
        ("dinner on Saturday at 8am with the investors", 8),
    ],
)
def test_an_evening_occasions_bare_hour_is_in_the_evening(reader: FrameReader, text: str, hour: int) -> None:
    meaning = resolved(reader, text)
    assert meaning.new_time is not None and meaning.new_time.start.hour == hour


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("block 3 to 4:30 on Tuesday for Hiring plan review", "Hiring plan review"),
        ("budget chat mon 11.30, 45 mins", "Budget chat"),
        ("if tue 8 dec 1-5pm is free, block it as focus", "Focus"),
    ],
)
def test_a_new_event_is_named_without_its_time(reader: FrameReader, text: str, title: str) -> None:
    event = reader.read(text)[0].event
    assert event is not None and event.title == title


@pytest.mark.parametrize(
    "text",
    ["add 'Day off' all day on Friday 11 December", "put an all-day 'Day off' in for Friday the 11th of December"],
)
def test_a_date_names_the_day_even_beside_a_weekday(reader: FrameReader, text: str) -> None:
    meaning = resolved(reader, text)
    assert meaning.new_time is not None and meaning.new_time.start.date().isoformat() == "2026-12-11"


@pytest.mark.parametrize(
    "phrase", ["every other Monday", "fortnightly", "every two weeks on Mondays", "every 2 weeks", "biweekly"]
)
def test_every_two_weeks(phrase: str) -> None:
    assert (
        recurrence_rule(phrase, datetime(2026, 11, 23, 11, 0, tzinfo=LONDON)) == "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
    )


@pytest.mark.parametrize(
    ("text", "guests"),
    [
        ("pricing chat mon 11.30, 45 mins, tom becker + hannah", ["tom becker", "hannah"]),
        ("invite Sarah Chen to lunch tomorrow at 1, an hour", ["Sarah Chen"]),
    ],
)
def test_the_people_named_for_a_new_event_are_its_guests(reader: FrameReader, text: str, guests: list[str]) -> None:
    frame = reader.read(text)[0]
    assert frame.act == "create" and frame.event is not None and frame.event.attendees == guests


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("from July and August", "2026-07-01", "2026-09-01"),
        ("july-august", "2026-07-01", "2026-09-01"),
        ("between September and October", "2026-09-01", "2026-11-01"),
        ("november to january", "2026-11-01", "2027-02-01"),
    ],
)
def test_two_months_are_both_of_them(phrase: str, start: str, end: str) -> None:
    from assistant.understanding.meaning import _when

    window = _when(phrase, NOW, None)
    assert window is not None
    assert (window.start.date().isoformat(), window.end.date().isoformat()) == (start, end)


@pytest.mark.parametrize(
    "text", ["Could you please trash all of the Uber trip receipts from July?", "delete the hotel booking emails"]
)
def test_trashing_booking_mail_is_mail_not_a_booking_to_cancel(reader: FrameReader, text: str) -> None:
    frame = reader.read(text)[0]
    assert frame.act == "delete" and frame.target.service == "gmail" and "booking" not in frame.target.kinds


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("delete my Uber receipts from July and August", "from July and August"),
        ("emails from Sarah between September and October", "between September and October"),
    ],
)
def test_two_months_are_read_as_one_time(reader: FrameReader, text: str, time: str) -> None:
    assert reader.read(text)[0].target.time == time
