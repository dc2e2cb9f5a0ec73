"""The task judge itself: right outcomes pass, and each kind of wrong outcome fails.

Outcomes are built by hand here (the sandbox items in the shapes the sandbox keeps them);
the workspace before the task is a small in-memory one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.tools.tasks.judge import ItemChange, Outcome, Source, judge, states
from assistant.tools.tasks.suite import Fact, Task

LONDON = ZoneInfo("Europe/London")
ALEX = "alex.rivera@northwindlabs.com"
DANIEL = "daniel.okafor@northwindlabs.com"
SARAH = "sarah.chen@northwindlabs.com"
TODAY = dt.date(2026, 11, 18)


class Workspace:
    def __init__(
        self,
        messages: list[dict[str, Any]] | None = None,
        busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] | None = None,
    ) -> None:
        self._messages = messages or []
        self._busy = busy or {}

    def messages(self, owner: str) -> list[dict[str, Any]]:
        return self._messages

    def busy(self, email: str, start: dt.datetime, end: dt.datetime) -> bool:
        return any(s < end and start < e for s, e in self._busy.get(email, []))


def task(expect: dict[str, Any]) -> Task:
    return Task.model_validate({"id": "a-task", "requests": ["a", "b", "c"], "expect": expect})


def outcome(
    answer: str = "",
    sources: list[Source] | None = None,
    changes: list[ItemChange] | None = None,
    question: str | None = None,
) -> Outcome:
    return Outcome(answer=answer, sources=sources or [], question=question, changes=changes or [])


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def message(
    id: str, subject: str, sender: str, to: str, day: int, labels: list[str], thread: str = "t1", text: str = ""
) -> dict[str, Any]:
    stamp = int(at(day, 9).timestamp() * 1000)
    index = {"from": sender, "to": to, "cc": "", "subject": subject, "text": text}
    return {"id": id, "threadId": thread, "labelIds": labels, "internalDate": str(stamp), "index": index}


def event(id: str, summary: str, start: dt.datetime, minutes: int, **extra: Any) -> dict[str, Any]:
    end = start + dt.timedelta(minutes=minutes)
    body = {"id": id, "status": "confirmed", "summary": summary, "organizer": {"email": ALEX}}
    body |= {"start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()}}
    return {"event": body | extra}


def problems(the_task: Task, the_outcome: Outcome, workspace: Workspace | None = None) -> list[str]:
    return judge(the_task, the_outcome, workspace or Workspace(), LONDON).problems


# --- reads ------------------------------------------------------------------------------

NEXT_ONE_ON_ONE = task(
    {
        "first": {"service": "calendar", "title": "1:1 Priya / Alex", "day": "2026-11-23"},
        "not_cite": [{"service": "gmail", "title": "Budget breaks"}],
        "facts": [{"date": "2026-11-23"}, {"time": "10:00"}],
    }
)
ONE_ON_ONE_23 = Source("calendar", "e1_20261123", "1:1 Priya / Alex", at(23, 10))
ONE_ON_ONE_2028 = Source("calendar", "e1_20281127", "1:1 Priya / Alex", dt.datetime(2028, 11, 27, 10, tzinfo=LONDON))


def test_the_right_read_passes() -> None:
    assert (
        problems(
            NEXT_ONE_ON_ONE, outcome("Your next 1:1 with Priya is on Monday 23 November at 10:00.", [ONE_ON_ONE_23])
        )
        == []
    )


def test_the_wrong_first_item_fails() -> None:
    found = problems(NEXT_ONE_ON_ONE, outcome("Monday 23 November at 10:00", [ONE_ON_ONE_2028, ONE_ON_ONE_23]))
    assert found == ["first source is '1:1 Priya / Alex', not calendar '1:1 Priya / Alex' on 2026-11-23"]


def test_a_missing_fact_and_a_forbidden_source_fail() -> None:
    promo = Source("gmail", "m9", "Budget breaks", at(10, 8))
    found = problems(NEXT_ONE_ON_ONE, outcome("Monday 27 November 2028 at 10:00", [ONE_ON_ONE_23, promo]))
    assert "cited what it must not: gmail 'Budget breaks'" in found
    assert "the answer does not state 2026-11-23" in found


@pytest.mark.parametrize(
    ("fact", "answer", "stated"),
    [
        (Fact(date=dt.date(2026, 11, 23)), "on Mon 23 Nov", True),
        (Fact(date=dt.date(2026, 11, 23)), "November 23rd", True),
        (Fact(date=dt.date(2026, 11, 23)), "2026-11-23", True),
        (Fact(date=dt.date(2026, 11, 23)), "on 24 Nov", False),
        (Fact(date=dt.date(2026, 11, 23)), "on 23 Dec", False),
        (Fact(date=dt.date(2026, 11, 19)), "tomorrow at 9", True),
        (Fact(time=dt.time(15, 0)), "at 3pm", True),
        (Fact(time=dt.time(15, 0)), "at 15:00", True),
        (Fact(time=dt.time(15, 0)), "at 3 p.m.", True),
        (Fact(time=dt.time(15, 0)), "at 13:00", False),
        (Fact(time=dt.time(15, 0)), "at 3am", False),
        (Fact(time=dt.time(10, 0)), "10:00-10:45", True),
        (Fact(time=dt.time(10, 45)), "10:00-10:45", True),
        (Fact(time=dt.time(10, 0)), "at 10:30", False),
        (Fact(count=3), "You have 3 meetings", True),
        (Fact(count=3), "You have three meetings", True),
        (Fact(count=3), "You have 13 meetings", False),
        (Fact(count=3), "on 3/11", False),
        (Fact(count=3), "the last one on 3 Nov", False),
        (Fact(count=3), "on Nov 3, at 10:00", False),
        (Fact(count=3), "at 3pm", False),
        (Fact(count=3), "3 emails, the newest on 12 Nov", True),
        (Fact(count=3), "3 marketing emails", True),
        (Fact(count=5), "I found 10 emails; the 5 most relevant:", False),
        (Fact(count=5), "the top 5 results", False),
        (Fact(count=10), "I found 10 emails; the 5 most relevant:", True),
        (Fact(count=3), "- [3] **Design review**", False),
        (Fact(count=3), "the total is 3.", True),
        (Fact(count=30), "30 minutes with Daniel", False),
        (Fact(count=1), "I found one event:", True),
        (Fact(date=dt.date(2026, 11, 17)), "yesterday at 4", True),
        (Fact(text=["Sarah Chen"]), "from Sarah Cheng", False),
        (Fact(text=["Tom"]), "tomorrow", False),
        (Fact(text=["Priya", "Priya Shah"]), "with priya shah", True),
        (Fact(text=["Priya"]), "with Sarah", False),
        # An address prefix ("sarah.chen@") stands for any of that person's addresses.
        (Fact(text=["sarah.chen@"]), "owned by sarah.chen@northwindlabs.com", True),
        (Fact(text=["sarah.chen@"]), "owned by sarah.cheng@brightwave.io", False),
    ],
)
def test_facts_are_read_in_the_usual_ways_of_writing_them(fact: Fact, answer: str, stated: bool) -> None:
    assert states(answer, fact, TODAY) is stated


def test_stating_what_must_not_be_stated_fails() -> None:
    flight = task({"facts": [{"text": ["TK7QXM"]}], "not_facts": [{"text": ["has been cancelled", "I cancelled"]}]})
    assert problems(flight, outcome("Call Turkish Airlines with booking TK7QXM; the fee is GBP 110.")) == []
    found = problems(flight, outcome("Your flight TK7QXM has been cancelled."))
    assert found == ["the answer states 'has been cancelled' / 'I cancelled', which it must not"]


def test_a_read_that_writes_fails() -> None:
    sent = ItemChange("message", ALEX, "m2", None, message("m2", "Hi", ALEX, DANIEL, 18, ["SENT"]))
    assert problems(NEXT_ONE_ON_ONE, outcome("Monday 23 Nov at 10:00", [ONE_ON_ONE_23], [sent])) == [
        "also changed: message 'Hi' added"
    ]


def test_a_failure_of_the_product_fails() -> None:
    broken = outcome("Monday 23 Nov at 10:00", [ONE_ON_ONE_23])
    broken.error = "TimeoutError: "
    assert problems(NEXT_ONE_ON_ONE, broken) == ["failed: TimeoutError: "]


# --- questions back ---------------------------------------------------------------------

AMBIGUOUS = task({"asks": {"about": ["Sarah Chen", "Sarah Cheng"]}})


def test_a_question_back_about_the_candidates_passes() -> None:
    assert problems(AMBIGUOUS, outcome(question="Which Sarah do you mean? Sarah Chen Sarah Cheng")) == []
    assert problems(AMBIGUOUS, outcome("Do you mean Sarah Chen or Sarah Cheng?")) == []


def test_no_question_or_a_question_about_something_else_fails() -> None:
    assert problems(AMBIGUOUS, outcome("Sent.")) == ["it did not ask back"]
    assert problems(AMBIGUOUS, outcome(question="Email or calendar? Email Calendar"))[0].startswith("it asked")
    only_cheng = task({"asks": {"about": ["Sarah Chen"]}})
    assert problems(only_cheng, outcome(question="Did you mean Sarah Cheng?"))[0].startswith("it asked")


# --- sends, replies, forwards, drafts -----------------------------------------------------

SEND = task(
    {"changes": [{"type": "sent", "to": [DANIEL], "subject_exact": "Staging", "body": ["the deploy is green"]}]}
)


def sent(
    to: str = DANIEL, subject: str = "Staging", text: str = "Hi Daniel, the deploy is green.", thread: str = "new"
) -> ItemChange:
    return ItemChange("message", ALEX, "s1", None, message("s1", subject, ALEX, to, 18, ["SENT"], thread, text))


def test_the_right_send_passes() -> None:
    assert problems(SEND, outcome("Sent.", changes=[sent()])) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (sent(to=SARAH), "to ['sarah.chen@northwindlabs.com']"),
        (sent(subject="staging"), "subject 'staging'"),
        (sent(text="Hi Daniel."), "body lacks ['the deploy is green']"),
    ],
)
def test_a_wrong_send_fails(change: ItemChange, reason: str) -> None:
    found = problems(SEND, outcome(changes=[change]))
    assert found[0].startswith("missing: ") and reason in found[0], found
    assert found[1:] == ["also changed: message 'Staging' added".replace("Staging", change.after["index"]["subject"])]


def test_nothing_sent_or_something_more_fails() -> None:
    assert problems(SEND, outcome())[0].startswith("missing: ")
    extra = ItemChange(
        "file",
        ALEX,
        "f1",
        {"file": {"name": "Deck", "permissions": []}},
        {"file": {"name": "Deck 2", "permissions": []}},
    )
    assert problems(SEND, outcome(changes=[sent(), extra])) == ["also changed: file 'Deck 2' modified"]


def test_a_reply_must_continue_the_thread() -> None:
    original = message("o1", "Q4 Financial Review", SARAH, ALEX, 16, ["INBOX"], thread="q4")
    reply = task(
        {
            "changes": [
                {
                    "type": "sent",
                    "to": [SARAH],
                    "reply_to": {"service": "gmail", "title": "Q4 Financial Review", "from": SARAH},
                }
            ]
        }
    )
    workspace = Workspace([original])
    assert (
        problems(reply, outcome(changes=[sent(to=SARAH, subject="Re: Q4 Financial Review", thread="q4")]), workspace)
        == []
    )
    assert (
        "not in the thread replied to"
        in problems(reply, outcome(changes=[sent(to=SARAH, thread="other")]), workspace)[0]
    )


def test_a_draft_is_not_a_send() -> None:
    draft = task({"changes": [{"type": "draft", "to": [DANIEL], "body": ["green"]}]})
    draft_message = ItemChange(
        "message", ALEX, "d1", None, message("d1", "Staging", ALEX, DANIEL, 18, ["DRAFT"], text="green")
    )
    draft_item = ItemChange("draft", ALEX, "r1", None, {"id": "r1", "messageId": "d1"})
    assert problems(draft, outcome(changes=[draft_message, draft_item])) == []
    assert problems(draft, outcome(changes=[sent()]))[0].startswith("missing: ")
    assert problems(SEND, outcome(changes=[draft_message, draft_item]))[0].startswith("missing: ")


# --- bulk trash ---------------------------------------------------------------------------

TOMS = [
    message(f"t{n}", f"Note {n}", "Tom Becker <tom.becker@northwindlabs.com>", ALEX, 10 + n, ["INBOX"])
    for n in range(3)
]
OTHER = message(
    "x1", "Re: Note 1", "Alex Rivera <alex.rivera@northwindlabs.com>", "tom.becker@northwindlabs.com", 15, ["SENT"]
)
ALL_FROM_TOM = task({"changes": [{"type": "trashed", "scope": {"from": "tom.becker@northwindlabs.com"}}]})


def trash(item: dict[str, Any]) -> ItemChange:
    return ItemChange("message", ALEX, item["id"], item, item | {"labelIds": [*item["labelIds"], "TRASH"]})


def test_trashing_exactly_the_scope_passes() -> None:
    assert problems(ALL_FROM_TOM, outcome(changes=[trash(m) for m in TOMS]), Workspace([*TOMS, OTHER])) == []


def test_trashing_one_of_them_or_one_more_fails() -> None:
    workspace = Workspace([*TOMS, OTHER])
    one = problems(ALL_FROM_TOM, outcome(changes=[trash(TOMS[0])]), workspace)
    assert one == ["trashed 1 messages, 2 of the 3 intended missing, 0 others"]
    more = problems(ALL_FROM_TOM, outcome(changes=[trash(m) for m in [*TOMS, OTHER]]), workspace)
    assert more[0] == "trashed 4 messages, 0 of the 3 intended missing, 1 others"


def test_two_scopes_are_one_set_of_trashed_messages() -> None:
    easyjet = message("e1", "Sale", "easyJet <news@easyjet.com>", ALEX, 12, ["INBOX"])
    ryanair = message("r1", "Fares", "Ryanair <news@ryanair.com>", ALEX, 13, ["INBOX"])
    both = task(
        {
            "changes": [
                {"type": "trashed", "scope": {"from": "easyjet.com"}},
                {"type": "trashed", "scope": {"from": "ryanair.com"}},
            ]
        }
    )
    workspace = Workspace([easyjet, ryanair, *TOMS])
    assert problems(both, outcome(changes=[trash(easyjet), trash(ryanair)]), workspace) == []
    assert problems(both, outcome(changes=[trash(easyjet)]), workspace)[0].startswith("trashed 1 messages, 1 of the 2")


def test_a_curly_apostrophe_in_the_answer_still_states_the_words() -> None:
    assert states("I can\u2019t read Sarah\u2019s inbox", Fact(text=["can't"]), TODAY)


# --- events -------------------------------------------------------------------------------

CRIT = task(
    {
        "changes": [
            {
                "type": "event_created",
                "summary_exact": "Design Crit",
                "start": "2026-11-19T13:00:00",
                "duration_minutes": 90,
                "attendees": [DANIEL],
                "free": [DANIEL],
            }
        ]
    }
)


CRIT_START = at(19, 13)


def created(
    summary: str = "Design Crit",
    start: dt.datetime = CRIT_START,
    minutes: int = 90,
    attendees: tuple[str, ...] = (ALEX, DANIEL),
) -> ItemChange:
    return ItemChange(
        "event", ALEX, "n1", None, event("n1", summary, start, minutes, attendees=[{"email": e} for e in attendees])
    )


def test_the_right_event_passes() -> None:
    assert problems(CRIT, outcome(changes=[created()])) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (created(summary="design crit"), "title 'design crit'"),
        (created(minutes=30), "lasts 30 minutes"),
        (created(start=at(19, 14)), "starts Thu 19 Nov 14:00"),
        (created(attendees=(ALEX,)), "attendees []"),
    ],
)
def test_a_wrong_event_fails(change: ItemChange, reason: str) -> None:
    found = problems(CRIT, outcome(changes=[change]))
    assert found[0].startswith("missing: ") and reason in found[0], found
    assert found[1].startswith("also changed: event") and len(found) == 2


def test_an_event_when_an_attendee_is_busy_fails() -> None:
    workspace = Workspace(busy={DANIEL: [(at(19, 14), at(19, 15))]})
    assert "daniel.okafor@northwindlabs.com busy then" in problems(CRIT, outcome(changes=[created()]), workspace)[0]


SERIES = event(
    "p1", "1:1 Priya / Alex", at(18, 10) - dt.timedelta(days=184), 45, recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"]
)
MOVE = task(
    {
        "changes": [
            {
                "type": "event_changed",
                "event": {"service": "calendar", "title": "1:1 Priya / Alex", "day": "2026-11-23"},
                "start": "2026-11-23T15:00:00",
                "duration_minutes": 45,
            }
        ]
    }
)


def override(start: dt.datetime, minutes: int, original_day: int = 23, **extra: Any) -> ItemChange:
    body = event(
        "p1_20261123",
        "1:1 Priya / Alex",
        start,
        minutes,
        recurringEventId="p1",
        originalStartTime={"dateTime": at(original_day, 10).isoformat()},
        **extra,
    )
    return ItemChange("event", ALEX, "p1_20261123", None, body)


def test_moving_the_next_occurrence_keeping_its_length_passes() -> None:
    assert problems(MOVE, outcome(changes=[override(at(23, 15), 45)])) == []


def test_a_move_that_changes_the_length_or_the_wrong_occurrence_or_the_series_fails() -> None:
    assert "lasts 60 minutes" in problems(MOVE, outcome(changes=[override(at(23, 15), 60)]))[0]
    assert "another event" in problems(MOVE, outcome(changes=[override(at(30, 15), 45, original_day=30)]))[0]
    moved_series = event(
        "p1", "1:1 Priya / Alex", at(18, 15) - dt.timedelta(days=184), 45, recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"]
    )
    assert (
        "another event" in problems(MOVE, outcome(changes=[ItemChange("event", ALEX, "p1", SERIES, moved_series)]))[0]
    )


def test_cancelling_one_the_following_or_all() -> None:
    ref = {"service": "calendar", "title": "1:1 Priya / Alex", "day": "2026-11-23"}
    one = task({"changes": [{"type": "event_cancelled", "event": ref}]})
    following = task({"changes": [{"type": "event_cancelled", "event": ref, "scope": "following"}]})
    cancelled_one = override(at(23, 10), 45, status="cancelled")
    ended = event(
        "p1",
        "1:1 Priya / Alex",
        at(18, 10) - dt.timedelta(days=184),
        45,
        recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261122T235959Z"],
    )
    ended_series = ItemChange("event", ALEX, "p1", SERIES, ended)
    assert problems(one, outcome(changes=[cancelled_one])) == []
    assert problems(following, outcome(changes=[ended_series])) == []
    assert problems(one, outcome(changes=[ended_series]))[0].startswith("missing: ")
    assert problems(following, outcome(changes=[cancelled_one]))[0].startswith("missing: ")


@pytest.mark.parametrize(("until", "ended_before"), [("20261123T095959Z", True), ("20261123T100000Z", False)])
def test_a_series_ended_on_the_day_itself_ends_before_that_occurrence_only_if_until_is_earlier(
    until: str, ended_before: bool
) -> None:
    # UNTIL is inclusive (RFC 5545): 09:59:59 UTC on Mon 23 Nov leaves out the 10:00 occurrence.
    ref = {"service": "calendar", "title": "1:1 Priya / Alex", "day": "2026-11-23"}
    following = task({"changes": [{"type": "event_cancelled", "event": ref, "scope": "following"}]})
    rule = f"RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL={until}"
    ended = event("p1", "1:1 Priya / Alex", at(18, 10) - dt.timedelta(days=184), 45, recurrence=[rule])
    found = problems(following, outcome(changes=[ItemChange("event", ALEX, "p1", SERIES, ended)]))
    assert (found == []) is ended_before, found


# --- files --------------------------------------------------------------------------------


def test_sharing_with_the_role_asked_for() -> None:
    share = task(
        {
            "changes": [
                {
                    "type": "file_shared",
                    "file": {"service": "drive", "title": "Product roadmap 2027"},
                    "email": DANIEL,
                    "role": "writer",
                }
            ]
        }
    )
    before = {"file": {"name": "Product roadmap 2027", "permissions": [{"emailAddress": ALEX, "role": "owner"}]}}

    def shared(role: str) -> ItemChange:
        permissions = [*before["file"]["permissions"], {"emailAddress": DANIEL, "role": role}]
        return ItemChange(
            "file", ALEX, "f1", before, {"file": {"name": "Product roadmap 2027", "permissions": permissions}}
        )

    assert problems(share, outcome(changes=[shared("writer")])) == []
    assert "has reader" in problems(share, outcome(changes=[shared("reader")]))[0]
    # The sandbox records a Drive file's change with no owner: the store is every account's.
    unowned = shared("writer")
    assert problems(share, outcome(changes=[ItemChange("file", "", unowned.id, unowned.before, unowned.after)])) == []
