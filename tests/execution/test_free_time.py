"""Free time from busy times: working hours, every calendar's busy times, the length needed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from assistant.agents.freetime import free_windows, merged

LONDON = ZoneInfo("Europe/London")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def spans(windows) -> list[str]:
    return [f"{w.start:%d %H:%M}-{w.end:%H:%M}" for w in windows]


def test_overlapping_busy_times_of_several_calendars_merge() -> None:
    busy = [
        (at(19, 10), at(19, 11)),
        (at(19, 10, 30), at(19, 12)),
        (at(19, 12), at(19, 12, 15)),
        (at(19, 14), at(19, 15)),
    ]
    assert [(m.start, m.end) for m in merged(busy)] == [(at(19, 10), at(19, 12, 15)), (at(19, 14), at(19, 15))]


def test_windows_are_within_working_hours_and_long_enough() -> None:
    # Mine: 09:30-09:45 and 12:10-12:40. Theirs: 09:00-10:05. Half an hour needed.
    busy = [(at(19, 9, 30), at(19, 9, 45)), (at(19, 12, 10), at(19, 12, 40)), (at(19, 9), at(19, 10, 5))]
    windows = free_windows(busy, at(19, 0), at(20, 0), LONDON, minimum=timedelta(minutes=30))
    assert spans(windows) == ["19 10:05-12:10", "19 12:40-18:00"]


def test_a_window_shorter_than_needed_is_left_out() -> None:
    busy = [(at(19, 9, 30), at(19, 9, 45)), (at(19, 12, 10), at(19, 12, 40))]
    hour = free_windows(busy, at(19, 0), at(20, 0), LONDON, minimum=timedelta(hours=1))
    assert spans(hour) == ["19 09:45-12:10", "19 12:40-18:00"]  # 09:00-09:30 is half an hour


def test_the_search_starts_no_earlier_than_asked() -> None:
    windows = free_windows([], at(19, 13, 20), at(19, 17), LONDON, minimum=timedelta(minutes=30))
    assert spans(windows) == ["19 13:20-17:00"]


def test_weekends_only_when_asked_for() -> None:
    saturday, monday = at(21, 0), at(23, 0)
    assert spans(free_windows([], saturday, monday, LONDON, minimum=timedelta(hours=1))) == []
    weekend = free_windows([], saturday, monday, LONDON, minimum=timedelta(hours=1), weekends=True)
    assert spans(weekend) == ["21 09:00-18:00", "22 09:00-18:00"]
