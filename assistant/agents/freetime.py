"""Free time from busy times: the windows when everyone asked about is free.

Calendar's `freebusy.query` gives each calendar's busy intervals (transparent and
declined events already left out, as Google does). Here they become the working-hours
windows in which none of them is busy, at least `minimum` long, and the slots a new
event of that length could take: the start of each window, so the first slot is the
earliest time that works for everyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

#: Working hours, in the user's zone, when no calendar setting says otherwise.
WORKDAY = (time(9), time(18))


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def merged(busy: Iterable[tuple[datetime, datetime]]) -> list[Window]:
    """Busy intervals of any number of calendars as one sorted list without overlaps."""
    result: list[Window] = []
    for start, end in sorted(busy):
        if result and start <= result[-1].end:
            if end > result[-1].end:
                result[-1] = Window(result[-1].start, end)
        else:
            result.append(Window(start, end))
    return result


def free_windows(
    busy: Iterable[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    minimum: timedelta,
    workday: tuple[time, time] = WORKDAY,
    weekends: bool = False,
) -> list[Window]:
    """The stretches of working hours between `start` and `end` when nothing is busy, at
    least `minimum` long, in time order. Weekends count only when `weekends` (a window
    said to be on one)."""
    taken = merged(busy)
    windows: list[Window] = []
    day = start.astimezone(zone).date()
    while day <= end.astimezone(zone).date():
        if weekends or day.weekday() < 5:
            cursor = max(datetime.combine(day, workday[0], zone), start)
            closing = min(datetime.combine(day, workday[1], zone), end)
            for interval in taken:
                if interval.end <= cursor or interval.start >= closing:
                    continue
                if interval.start - cursor >= minimum:
                    windows.append(Window(cursor, interval.start))
                cursor = max(cursor, interval.end)
            if closing - cursor >= minimum:
                windows.append(Window(cursor, closing))
        day += timedelta(days=1)
    return windows
