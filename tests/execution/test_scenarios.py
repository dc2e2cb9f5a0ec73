"""End-to-end: questions and actions against the synced demo workspace."""

from __future__ import annotations

from assistant.orchestrator import StepEvent
from assistant.pipeline import PlanEvent
from tests.execution.conftest import ALEX, World, google


def titles(done) -> list[str]:
    return [source.title for source in done.sources]


async def test_emails_about_the_budget_find_the_q4_financial_review(world: World) -> None:
    _, done = await world.ask("emails about the budget from Sarah")
    assert any("Q4 Financial Review" in title for title in titles(done)[:5]), titles(done)
    assert "[1]" in done.answer
    assert all(source.service == "gmail" for source in done.sources)


async def test_cross_service_emails_and_meetings_with_sarah(world: World) -> None:
    events, done = await world.ask("emails about the budget from Sarah and my meetings with her next week")
    plan = next(e.plan for e in events if isinstance(e, PlanEvent))
    assert {step.service for step in plan.steps} == {"gmail", "calendar"}
    assert len(plan.levels()) == 1  # both searches run at once
    services = {source.service for source in done.sources}
    assert services == {"gmail", "calendar"}, titles(done)
    meetings = [s for s in done.sources if s.service == "calendar"]
    assert any("Q4 Financial Review" in m.title for m in meetings), [m.title for m in meetings]


async def test_cancel_my_turkish_airlines_flight(world: World) -> None:
    events, done = await world.ask("cancel my Turkish Airlines flight")
    plan = next(e.plan for e in events if isinstance(e, PlanEvent))
    assert [[s.operation for s in level] for level in plan.levels()] == [["search", "search"], ["delete", "draft"]]
    actions = {a.operation: a for a in done.actions}
    assert set(actions) == {"delete", "draft"}, [e for e in events if isinstance(e, StepEvent)]
    # Both legs of the booking, outbound first; the draft quotes the booking reference.
    legs = actions["delete"].fields["events"]
    assert [("TK1980" in e["summary"], "TK1971" in e["summary"]) for e in legs] == [(True, False), (False, True)]
    assert "TK7QXM" in actions["draft"].preview
    assert actions["draft"].fields["to"] == ["noreply@thy.com"]

    # Nothing has been written yet.
    calendar = google(world.sandbox, ALEX, "calendar")
    flight_id = legs[0]["event_id"]
    assert calendar.events().get(calendarId="primary", eventId=flight_id).execute()["status"] != "cancelled"
    gmail = google(world.sandbox, ALEX, "gmail")
    drafts_before = gmail.users().drafts().list(userId="me").execute().get("drafts", [])

    desk = await world.concierge.actions(world.alex)
    for action in done.actions:
        confirmed = await desk.confirm(world.alex, action.id)
        again = await desk.confirm(world.alex, action.id)  # a retried confirmation
        assert confirmed.status == again.status == "done"
    assert calendar.events().get(calendarId="primary", eventId=flight_id).execute()["status"] == "cancelled"
    drafts_after = gmail.users().drafts().list(userId="me").execute().get("drafts", [])
    assert len(drafts_after) == len(drafts_before) + 1

    restored = await desk.undo(world.alex, actions["delete"].id)
    assert restored.status == "undone"
    for number in ("TK1980", "TK1971"):
        flights = calendar.events().list(calendarId="primary", q=number, singleEvents=True).execute()["items"]
        assert any(e.get("status") == "confirmed" for e in flights), number
