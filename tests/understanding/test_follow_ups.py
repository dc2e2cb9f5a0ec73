"""Follow-ups, read offline and resolved: each family holds phrasings of one move from the
previous answer (the next page, a step before or after its item, a time moved from its
time, an item picked by its time, a question about the item shown, the user's own side
added), checked on the frame the reader gives and on what the resolver makes of it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.core.settings import get_settings
from assistant.understanding.contacts import ContactBook
from assistant.understanding.context import ConversationContext, Turn
from assistant.understanding.dates import resolve_when
from assistant.understanding.frame import Frame
from assistant.understanding.local import local_understanding
from assistant.understanding.meaning import Meaning, resolve_frame
from assistant.understanding.reader import FrameReader
from assistant.understanding.schema import ItemRef

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=LONDON)


@pytest.fixture(scope="module")
def reader(data_dir: Path) -> FrameReader:
    return FrameReader(local_understanding(get_settings()))


def after(reader: FrameReader, first: str, text: str, shown: list[ItemRef] | None = None) -> tuple[Frame, Meaning]:
    """`text` read and resolved after `first` was asked and answered with `shown`."""
    previous = reader.read(first)[0]
    context = ConversationContext(
        turns=[Turn(role="user", text=first, frame=previous), Turn(role="assistant", text="...", items=shown or [])]
    )
    frame = reader.read(text, context)[0]
    meaning = resolve_frame(
        frame, text=text, provider="local", now=NOW, contacts=ContactBook([]), context=context, previous=previous
    )
    return frame, meaning


def item(position: int, when: datetime, service: str = "gmail") -> ItemRef:
    return ItemRef(service=service, id=f"i{position}", title=f"Item {position}", position=position, when=when)  # type: ignore[arg-type]


SHOWN = [item(1, datetime(2026, 11, 6, 16, 30, tzinfo=LONDON)), item(2, datetime(2026, 9, 3, 6, 30, tzinfo=LONDON))]


@pytest.mark.parametrize(
    "text",
    [
        "show me more",
        "more pls",
        "Could you show me a few more of them, please?",
        "sho me more",
        "Could you list a few more after those, please?",
    ],
)
def test_more_is_the_previous_request_without_the_items_shown(reader: FrameReader, text: str) -> None:
    frame, meaning = after(reader, "show me the last three product updates I sent to everyone", text, SHOWN)
    assert frame.refine is not None and frame.refine.kind == "next_page"
    assert frame.target.service == "gmail" and frame.target.sent_by_me and frame.target.count == 3
    assert [ref.id for ref in meaning.exclude] == ["i1", "i2"] and not meaning.items


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("and the one before that?", "earlier"),
        ("And could you tell me when the one before that was, please?", "earlier"),
        ("and the 1 befor that", "earlier"),
        ("and when do I come back?", "later"),
        ("n when do i fly back", "later"),
        ("and the one after that?", "later"),
    ],
)
def test_a_step_from_the_item_shown_looks_before_or_after_it(reader: FrameReader, text: str, kind: str) -> None:
    frame, meaning = after(reader, "when was my last fortnightly with Sarah Chen?", text, SHOWN)
    assert frame.refine is not None and frame.refine.kind == kind
    assert frame.target.count == 1 and frame.target.order == ("latest" if kind == "earlier" else "next")
    window = meaning.target_window
    assert window is not None
    if kind == "earlier":
        assert window.end == SHOWN[0].when
    else:
        assert window.start > SHOWN[0].when  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("what about the week after?", "2026-11-30", "2026-12-07"),
        ("n the week after?", "2026-11-30", "2026-12-07"),
        ("And the week after that, do I have anything with her?", "2026-11-30", "2026-12-07"),
    ],
)
def test_the_week_after_is_a_week_on_from_the_previous_time(
    reader: FrameReader, text: str, start: str, end: str
) -> None:
    frame, meaning = after(reader, "what meetings do I have with Sarah Chen next week?", text)
    assert frame.target.service == "calendar" and [p.name for p in frame.target.people] == ["Sarah Chen"]
    assert meaning.target_window is not None
    assert meaning.target_window.start.date().isoformat() == start
    assert meaning.target_window.end.date().isoformat() == end


def test_a_person_named_again_keeps_their_part(reader: FrameReader) -> None:
    frame, _ = after(reader, "emails from Sarah Chen this month", "wat about last month")
    assert frame.target.service == "gmail" and frame.target.time == "last month"
    assert [(p.name, p.role) for p in frame.target.people] == [("Sarah Chen", "from")]


@pytest.mark.parametrize(
    "text", ["how much was the September one?", "hw much was septembers", "open the september one"]
)
def test_an_item_shown_is_picked_by_its_time(reader: FrameReader, text: str) -> None:
    _, meaning = after(reader, "show me my CloudNest invoices", text, SHOWN)
    assert [ref.id for ref in meaning.items] == ["i2"]


@pytest.mark.parametrize("text", ["who's coming?", "whos going", "And who is invited to it?", "where is it?"])
def test_a_question_naming_nothing_is_about_the_item_shown(reader: FrameReader, text: str) -> None:
    shown = [item(1, datetime(2026, 11, 26, 10, tzinfo=LONDON), "calendar")]
    frame, meaning = after(reader, "when is the Beacon kickoff?", text, shown)
    assert frame.ask in ("who", "where") and [ref.id for ref in meaning.items] == ["i1"]


@pytest.mark.parametrize(
    "text", ["include my replies too", "Could you also include the replies I sent her in that thread, please?"]
)
def test_my_replies_widen_the_previous_mail_to_both_sides(reader: FrameReader, text: str) -> None:
    frame, _ = after(reader, "show me Sarah Chen's emails about the Q4 financial review", text)
    assert [(p.name, p.role) for p in frame.target.people] == [("Sarah Chen", "with")]
    assert frame.target.service == "gmail" and not frame.target.sent_by_me


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("the week after next week", "2026-11-30", "2026-12-07"),
        ("the week before next week", "2026-11-16", "2026-11-23"),
        ("the month before last month", "2026-09-01", "2026-10-01"),
        ("the month after this month", "2026-12-01", "2027-01-01"),
        ("the day after tomorrow", "2026-11-20", "2026-11-21"),
    ],
)
def test_a_unit_before_or_after_a_time_is_that_time_moved(phrase: str, start: str, end: str) -> None:
    window = resolve_when(phrase, NOW)
    assert window is not None
    assert (window.start.date().isoformat(), window.end.date().isoformat()) == (start, end)


@pytest.mark.parametrize(
    ("text", "said"), [("move my 1:1 with Priya to 3pm", False), ("move my 1:1 with Priya to Friday at 3pm", True)]
)
def test_a_new_time_says_whether_it_names_a_day(reader: FrameReader, text: str, said: bool) -> None:
    """ "to 3pm" keeps the event's own day: the resolver says no day was named."""
    frame = reader.read(text)[0]
    meaning = resolve_frame(
        frame, text=text, provider="local", now=NOW, contacts=ContactBook([]), context=ConversationContext()
    )
    assert meaning.new_time is not None and meaning.new_day_said is said
