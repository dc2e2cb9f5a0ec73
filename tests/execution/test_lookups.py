"""Questions across Gmail, Calendar and Drive: the right items come first, and are cited."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from tests.execution.conftest import ALEX, LONDON, World, busy

LOOKUPS = [
    # No mail mentions marketing: what Sarah said about spend is her monthly spend notes.
    ("what did Sarah say about the marketing spend", "gmail", "Product org spend"),
    ("find the invoice from Harvest & Co", None, "HC-2291"),
    ("what's the cancellation fee for my turkish airlines flight", "gmail", "TK7QXM"),
    ("emails from Kestrel Digital about the contract", "gmail", "Contract extension"),
    ("when is my flight to Istanbul", "calendar", "TK1980"),
    ("when is the dentist", "calendar", "Dentist"),
    ("when are my product analyst interviews", "calendar", "Product Analyst"),
    ("find the Q4 financial review spreadsheet", "drive", "Q4 Financial Review"),
    ("the Beacon PRD document", "drive", "Beacon PRD"),
    ("the vendor contracts document", "drive", "Vendor contracts"),
]


@pytest.mark.parametrize(("question", "service", "expected"), LOOKUPS)
async def test_lookup_finds_the_item(world: World, question: str, service: str | None, expected: str) -> None:
    _, done = await world.ask(question)
    top = [s for s in done.sources if service in (None, s.service)][:5]
    assert any(expected.lower() in s.title.lower() for s in top), [s.title for s in done.sources[:6]]
    number = next(i for i, s in enumerate(done.sources, start=1) if expected.lower() in s.title.lower())
    assert f"[{number}]" in done.answer


async def test_meetings_tomorrow_are_listed_in_time_order(world: World) -> None:
    _, done = await world.ask("what meetings do I have tomorrow")
    events = [s for s in done.sources if s.service == "calendar"]
    assert events and all(e.when.date().isoformat() == "2026-11-19" for e in events), [
        (e.title, e.when) for e in events
    ]
    assert [e.when for e in events] == sorted(e.when for e in events)


async def test_free_time_comes_from_free_busy(world: World) -> None:
    _, done = await world.ask("when am I free next tuesday")
    assert "You're free" in done.answer
    assert "Tue 24 Nov" in done.answer


async def test_free_time_with_someone_counts_their_calendar_too(world: World) -> None:
    _, done = await world.ask("when are me and daniel both free for an hour on monday?")
    assert "You and Daniel Okafor are both free for an hour or more on Mon 23 Nov:" in done.answer, done.answer
    windows = re.findall(r"(\d\d):(\d\d)\u2013(\d\d):(\d\d)", done.answer)
    assert windows, done.answer
    people = (ALEX, "daniel.okafor@northwindlabs.com")
    for start_h, start_m, end_h, end_m in windows:
        start = datetime(2026, 11, 23, int(start_h), int(start_m), tzinfo=LONDON)
        end = datetime(2026, 11, 23, int(end_h), int(end_m), tzinfo=LONDON)
        assert end - start >= timedelta(hours=1)
        assert not any(busy(world, email, start, end) for email in people), (start, end)
        # Each is a whole stretch: someone is busy just before it, or the working day starts.
        before = start - timedelta(minutes=5)
        assert start.hour == 9 and start.minute == 0 or any(busy(world, e, before, start) for e in people), start


async def test_the_first_free_hour_says_when_it_starts(world: World) -> None:
    # Thu 19 Nov: free 09:00-09:30 (half an hour), standup 09:30-09:45, then free until 12:10.
    _, done = await world.ask("whens my first free hour tomorrow")
    assert "first free for an hour at 09:45 on Thu 19 Nov" in done.answer, done.answer


async def test_nothing_found_is_said_plainly(world: World) -> None:
    _, done = await world.ask("emails about the zeppelin maintenance schedule from Gandalf")
    assert "didn't find" in done.answer.lower() or not done.sources


async def test_a_typo_is_corrected_and_the_answer_says_so(world: World) -> None:
    _, done = await world.ask("find the invoise from Harvest & Co")
    assert any("HC-2291" in s.title for s in done.sources[:5]), [s.title for s in done.sources[:6]]
    assert "\u201cinvoice\u201d instead of \u201cinvoise\u201d" in done.answer


async def _newest_mail(world: World, condition: str = "true") -> list[tuple[str, object]]:
    async with world.concierge.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT subject, internal_date FROM gmail_cache WHERE user_id = :u "
                f"AND NOT labels && ARRAY['TRASH', 'SPAM'] AND {condition} ORDER BY internal_date DESC LIMIT 10"
            ),
            {"u": world.alex},
        )
        return [tuple(row) for row in rows]


async def test_the_latest_email_from_someone_is_their_newest(world: World) -> None:
    _, done = await world.ask("the latest email from Sarah Chen")
    # "from Sarah Chen": she sent it (Alex's replies to her are newer).
    newest = await _newest_mail(world, "sender_email = 'sarah.chen@northwindlabs.com'")
    mail = [s for s in done.sources if s.service == "gmail"]
    # Mail sent by earlier tests can share the newest time: any of those may come first.
    assert mail and mail[0].when == newest[0][1], ([(s.title, s.when) for s in mail[:3]], newest)
    assert mail[0].title in {title for title, when in newest if when == newest[0][1]}
    assert [s.when for s in mail] == sorted((s.when for s in mail), reverse=True)


async def test_latest_emails_with_no_topic_lists_the_newest_mail(world: World) -> None:
    _, done = await world.ask("show my latest emails")
    mail = [s for s in done.sources if s.service == "gmail"]
    assert mail, done.answer
    assert "the 5 newest:" in done.answer  # not "the 5 most relevant"
    assert [s.when for s in mail] == sorted((s.when for s in mail), reverse=True)
    newest = await _newest_mail(world)
    assert mail[0].when == newest[0][1]


async def test_the_most_recent_invoice_comes_first(world: World) -> None:
    _, done = await world.ask("my most recent invoice email")
    mail = [s for s in done.sources if s.service == "gmail"]
    assert mail and "invoice" in mail[0].title.lower(), [(s.title, s.when) for s in mail[:5]]
    assert [s.when for s in mail] == sorted((s.when for s in mail), reverse=True)
