"""Actions end to end: proposed, checked at the sandbox that nothing happened, confirmed
(twice: once is what happens), cancelled or undone, and checked at the sandbox again."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import pytest

from assistant.actions import ActionError
from assistant.orchestrator import Orchestrator, StepResult
from assistant.plan import ExecutionPlan, PlanStep
from tests.execution.conftest import ALEX, LONDON, NOW, SARAH, World, busy, google


def only_action(done, operation: str):
    actions = [a for a in done.actions if a.operation == operation]
    assert len(actions) == 1, (done.answer, done.actions)
    return actions[0]


def inbox(world: World, email: str, query: str) -> list[dict]:
    gmail = google(world.sandbox, email, "gmail")
    found = gmail.users().messages().list(userId="me", q=query).execute().get("messages", [])
    return [gmail.users().messages().get(userId="me", id=m["id"], format="metadata").execute() for m in found]


async def test_reply_in_thread_arrives_once_in_sarahs_mailbox(world: World) -> None:
    _, done = await world.ask("reply to Sarah's Q4 Financial Review email saying I'll go through the numbers tonight")
    action = only_action(done, "reply")
    assert action.fields["to"] == [SARAH]
    assert action.fields["subject"].startswith("Re: ") and "Q4 Financial Review" in action.fields["subject"]
    assert inbox(world, SARAH, "numbers tonight") == []  # nothing sent before confirmation

    desk = await world.concierge.actions(world.alex)
    first, second = await asyncio.gather(
        desk.confirm(world.alex, action.id), desk.confirm(world.alex, action.id), return_exceptions=True
    )
    outcomes = [first, second]
    assert any(getattr(o, "status", None) == "done" for o in outcomes), outcomes
    assert all(getattr(o, "status", None) == "done" or isinstance(o, ActionError) for o in outcomes), outcomes
    await desk.confirm(world.alex, action.id)  # and once more, later
    received = inbox(world, SARAH, "numbers tonight")
    assert len(received) == 1
    sent = inbox(world, ALEX, "in:sent numbers tonight")
    assert len(sent) == 1 and sent[0]["threadId"] == action.fields["thread_id"]


async def test_cancelled_send_leaves_no_trace(world: World) -> None:
    _, done = await world.ask("send an email to Daniel saying the release notes are ready")
    action = only_action(done, "send")
    assert action.fields["to"] == ["daniel.okafor@northwindlabs.com"]
    desk = await world.concierge.actions(world.alex)
    cancelled = await desk.cancel(world.alex, action.id)
    assert cancelled.status == "cancelled"
    with pytest.raises(ActionError):
        await desk.confirm(world.alex, action.id)
    assert inbox(world, "daniel.okafor@northwindlabs.com", "release notes are ready") == []
    drafts = google(world.sandbox, ALEX, "gmail").users().drafts().list(userId="me").execute().get("drafts", [])
    assert all(action.fields["body"] not in str(d) for d in drafts)


async def test_an_edited_draft_is_sent_as_edited(world: World) -> None:
    _, done = await world.ask("email Priya that the roadmap review moves to Friday")
    action = only_action(done, "send")
    assert action.fields["subject"] == "The roadmap review moves to Friday"
    assert action.fields["body"].startswith("Hi Priya,\n\nThe roadmap review moves to Friday.")
    desk = await world.concierge.actions(world.alex)
    with pytest.raises(Exception, match="cannot be changed"):
        await desk.confirm(world.alex, action.id, edits={"thread_id": "x"})
    sent = await desk.confirm(
        world.alex, action.id, edits={"subject": "Roadmap review: Friday 11:00", "body": "Friday 11:00 in Severn."}
    )
    assert sent.status == "done" and "Roadmap review: Friday 11:00" in sent.preview
    received = inbox(world, ALEX, "in:sent Severn")  # Priya has no sandbox mailbox: check what left
    assert len(received) == 1


async def test_move_a_meeting_then_undo(world: World) -> None:
    _, done = await world.ask("move the Beacon kickoff to Friday at 2pm")
    action = only_action(done, "update")
    assert action.fields["start"].startswith("2026-11-20T14:00")  # the coming Friday
    calendar = google(world.sandbox, ALEX, "calendar")
    event_id = action.fields["event_id"]
    before = calendar.events().get(calendarId="primary", eventId=event_id).execute()["start"]["dateTime"]
    assert before.startswith("2026-11-26T10:00")  # untouched until confirmed

    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)
    moved = calendar.events().get(calendarId="primary", eventId=event_id).execute()
    assert moved["start"]["dateTime"].startswith("2026-11-20T14:00")
    await desk.undo(world.alex, action.id)
    back = calendar.events().get(calendarId="primary", eventId=event_id).execute()
    assert back["start"]["dateTime"].startswith("2026-11-26T10:00")


async def test_share_a_deck_once_then_undo(world: World) -> None:
    _, done = await world.ask("share the Istanbul trip itinerary with Hannah")
    action = only_action(done, "share")
    assert action.fields["emails"] == ["hannah.lee@northwindlabs.com"] and action.fields["role"] == "reader"
    assert "Istanbul trip" in action.fields["file_name"]
    drive = google(world.sandbox, ALEX, "drive")

    def holders() -> list[str]:
        permissions = (
            drive.permissions().list(fileId=action.fields["file_id"], fields="permissions(emailAddress,role)").execute()
        )
        return [p.get("emailAddress") for p in permissions["permissions"]]

    assert "hannah.lee@northwindlabs.com" not in holders()
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)
    await desk.confirm(world.alex, action.id)
    assert holders().count("hannah.lee@northwindlabs.com") == 1
    await desk.undo(world.alex, action.id)
    assert "hannah.lee@northwindlabs.com" not in holders()


async def test_sharing_with_someone_who_has_access_adds_nothing(world: World) -> None:
    """Known at proposal from the cached permissions; and at confirmation, should the
    access have been given in between (the sandbox is asked again)."""
    _, done = await world.ask("share the Atlas launch deck with sarah.chen@northwindlabs.com")
    assert not done.actions and "already" in done.answer
    _, done = await world.ask("share the Istanbul trip itinerary with Hannah")
    action = only_action(done, "share")
    drive = google(world.sandbox, ALEX, "drive")
    body = {"type": "user", "role": "reader", "emailAddress": "hannah.lee@northwindlabs.com"}
    given = drive.permissions().create(fileId=action.fields["file_id"], body=body).execute()
    desk = await world.concierge.actions(world.alex)
    confirmed = await desk.confirm(world.alex, action.id)
    assert "already had access" in confirmed.result["summary"]
    drive.permissions().delete(fileId=action.fields["file_id"], permissionId=given["id"]).execute()


async def test_schedule_a_meeting_is_created_once(world: World) -> None:
    _, done = await world.ask("schedule a meeting with Daniel tomorrow at 4pm about the on-call rota")
    action = only_action(done, "create")
    assert action.fields["start"].startswith("2026-11-19T16:00")
    assert "daniel.okafor@northwindlabs.com" in action.fields["attendees"]
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)
    action_row = await desk.get(world.alex, action.id)
    # A retry of the same action after a lost answer: the client-supplied id makes it a no-op.
    await world.concierge.agents["calendar"].execute(
        action_row, await world.concierge.context_for(world.alex, NOW), _nothing
    )
    calendar = google(world.sandbox, ALEX, "calendar")
    day = (
        calendar.events()
        .list(calendarId="primary", timeMin="2026-11-19T00:00:00Z", timeMax="2026-11-20T00:00:00Z", singleEvents=True)
        .execute()["items"]
    )
    assert sum(1 for e in day if e["id"] == action.id.hex) == 1


async def test_trash_an_email_then_undo(world: World) -> None:
    _, done = await world.ask("delete the email about the council tax bill")
    action = only_action(done, "trash")
    gmail = google(world.sandbox, ALEX, "gmail")
    message_id = action.fields["message_id"]
    assert (
        "TRASH" not in gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()["labelIds"]
    )
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)
    assert "TRASH" in gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()["labelIds"]
    _, after = await world.ask("the email about the council tax bill")
    assert message_id not in [s.id for s in after.sources]  # trashed items are not cited
    await desk.undo(world.alex, action.id)
    assert (
        "TRASH" not in gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()["labelIds"]
    )


async def test_follow_up_reply_to_the_second_one(world: World) -> None:
    _, first = await world.ask("emails from Tom Becker")
    assert len(first.sources) >= 2
    second = first.sources[1]
    _, done = await world.ask("reply to the second one saying thanks", conversation_id=first.conversation_id)
    action = only_action(done, "reply")
    assert action.target_id == second.id
    # Alex's own message among them is answered to the people it went to, not to Alex.
    sent_by_alex = second.details["from_email"] == ALEX
    assert action.fields["to"] == (second.details["to"] if sent_by_alex else [second.details["from_email"]])
    assert ALEX not in action.fields["to"]


async def test_a_reply_to_a_meeting_is_an_email_to_its_organizer(world: World) -> None:
    _, first = await world.ask("my meetings with Sarah next week")
    meeting = first.sources[0]
    assert meeting.service == "calendar", [s.title for s in first.sources]
    _, done = await world.ask("reply to the first one saying thanks", conversation_id=first.conversation_id)
    action = only_action(done, "send")
    assert action.service == "gmail" and not done.failures, done.failures
    organizer = meeting.details["organizer"]
    invited = [a["email"] for a in meeting.details["attendees"] if a["email"] != ALEX]
    assert action.fields["to"] == (invited if organizer == ALEX else [organizer])
    assert action.fields["subject"] == f"Re: {meeting.title}"
    assert "Thanks." in action.fields["body"]


async def test_follow_up_and_drive(world: World) -> None:
    _, first = await world.ask("anything about the Atlas launch plan")
    _, done = await world.ask("and Drive?", conversation_id=first.conversation_id)
    assert done.sources and all(s.service == "drive" for s in done.sources)
    assert any("Atlas launch" in s.title for s in done.sources[:3])


async def test_three_independent_google_calls_run_concurrently(world: World) -> None:
    """Reads of items not synced yet go to Google: with 1 s of injected latency on each
    service, the three take about one second together, not three."""
    with world.control() as control:
        message = control.post(
            f"/accounts/{ALEX}/messages", json={"from": "x@partner.test", "subject": "Fresh", "text": "Hello"}
        ).json()
        file = control.post(
            f"/accounts/{ALEX}/files", json={"name": "Fresh notes", "type": "document", "body": "Notes"}
        ).json()
        for method in ("gmail.users.messages.get", "calendar.freebusy.query", "drive.files.get"):
            control.post(
                "/faults", json={"method": method, "kind": "latency", "latency_seconds": 1.0, "count": 1}
            ).raise_for_status()
    plan = ExecutionPlan(
        steps=[
            PlanStep(
                id="mail", service="gmail", operation="read", description="Open the email", params={"id": message["id"]}
            ),
            PlanStep(id="free", service="calendar", operation="free_slots", description="Find free time", params={}),
            PlanStep(
                id="file", service="drive", operation="read", description="Open the file", params={"id": file["id"]}
            ),
        ]
    )
    context = await world.concierge.context_for(world.alex, NOW)
    results: dict[str, StepResult] = {}
    started = time.perf_counter()
    async for _ in Orchestrator(world.concierge.agents, _no_writes).run(plan, context, results):
        pass
    elapsed = time.perf_counter() - started
    assert {r.status for r in results.values()} == {"ok"}, {k: r.error for k, r in results.items()}
    assert all(r.duration_ms >= 1000 for r in results.values())
    assert elapsed < 2.0, elapsed  # sequential would be over 3 s


async def test_one_failing_service_still_answers_with_the_others(world: World) -> None:
    with world.control() as control:
        control.post(
            "/faults", json={"method": "calendar.freebusy.query", "kind": "500", "count": 20}
        ).raise_for_status()
        try:
            _, done = await world.ask("emails about the Istanbul trip and when am I free next week")
        finally:
            control.delete("/faults")
    assert any(s.service == "gmail" for s in done.sources)
    assert "Google Calendar is not responding right now (HTTP 500)" in done.answer
    assert done.failures


async def _nothing(fields: dict) -> None:
    return None


async def _no_writes(step, proposed):
    raise AssertionError("no writes expected")


async def test_forward_carries_the_original(world: World) -> None:
    _, done = await world.ask("forward the Anadolu signed email to sarah.chen@northwindlabs.com")
    action = only_action(done, "forward")
    assert action.fields["to"] == [SARAH]
    assert action.fields["subject"].startswith("Fwd: Anadolu signed")
    assert "Forwarded message" in action.fields["body"]
    desk = await world.concierge.actions(world.alex)
    await desk.confirm(world.alex, action.id)
    assert len(inbox(world, SARAH, "Fwd Anadolu signed")) == 1


async def test_three_turns_find_open_and_reply(world: World) -> None:
    _, first = await world.ask("emails from Tom Becker")
    opened_item = first.sources[0]
    _, second = await world.ask("open the first one", conversation_id=first.conversation_id)
    assert [s.id for s in second.sources] == [opened_item.id]
    assert opened_item.title in second.answer
    _, third = await world.ask("reply to it saying thanks, sounds good", conversation_id=first.conversation_id)
    action = only_action(third, "reply")
    assert action.target_id == opened_item.id
    assert "thanks, sounds good" in action.fields["body"].lower()


async def test_an_expired_action_cannot_be_confirmed(world: World) -> None:
    from datetime import timedelta

    from assistant.actions import ActionDesk

    context = await world.concierge.context_for(world.alex, NOW)
    desk = ActionDesk(world.concierge.sessions, world.concierge.agents, context, pending_ttl=timedelta(seconds=-1))
    _, done = await world.ask("delete the Saturday long run")
    proposed = only_action(done, "delete")
    expired = await desk.record(world.alex, _proposal(proposed))
    with pytest.raises(ActionError, match="expired"):
        await desk.confirm(world.alex, expired.id)
    with pytest.raises(ActionError, match="no such action"):
        await desk.confirm(world.sarah, proposed.id)  # another user's action is not theirs to confirm


def _proposal(action):
    from assistant.writes import ProposedAction

    return ProposedAction(
        service=action.service,
        operation=action.operation,
        account_id=str(action.account_id),
        target_id=action.target_id,
        fields=action.fields,
        preview=action.preview,
        undoable=action.undoable,
    )


async def test_a_meeting_booked_when_everyone_is_free_invites_them_at_the_first_time_free_for_all(
    world: World,
) -> None:
    # "Sarah" is Sarah Chen, the colleague (a vendor Sarah writes too). Thu 19 Nov: Alex is
    # free at 09:00, Sarah Chen has focus time 09:00-10:05: her calendar counts.
    people = (ALEX, "sarah.chen@northwindlabs.com", "daniel.okafor@northwindlabs.com")
    _, done = await world.ask(
        "set up 30 minutes with Sarah and Daniel tomorrow morning when we're all free to go over the hiring plan"
    )
    action = only_action(done, "create")
    assert set(action.fields["attendees"]) == set(people[1:])
    assert "hiring plan" in action.fields["summary"].lower()
    start = datetime.fromisoformat(action.fields["start"])
    assert datetime.fromisoformat(action.fields["end"]) - start == timedelta(minutes=30)
    morning = datetime(2026, 11, 19, 9, tzinfo=LONDON)  # the working day's start
    assert morning <= start <= morning + timedelta(hours=2, minutes=30)
    assert not any(busy(world, email, start, start + timedelta(minutes=30)) for email in people)
    # No earlier half hour that morning is free for all three (checked every 5 minutes).
    earlier = morning
    while earlier < start:
        assert any(busy(world, email, earlier, earlier + timedelta(minutes=30)) for email in people), earlier
        earlier += timedelta(minutes=5)


async def test_a_meeting_with_no_name_is_asked_about_then_booked_by_the_name_given(world: World) -> None:
    _, asked = await world.ask("grab an hour with Daniel on Monday when he's free")
    assert not asked.actions
    assert "call it" in asked.answer
    _, done = await world.ask("call it the Q1 plan review", conversation_id=asked.conversation_id)
    action = only_action(done, "create")
    assert action.fields["summary"] == "Q1 plan review"
    # Mon 23 Nov: Alex is busy 09:30-09:45 and 10:00-10:45; Daniel only at the standup.
    assert action.fields["start"].startswith("2026-11-23T10:45"), action.fields
    assert action.fields["attendees"] == ["daniel.okafor@northwindlabs.com"]


async def test_a_booking_on_condition_that_someone_is_free_checks_their_calendar(world: World) -> None:
    daniel = "daniel.okafor@northwindlabs.com"
    two = datetime(2026, 11, 19, 14, tzinfo=LONDON)  # Thursday: the weekly 1:1 with Daniel
    assert busy(world, daniel, two, two + timedelta(minutes=30))
    _, done = await world.ask("if daniel's free tomorrow at 2, book 30 min with him re the on-call rota")
    assert not done.actions, done.answer
    assert "Daniel Okafor isn't free then (Thu 19 Nov, 14:00\u201314:30)" in done.answer, done.answer
    assert "1:1" in done.answer  # the user's own event then, named

    three = datetime(2026, 11, 20, 15, tzinfo=LONDON)
    assert not any(busy(world, email, three, three + timedelta(minutes=30)) for email in (ALEX, SARAH))
    _, done = await world.ask(
        "Could you check whether Sarah is free on Friday at 3pm and, if she is, book half an hour with her "
        "about the December forecast?"
    )
    action = only_action(done, "create")
    assert action.fields["start"].startswith("2026-11-20T15:00") and action.fields["attendees"] == [SARAH]
    assert "forecast" in action.fields["summary"].lower()
    assert "You and Sarah Chen are both free then (Fri 20 Nov, 15:00\u201315:30)." in done.answer
