"""Calendar changes from typed step params: a shift, a move to another day, a resize and a
rename of one event, and the deletion of a recurring series (all of it, or from one
occurrence on). Each is proposed by a plan run through the orchestrator, recorded and
confirmed at the ActionDesk, checked at the sandbox through the real Google client, and
undone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from assistant.orchestrator import Orchestrator, StepResult
from assistant.pipeline import ClarificationEvent
from assistant.plan import Binding, ExecutionPlan, PlanStep
from assistant.writes import PendingAction
from tests.execution.conftest import ALEX, LONDON, NOW, World, google


async def propose(world: World, find: dict[str, Any], operation: str, params: dict[str, Any]) -> PendingAction:
    """Find the event with a search step, propose `operation` on its best result, and record it."""
    plan = ExecutionPlan(
        steps=[
            PlanStep(id="find", service="calendar", operation="search", description="Find the event", params=find),
            PlanStep(
                id="change",
                service="calendar",
                operation=operation,
                description="Change it",
                params=params,
                inputs={"event": Binding(step="find", output="top")},
            ),
        ]
    )
    desk = await world.concierge.actions(world.alex)

    async def record(step: PlanStep, proposed: Any) -> PendingAction:
        return await desk.record(world.alex, proposed)

    context = await world.concierge.context_for(world.alex, NOW)
    results: dict[str, StepResult] = {}
    async for _ in Orchestrator(world.concierge.agents, record).run(plan, context, results):
        pass
    assert results["change"].status == "awaiting_confirmation", {k: r.error for k, r in results.items()}
    return results["change"].outputs["action"]


def at_google(world: World, event_id: str) -> dict[str, Any]:
    return google(world.sandbox, ALEX, "calendar").events().get(calendarId="primary", eventId=event_id).execute()


def times(event: dict[str, Any]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(event["start"]["dateTime"]), datetime.fromisoformat(event["end"]["dateTime"])


def listed(world: World, summary: str, after: datetime, before: datetime | None = None) -> list[dict[str, Any]]:
    """The occurrences of `summary` Google lists from `after` (to `before`, or as far ahead
    as it expands recurring events by default, which is what sync caches)."""
    calendar = google(world.sandbox, ALEX, "calendar")
    bounds = {"timeMin": after.isoformat()} | ({"timeMax": before.isoformat()} if before else {})
    found = (
        calendar.events()
        .list(calendarId="primary", q=summary, singleEvents=True, orderBy="startTime", maxResults=2500, **bounds)
        .execute()["items"]
    )
    return [event for event in found if event["summary"] == summary]


async def confirm_then_undo(world: World, action: PendingAction) -> tuple[PendingAction, Any]:
    desk = await world.concierge.actions(world.alex)
    done = await desk.confirm(world.alex, action.id)
    assert done.status == "done", done.error
    return done, desk


async def cached(world: World, params: dict[str, Any]) -> list[Any]:
    """What a search step finds in the cache now."""
    context = await world.concierge.context_for(world.alex, NOW)
    step = PlanStep(id="look", service="calendar", operation="search", description="Look", params=params)
    return (await world.concierge.agents["calendar"].run(step, {}, context))["items"]


TOMORROW = datetime(2026, 11, 19, tzinfo=LONDON)


async def test_a_shift_moves_tomorrows_standup_earlier_keeping_its_length_then_undo(world: World) -> None:
    find = {
        "text": "standup",
        "filters": {"after": TOMORROW.isoformat(), "before": (TOMORROW + timedelta(days=1)).isoformat()},
        "order": "next",
        "count": 1,
    }
    action = await propose(world, find, "update", {"shift_minutes": -15})
    event_id = action.fields["event_id"]
    start, end = times(at_google(world, event_id))
    assert start == datetime(2026, 11, 19, 9, 30, tzinfo=LONDON) and end - start == timedelta(minutes=15)
    assert action.preview == (
        "Move \u201cProduct standup\u201d from Thu 19 Nov, 09:30\u201309:45 (Europe/London) "
        "to Thu 19 Nov, 09:15\u201309:30 (Europe/London)"
    )

    done, desk = await confirm_then_undo(world, action)
    moved = times(at_google(world, event_id))
    assert moved == (start - timedelta(minutes=15), end - timedelta(minutes=15))
    assert [item.when for item in await cached(world, find | {"filters": {}})][:1] != [start]  # the cache moved too
    await desk.undo(world.alex, action.id)
    assert times(at_google(world, event_id)) == (start, end)


async def test_a_move_to_another_day_keeps_the_time_of_day_then_undo(world: World) -> None:
    action = await propose(
        world, {"text": "Istanbul talk rehearsal with Hannah", "limit": 5}, "update", {"day": "2026-12-01"}
    )
    event_id = action.fields["event_id"]
    start, end = times(at_google(world, event_id))
    assert start == datetime(2026, 11, 30, 16, 0, tzinfo=LONDON)
    assert "to Tue 1 Dec, 16:00\u201316:45 (Europe/London)" in action.preview, action.preview

    _, desk = await confirm_then_undo(world, action)
    assert times(at_google(world, event_id)) == (start + timedelta(days=1), end + timedelta(days=1))
    await desk.undo(world.alex, action.id)
    assert times(at_google(world, event_id)) == (start, end)


async def test_a_resize_keeps_the_start_then_undo(world: World) -> None:
    action = await propose(world, {"text": "Prep: Q4 Financial Review", "limit": 5}, "update", {"duration_minutes": 60})
    event_id = action.fields["event_id"]
    start, end = times(at_google(world, event_id))
    assert end - start == timedelta(minutes=30)
    assert action.preview == (
        "Make \u201cPrep: Q4 Financial Review\u201d 60 minutes (Mon 23 Nov, 16:00\u201317:00 (Europe/London))"
    )

    _, desk = await confirm_then_undo(world, action)
    assert times(at_google(world, event_id)) == (start, start + timedelta(minutes=60))
    await desk.undo(world.alex, action.id)
    assert times(at_google(world, event_id)) == (start, end)


async def test_a_rename_changes_only_the_title_then_undo(world: World) -> None:
    action = await propose(
        world, {"text": "Focus: Istanbul talk slides", "limit": 5}, "update", {"summary": "Focus: talk slides"}
    )
    event_id = action.fields["event_id"]
    before = at_google(world, event_id)
    assert action.preview == "Rename \u201cFocus: Istanbul talk slides\u201d to \u201cFocus: talk slides\u201d"

    _, desk = await confirm_then_undo(world, action)
    renamed = at_google(world, event_id)
    assert renamed["summary"] == "Focus: talk slides" and times(renamed) == times(before)
    await desk.undo(world.alex, action.id)
    restored = at_google(world, event_id)
    assert restored["summary"] == "Focus: Istanbul talk slides" and times(restored) == times(before)


async def test_a_new_start_alone_keeps_the_length(world: World) -> None:
    action = await propose(
        world,
        {"text": "Prep: Q4 Financial Review", "limit": 5},
        "update",
        {"start": datetime(2026, 11, 24, 9, 0, tzinfo=LONDON).isoformat()},
    )
    start, end = datetime.fromisoformat(action.fields["start"]), datetime.fromisoformat(action.fields["end"])
    assert start == datetime(2026, 11, 24, 9, 0, tzinfo=LONDON) and end - start == timedelta(minutes=30)
    assert action.preview.startswith("Move \u201cPrep: Q4 Financial Review\u201d from Mon 23 Nov, 16:00")


async def test_deleting_a_whole_series_then_undo(world: World) -> None:
    summary = "1:1 Alex / Daniel"
    before = listed(world, summary, NOW - timedelta(days=400))
    assert len(before) > 100
    action = await propose(
        world,
        {"text": "1:1", "filters": {"people": ["Daniel"]}, "order": "next", "count": 1},
        "delete",
        {"series": "all"},
    )
    assert action.preview == f"Delete all {len(before)} occurrences of \u201c{summary}\u201d (the whole series)"
    series_id = before[0]["recurringEventId"]

    _, desk = await confirm_then_undo(world, action)
    assert at_google(world, series_id)["status"] == "cancelled"
    assert listed(world, summary, NOW - timedelta(days=400)) == []
    assert [i for i in await cached(world, {"text": summary, "limit": 20}) if i.title == summary] == []

    await desk.undo(world.alex, action.id)
    after = listed(world, summary, NOW - timedelta(days=400))
    assert [times(e) for e in after] == [times(e) for e in before]
    coming = await cached(world, {"text": "1:1", "filters": {"people": ["Daniel"]}, "order": "next", "count": 1})
    assert [(i.title, i.when) for i in coming] == [(summary, datetime(2026, 11, 19, 14, 0, tzinfo=LONDON))]


async def test_deleting_an_occurrence_and_the_following_ones_then_undo(world: World) -> None:
    summary = "Design review"
    cut = datetime(2026, 11, 25, tzinfo=LONDON)
    earlier = listed(world, summary, NOW - timedelta(days=400), cut)
    following = listed(world, summary, cut)
    assert earlier and len(following) > 50
    action = await propose(
        world,
        {"text": summary, "filters": {"after": cut.isoformat()}, "order": "next", "count": 1},
        "delete",
        {"series": "following"},
    )
    assert action.preview == (
        f"Delete {len(following)} occurrences of \u201c{summary}\u201d: "
        "Wed 25 Nov, 11:00\u201312:00 (Europe/London) and every one after it"
    )

    _, desk = await confirm_then_undo(world, action)
    assert [times(e) for e in listed(world, summary, NOW - timedelta(days=400))] == [times(e) for e in earlier]
    assert await cached(world, {"text": summary, "filters": {"after": cut.isoformat()}, "order": "next"}) == []

    await desk.undo(world.alex, action.id)
    assert [times(e) for e in listed(world, summary, cut)] == [times(e) for e in following]
    coming = await cached(world, {"text": summary, "filters": {"after": cut.isoformat()}, "order": "next", "count": 1})
    assert [(i.title, i.when) for i in coming] == [(summary, datetime(2026, 11, 25, 11, 0, tzinfo=LONDON))]


async def test_an_all_day_event_moved_to_another_day_stays_all_day_then_undo(world: World) -> None:
    action = await propose(world, {"text": "Out of office: Istanbul", "limit": 5}, "update", {"day": "2026-12-03"})
    event_id = action.fields["event_id"]
    before = at_google(world, event_id)
    assert (before["start"], before["end"]) == ({"date": "2026-12-02"}, {"date": "2026-12-06"})
    assert action.preview == (
        "Move \u201cOut of office: Istanbul\u201d from Wed 2 Dec to Sat 5 Dec (all day) "
        "to Thu 3 Dec to Sun 6 Dec (all day)"
    )

    _, desk = await confirm_then_undo(world, action)
    moved = at_google(world, event_id)
    assert (moved["start"], moved["end"]) == ({"date": "2026-12-03"}, {"date": "2026-12-07"})
    await desk.undo(world.alex, action.id)
    back = at_google(world, event_id)
    assert (back["start"], back["end"]) == ({"date": "2026-12-02"}, {"date": "2026-12-06"})


async def test_every_event_found_is_deleted_then_undo(world: World) -> None:
    """`every` finds them all; a delete bound to them (no booking) takes them all."""
    plan = ExecutionPlan(
        steps=[
            PlanStep(
                id="find",
                service="calendar",
                operation="search",
                description="Find them",
                params={"text": "Istanbul talk", "order": "next", "every": True},
            ),
            PlanStep(
                id="delete",
                service="calendar",
                operation="delete",
                description="Delete them",
                params={"series": "one"},
                inputs={"events": Binding(step="find", output="items")},
            ),
        ]
    )
    desk = await world.concierge.actions(world.alex)

    async def record(step: PlanStep, proposed: Any) -> PendingAction:
        return await desk.record(world.alex, proposed)

    context = await world.concierge.context_for(world.alex, NOW)
    results: dict[str, StepResult] = {}
    async for _ in Orchestrator(world.concierge.agents, record).run(plan, context, results):
        pass
    found = results["find"].outputs
    titles = [item.title for item in found["items"]]
    assert {"Focus: Istanbul talk slides", "Istanbul talk rehearsal with Hannah"} <= set(titles), titles
    assert found["total"] == len(titles) and [i.when for i in found["items"]] == sorted(i.when for i in found["items"])
    action = results["delete"].outputs["action"]
    assert len(action.fields["events"]) == len(titles)
    lines = action.preview.splitlines()
    assert len(lines) == len(titles)
    assert (
        "Delete \u201cIstanbul talk rehearsal with Hannah\u201d, Mon 30 Nov, 16:00\u201316:45 (Europe/London)" in lines
    )
    ids = [event["event_id"] for event in action.fields["events"]]

    await desk.confirm(world.alex, action.id)
    assert {at_google(world, event_id)["status"] for event_id in ids} == {"cancelled"}
    await desk.undo(world.alex, action.id)
    for title in titles:
        assert len(listed(world, title, NOW)) == 1, title


@pytest.mark.parametrize(
    ("request_text", "verb"),
    [
        ("cancel the Q4 Financial Review", "cancel"),
        ("push the Q4 review back by 30 minutes", "move"),
        ("could you move the q4 financial review on tuesday to 3pm?", "move"),
    ],
)
async def test_an_event_someone_else_organises_is_theirs_to_change(world: World, request_text: str, verb: str) -> None:
    # Sarah organises the Q4 Financial Review; Alex is a guest. The one titled so is meant,
    # not "Prep: Q4 Financial Review" the day before, and nothing is proposed: Alex is asked.
    events, done = await world.ask(request_text)
    (asked,) = [event.clarification for event in events if isinstance(event, ClarificationEvent)]
    assert asked.question.startswith("\u201cQ4 Financial Review\u201d is Sarah Chen's event")
    assert f"can {verb} it" in asked.question and "decline" in asked.question
    assert done.actions == []


def guests(world: World, event_id: str) -> list[str]:
    calendar = google(world.sandbox, ALEX, "calendar")
    event = calendar.events().get(calendarId="primary", eventId=event_id).execute()
    return sorted(a["email"] for a in event.get("attendees", []))


@pytest.mark.parametrize(
    ("request_text", "who", "joins"),
    [
        ("add Hannah to the Beacon kickoff", "hannah.lee@northwindlabs.com", True),
        (
            "could you invite hannah lee to the beacon kick off next thursday as well?",
            "hannah.lee@northwindlabs.com",
            True,
        ),
        ("take Daniel off the Roadmap 2027 review", "daniel.okafor@northwindlabs.com", False),
        (
            "remove daniel from the guest list of the roadmap review with priya",
            "daniel.okafor@northwindlabs.com",
            False,
        ),
    ],
)
async def test_people_join_or_leave_an_existing_event_and_undo_puts_the_list_back(
    world: World, request_text: str, who: str, joins: bool
) -> None:
    # An existing event's guest list changes (no new event), after confirmation, and undo
    # gives the list back as it was.
    _, done = await world.ask(request_text)
    (action,) = done.actions
    assert action.operation == "update" and action.fields["attendees"] is not None
    event_id = action.fields["event_id"]
    before = guests(world, event_id)
    assert (who in before) is not joins
    assert ("Invite" if joins else "Remove") in action.preview and who in action.preview
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)
    assert (who in guests(world, event_id)) is joins
    assert set(guests(world, event_id)) ^ set(before) == {who}  # no one else came or went
    await desk.undo(world.alex, action.id)
    assert guests(world, event_id) == before


async def test_inviting_someone_already_invited_changes_nothing(world: World) -> None:
    _, done = await world.ask("add Marco to the Beacon kickoff")
    assert done.actions == []
    assert "already invited" in done.answer


@pytest.mark.parametrize(
    "request_text",
    [
        "delete tomorrow's product standup if it conflicts with the Q4 Financial Review",
        "if tomorrow's standup overlaps the Q4 review, cancel the standup",
    ],
)
async def test_an_act_on_a_clash_that_is_not_there_does_nothing_and_says_when_the_other_is(
    world: World, request_text: str
) -> None:
    # Tomorrow's standup is Thu 19 Nov 09:30; the Q4 Financial Review is Tue 24 Nov 14:00.
    _, done = await world.ask(request_text)
    assert done.actions == []
    assert "doesn't clash with **Q4 Financial Review** (Tue 24 Nov, 14:00\u201314:45)" in done.answer
    assert "Thu 19 Nov, 09:30" in done.answer


@pytest.mark.parametrize(
    ("request_text", "verb"),
    [
        ("if next week's design review overlaps anything, cancel it", "Delete"),
        ("move next week's design review to Thursday at 12 if it clashes with the roadmap review", "Move"),
    ],
)
async def test_an_act_on_a_clash_that_is_there_is_proposed_for_that_occurrence(
    world: World, request_text: str, verb: str
) -> None:
    # Wed 25 Nov: the weekly design review (11:00-12:00) and the roadmap review (11:00-12:30).
    # That occurrence is acted on; a bare weekday is that week's: the move is to Thu 26 Nov,
    # not tomorrow.
    _, done = await world.ask(request_text)
    assert "clashes with **Roadmap 2027 review with Priya** (Wed 25 Nov, 11:00\u201312:30)" in done.answer
    (action,) = done.actions
    assert action.preview.startswith(verb) and "Wed 25 Nov, 11:00" in action.preview
    if verb == "Move":
        assert "to Thu 26 Nov, 12:00" in action.preview
