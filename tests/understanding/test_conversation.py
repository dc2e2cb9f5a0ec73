"""Follow-ups resolved over multi-turn conversations stored in `messages`."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.core.models import Message
from assistant.core.settings import Settings
from assistant.understanding.meaning import Meaning
from assistant.understanding.service import Understander, record_user_turn
from tests.understanding.conftest import Workspace


@pytest.fixture
def understander(data_dir: Path) -> Understander:
    return Understander(Settings(), None)


class Conversation:
    """Plays a conversation: each user turn is understood and stored, then the items and
    actions the assistant answered with are stored the way the agents store them."""

    def __init__(self, session: AsyncSession, understander: Understander, workspace: Workspace) -> None:
        self.session = session
        self.understander = understander
        self.workspace = workspace

    async def say(self, text: str) -> Meaning:
        started = time.perf_counter()
        meaning = await self.understander.understand_message(
            self.session, self.workspace.user_id, self.workspace.conversation_id, text
        )
        await record_user_turn(
            self.session,
            user_id=self.workspace.user_id,
            conversation_id=self.workspace.conversation_id,
            meaning=meaning,
            started=started,
        )
        await self.session.commit()
        return meaning

    async def answer(self, items: list[dict[str, str]], actions: list[dict[str, str]] | None = None) -> None:
        self.session.add(
            Message(
                conversation_id=self.workspace.conversation_id,
                user_id=self.workspace.user_id,
                role="assistant",
                content="(answer)",
                results={"items": items},
                actions={"items": actions} if actions else None,
                created_at=datetime.now(UTC),
            )
        )
        await self.session.commit()


EMAILS = [
    {"service": "gmail", "id": "m1", "title": "Budget draft"},
    {"service": "gmail", "id": "m2", "title": "Re: Budget numbers"},
    {"service": "gmail", "id": "m3", "title": "Budget sign-off"},
]


def people(meaning: Meaning) -> list[Any]:
    return [p.contact.email if p.contact else None for p in meaning.people]


def act(meaning: Meaning) -> tuple[str, str]:
    """The main service and what is done there."""
    return meaning.frame.services[0], meaning.frame.act


def follows_up(meaning: Meaning) -> bool:
    """Whether the request continues the previous turn: its items, or its request."""
    target = meaning.frame.target
    return target.previous or bool(target.picks) or meaning.frame.refine is not None


async def test_email_conversation(session: AsyncSession, workspace: Workspace, understander: Understander) -> None:
    chat = Conversation(session, understander, workspace)
    paris = ZoneInfo("Europe/Paris")

    first = await chat.say("emails from sara about the budget")
    assert act(first) == ("gmail", "find")
    assert people(first) == ["sarah.chen@acme.com"]  # "sara" is Sarah Chen, the only close contact
    assert [(p.name, p.role) for p in first.frame.target.people] == [("sara", "from")]
    assert first.frame.target.topic == "budget"
    assert not follows_up(first) and first.previous is None
    await chat.answer(EMAILS)

    reply = await chat.say("reply to the second one")
    assert act(reply) == ("gmail", "reply")
    assert [item.id for item in reply.items] == ["m2"]
    assert reply.frame.target.picks == [2] and follows_up(reply) and reply.clarification is None
    assert [item.id for item in reply.previous_items] == ["m1", "m2", "m3"]
    assert reply.previous is not None and reply.previous.target.topic == "budget"

    earlier = await chat.say("what about last month?")
    assert act(earlier) == ("gmail", "find") and follows_up(earlier)
    assert people(earlier) == ["sarah.chen@acme.com"] and earlier.frame.target.topic == "budget"
    today = datetime.now(paris).date()
    window = earlier.target_window
    assert window is not None
    assert window.start.day == 1 and window.end.date() == today.replace(day=1)
    assert str(window.start.tzinfo) == "Europe/Paris"

    drive = await chat.say("and Drive?")
    assert drive.frame.services == ["drive"] and drive.frame.act == "find" and follows_up(drive)
    assert people(drive) == ["sarah.chen@acme.com"] and drive.frame.target.topic == "budget"

    stored = (await session.scalars(select(Message).where(Message.role == "user").order_by(Message.created_at))).all()
    assert [m.content for m in stored] == [
        "emails from sara about the budget",
        "reply to the second one",
        "what about last month?",
        "and Drive?",
    ]
    assert {m.llm_provider for m in stored} == {"local"}
    assert all(m.latency_ms is not None for m in stored)
    # Each user turn keeps its meaning: the frame and what was resolved from it.
    intent = stored[1].intent
    assert intent is not None and intent["items"][0]["id"] == "m2"
    assert intent["frame"]["act"] == "reply" and intent["frame"]["target"]["picks"] == [2]
    assert intent["text"] == "reply to the second one" and intent["provider"] == "local"
    assert Meaning.model_validate(intent) == reply
    assert stored[0].intent is not None and stored[0].intent["people"][0]["contact"]["email"] == "sarah.chen@acme.com"


async def test_calendar_follow_up_moves_the_event(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    chat = Conversation(session, understander, workspace)
    meeting = await chat.say("my next meeting with tom")
    assert act(meeting) == ("calendar", "find") and people(meeting) == ["tom.baker@acme.com"]
    assert (meeting.frame.target.order, meeting.frame.target.count) == ("next", 1)
    await chat.answer([{"service": "calendar", "id": "e1", "title": "Weekly sync"}])

    moved = await chat.say("move it to 3pm")
    assert act(moved) == ("calendar", "change")
    assert [item.id for item in moved.items] == ["e1"] and moved.frame.target.previous
    new_time = moved.new_time
    assert new_time is not None
    assert (new_time.start.hour, new_time.start.minute) == (15, 0)
    assert new_time.end - new_time.start == timedelta(hours=1)

    cancelled = await chat.say("actually cancel it")
    assert act(cancelled) == ("calendar", "delete")
    assert [item.id for item in cancelled.items] == ["e1"]


async def test_send_it_sends_the_pending_draft(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    chat = Conversation(session, understander, workspace)
    drafted = await chat.say("draft a reply to sarah saying thanks for the numbers")
    # A reply to Sarah's latest email, kept as a draft.
    assert drafted.frame.act == "reply" and drafted.frame.message is not None and drafted.frame.message.draft
    assert drafted.frame.message.body == "thanks for the numbers"
    assert [(p.name, p.role) for p in drafted.frame.target.people] == [("sarah", "from")]
    assert drafted.address("sarah") == "sarah.chen@acme.com"
    await chat.answer(
        [{"service": "gmail", "id": "d1", "title": "Draft: Re: Budget numbers"}],
        [{"type": "draft", "service": "gmail", "id": "d1", "status": "pending"}],
    )
    sent = await chat.say("send it")
    assert act(sent) == ("gmail", "send")
    assert [item.id for item in sent.items] == ["d1"]


async def test_a_reference_beyond_the_answer_asks_which(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    chat = Conversation(session, understander, workspace)
    await chat.say("emails about the budget")
    await chat.answer(EMAILS[:2])
    meaning = await chat.say("delete the fifth one")
    assert meaning.frame.target.picks == [5] and meaning.items == []
    assert meaning.clarification is not None and meaning.clarification.kind == "item"
    assert meaning.clarification.options == ["1. Budget draft", "2. Re: Budget numbers"]


async def test_before_my_flight_ends_at_the_flight(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    chat = Conversation(session, understander, workspace)
    meaning = await chat.say("what meetings do i have before my flight")
    assert meaning.frame.target.time == "before my flight"
    window = meaning.target_window
    assert window is not None
    flight = datetime.now(UTC) + timedelta(days=3)
    assert abs((window.end - flight).total_seconds()) < 120
    assert window.start <= datetime.now(UTC) + timedelta(minutes=1)


async def add_another_sarah(session: AsyncSession, workspace: Workspace) -> None:
    from assistant.core.models import GmailMessage
    from tests.understanding.conftest import add_rows, email

    # Another Sarah the user writes to (one who only wrote once would not be meant).
    await add_rows(
        session,
        GmailMessage,
        email(workspace.user_id, workspace.account_id, 9, "Sarah Miller", "sarah.m@other.org", []),
        email(workspace.user_id, workspace.account_id, 10, "Me", "me@example.com", ["sarah.m@other.org"]),
    )
    await session.commit()


async def test_ambiguous_name_asks_which_contact_before_a_write(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    await add_another_sarah(session, workspace)
    meaning = await Conversation(session, understander, workspace).say("email sarah saying the numbers are in")
    assert meaning.frame.act == "send"
    assert meaning.clarification is not None and meaning.clarification.kind == "person"
    assert meaning.clarification.question == "Which sarah do you mean?"
    assert sorted(meaning.clarification.options) == [
        "Sarah Chen <sarah.chen@acme.com>",
        "Sarah Miller <sarah.m@other.org>",
    ]


async def test_an_ambiguous_name_in_a_lookup_searches_everyone_it_may_mean(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    # No question before a lookup: search matches every Sarah, and ranking sorts them out.
    await add_another_sarah(session, workspace)
    meaning = await Conversation(session, understander, workspace).say("emails from sarah")
    assert meaning.clarification is None
    (sarah,) = meaning.people
    assert sarah.mention == "sarah" and sarah.contact is None
    assert sorted(c.email for c in sarah.candidates) == ["sarah.chen@acme.com", "sarah.m@other.org"]


async def test_an_unreadable_stored_turn_is_skipped(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    for stored in (
        {"services": "not a list"},  # stored before frames: a turn with no frame
        {"frame": {"act": "not an act"}},  # a frame this version cannot read
    ):
        session.add(
            Message(
                conversation_id=workspace.conversation_id,
                user_id=workspace.user_id,
                role="user",
                content="old",
                intent=stored,
                created_at=datetime.now(UTC),
            )
        )
    await session.commit()
    meaning = await Conversation(session, understander, workspace).say("emails from tom")
    assert act(meaning) == ("gmail", "find") and people(meaning) == ["tom.baker@acme.com"]
    assert meaning.previous is None


async def test_a_language_models_reference_resolves_to_the_shown_item(data_dir: Path) -> None:
    from assistant.planner import plan_for
    from assistant.understanding.contacts import ContactBook
    from assistant.understanding.context import ConversationContext, Turn
    from assistant.understanding.frame import Frame, Message, Selection
    from assistant.understanding.schema import ItemRef
    from tests.llm.scripted_server import Reply, ScriptedServer
    from tests.llm.support import settings_for

    reply = Frame(
        act="reply",
        services=["gmail"],
        target=Selection(service="gmail", picks=[2]),
        message=Message(body="thanks"),
        confidence=0.9,
    )
    context = ConversationContext(
        turns=[Turn(role="assistant", text="", items=[ItemRef(position=i, **item) for i, item in enumerate(EMAILS, 1)])]
    )
    now = datetime.now(ZoneInfo("Europe/Paris"))
    with ScriptedServer([Reply(content=reply.model_dump_json())]) as server:
        understander = Understander(settings_for("openai", server), None)
        meaning = await understander.understand(
            user_id=uuid.uuid4(),
            text="reply to the second one",
            context=context,
            now=now,
            contacts=ContactBook([]),
        )
    assert meaning.provider == "openai" and meaning.frame == reply
    assert act(meaning) == ("gmail", "reply")
    assert [item.id for item in meaning.items] == ["m2"] and follows_up(meaning)
    # The planner makes the steps (a model gives none): open the item shown, reply to it.
    plan = plan_for(meaning, now)
    assert [(step.service, step.operation, step.params.get("id")) for step in plan.steps] == [
        ("gmail", "read", "m2"),
        ("gmail", "reply", None),
    ]
