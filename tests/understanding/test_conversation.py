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
from assistant.understanding.schema import ParsedIntent
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

    async def say(self, text: str) -> ParsedIntent:
        started = time.perf_counter()
        intent = await self.understander.understand_message(
            self.session, self.workspace.user_id, self.workspace.conversation_id, text
        )
        await record_user_turn(
            self.session,
            user_id=self.workspace.user_id,
            conversation_id=self.workspace.conversation_id,
            intent=intent,
            started=started,
        )
        await self.session.commit()
        return intent

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


def people(intent: ParsedIntent) -> list[Any]:
    return [p.contact.email if p.contact else None for p in intent.entities.people]


async def test_email_conversation(session: AsyncSession, workspace: Workspace, understander: Understander) -> None:
    chat = Conversation(session, understander, workspace)
    paris = ZoneInfo("Europe/Paris")

    first = await chat.say("emails from sara about the budget")
    assert (first.service, first.operation) == ("gmail", "search")
    assert people(first) == ["sarah.chen@acme.com"]  # "sara" is Sarah Chen, the only close contact
    assert first.entities.topic == "budget"
    await chat.answer(EMAILS)

    reply = await chat.say("reply to the second one")
    assert (reply.service, reply.operation) == ("gmail", "reply")
    assert [item.id for item in reply.entities.items] == ["m2"]
    assert reply.is_follow_up and reply.clarification is None

    earlier = await chat.say("what about last month?")
    assert (earlier.service, earlier.operation) == ("gmail", "search")
    assert people(earlier) == ["sarah.chen@acme.com"] and earlier.entities.topic == "budget"
    today = datetime.now(paris).date()
    time_range = earlier.entities.time_range
    assert time_range is not None
    assert time_range.start.day == 1 and time_range.end.date() == today.replace(day=1)
    assert str(time_range.start.tzinfo) == "Europe/Paris"

    drive = await chat.say("and Drive?")
    assert drive.services == ["drive"] and drive.operation == "search"
    assert people(drive) == ["sarah.chen@acme.com"] and drive.entities.topic == "budget"

    stored = (await session.scalars(select(Message).where(Message.role == "user").order_by(Message.created_at))).all()
    assert [m.content for m in stored] == [
        "emails from sara about the budget",
        "reply to the second one",
        "what about last month?",
        "and Drive?",
    ]
    assert {m.llm_provider for m in stored} == {"local"}
    assert all(m.latency_ms is not None for m in stored)
    assert stored[1].intent is not None and stored[1].intent["entities"]["items"][0]["id"] == "m2"


async def test_calendar_follow_up_moves_the_event(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    chat = Conversation(session, understander, workspace)
    meeting = await chat.say("my next meeting with tom")
    assert meeting.service == "calendar" and people(meeting) == ["tom.baker@acme.com"]
    await chat.answer([{"service": "calendar", "id": "e1", "title": "Weekly sync"}])

    moved = await chat.say("move it to 3pm")
    assert (moved.service, moved.operation) == ("calendar", "update")
    assert [item.id for item in moved.entities.items] == ["e1"]
    new_time = moved.entities.new_time
    assert new_time is not None
    assert (new_time.start.hour, new_time.start.minute) == (15, 0)
    assert new_time.end - new_time.start == timedelta(hours=1)

    cancelled = await chat.say("actually cancel it")
    assert (cancelled.service, cancelled.operation) == ("calendar", "delete")
    assert [item.id for item in cancelled.entities.items] == ["e1"]


async def test_send_it_sends_the_pending_draft(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    chat = Conversation(session, understander, workspace)
    drafted = await chat.say("draft a reply to sarah saying thanks for the numbers")
    assert drafted.operation == "draft" and drafted.entities.body == "thanks for the numbers"
    await chat.answer(
        [{"service": "gmail", "id": "d1", "title": "Draft: Re: Budget numbers"}],
        [{"type": "draft", "service": "gmail", "id": "d1", "status": "pending"}],
    )
    sent = await chat.say("send it")
    assert (sent.service, sent.operation) == ("gmail", "send")
    assert [item.id for item in sent.entities.items] == ["d1"]


async def test_a_reference_beyond_the_answer_asks_which(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    chat = Conversation(session, understander, workspace)
    await chat.say("emails about the budget")
    await chat.answer(EMAILS[:2])
    intent = await chat.say("delete the fifth one")
    assert intent.clarification is not None
    assert intent.clarification.options == ["1. Budget draft", "2. Re: Budget numbers"]


async def test_before_my_flight_ends_at_the_flight(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    chat = Conversation(session, understander, workspace)
    intent = await chat.say("what meetings do i have before my flight")
    time_range = intent.entities.time_range
    assert time_range is not None
    flight = datetime.now(UTC) + timedelta(days=3)
    assert abs((time_range.end - flight).total_seconds()) < 120
    assert time_range.start <= datetime.now(UTC) + timedelta(minutes=1)


async def test_ambiguous_name_asks_which_contact(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    from assistant.core.models import GmailMessage
    from tests.understanding.conftest import add_rows, email

    await add_rows(
        session,
        GmailMessage,
        email(workspace.user_id, workspace.account_id, 9, "Sarah Miller", "sarah.m@other.org", []),
    )
    await session.commit()
    intent = await Conversation(session, understander, workspace).say("emails from sarah")
    assert intent.clarification is not None
    assert intent.clarification.question == "Which sarah do you mean?"
    assert sorted(intent.clarification.options) == [
        "Sarah Chen <sarah.chen@acme.com>",
        "Sarah Miller <sarah.m@other.org>",
    ]


async def test_an_unreadable_stored_turn_is_skipped(
    session: AsyncSession, workspace: Workspace, understander: Understander
) -> None:
    session.add(
        Message(
            conversation_id=workspace.conversation_id,
            user_id=workspace.user_id,
            role="user",
            content="old",
            intent={"services": "not a list"},
            created_at=datetime.now(UTC),
        )
    )
    await session.commit()
    intent = await Conversation(session, understander, workspace).say("emails from tom")
    assert intent.service == "gmail" and people(intent) == ["tom.baker@acme.com"]


async def test_a_language_models_reference_resolves_to_the_shown_item(data_dir: Path) -> None:
    from assistant.understanding.contacts import ContactBook
    from assistant.understanding.context import ConversationContext, Turn
    from assistant.understanding.schema import IntentDraft, ItemRef
    from tests.llm.scripted_server import Reply, ScriptedServer
    from tests.llm.support import DRAFT, settings_for

    reply = DRAFT.model_copy(
        update={
            "services": ["gmail"],
            "operations": ["reply"],
            "steps": [],
            "item_ordinals": [2],
            "refers_to_previous": True,
            "new_time": None,
            "slots": IntentDraft.slots_from({}),
        }
    )
    context = ConversationContext(
        turns=[Turn(role="assistant", text="", items=[ItemRef(position=i, **item) for i, item in enumerate(EMAILS, 1)])]
    )
    with ScriptedServer([Reply(content=reply.model_dump_json())]) as server:
        understander = Understander(settings_for("openai", server), None)
        intent = await understander.understand(
            user_id=uuid.uuid4(),
            text="reply to the second one",
            context=context,
            now=datetime.now(ZoneInfo("Europe/Paris")),
            contacts=ContactBook([]),
        )
    assert intent.provider == "openai"
    assert (intent.service, intent.operation) == ("gmail", "reply")
    assert [item.id for item in intent.entities.items] == ["m2"] and intent.is_follow_up
    assert intent.steps[0].service == "gmail"  # a step is made when the model gives none
