"""From a message to a streamed answer: understand, plan, run, answer, remember.

    concierge = Concierge.create(settings, database_url, redis_url)
    async for event in concierge.ask(user_id, "emails about the budget from Sarah"):
        ...  # IntentEvent, PlanEvent, StepEvent, TokenEvent, then DoneEvent

The chat UI, the HTTP API and `concierge ask` all render this one event stream. Writes are
only proposed here; `concierge.actions(user_id)` confirms, cancels and undoes them.

Everything done for a user (reading the caches, remembering the conversation, recording
and carrying out actions, writing through to the caches) runs through
`assistant.core.db.as_user`, so PostgreSQL's row-level security holds it to that user's rows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import redis
import redis.asyncio
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from assistant.actions import ActionDesk
from assistant.agents.base import BaseAgent, SourceItem
from assistant.agents.context import AgentContext
from assistant.agents.registry import AGENTS
from assistant.core.db import as_user, create_engine, retry_if_disconnected, session_factory
from assistant.core.models import Conversation, Message, SyncStatus, User
from assistant.core.runtime import freeze_startup_heap
from assistant.core.settings import Settings
from assistant.llm.chain import FallbackChain
from assistant.llm.factory import build_chain
from assistant.llm.local_provider import LocalProvider
from assistant.orchestrator import Orchestrator, StepEvent, StepResult
from assistant.plan import ExecutionPlan, PlanError, PlanStep, Service
from assistant.planner import plan_for
from assistant.rerank import reranker_for
from assistant.synthesizer import AnswerTask, collect_sources, stream_answer, write_locally
from assistant.understanding.frame import OutOfReach
from assistant.understanding.meaning import Meaning
from assistant.understanding.schema import Clarification
from assistant.understanding.service import Understander, record_user_turn, user_zone
from assistant.writes import PendingAction, ProposedAction
from search import spelling
from search.embeddings import QueryEmbeddingCache, get_embedder
from search.hybrid import HybridSearch
from search.indexing import Indexer


@dataclass(frozen=True)
class IntentEvent:
    """What the request was understood to mean."""

    meaning: Meaning


@dataclass(frozen=True)
class PlanEvent:
    plan: ExecutionPlan


@dataclass(frozen=True)
class ClarificationEvent:
    clarification: Clarification


@dataclass(frozen=True)
class TokenEvent:
    text: str


@dataclass(frozen=True)
class DoneEvent:
    conversation_id: uuid.UUID
    answer: str
    sources: list[SourceItem]
    actions: list[PendingAction]
    provider: str
    #: The user's zone, in which the answer was written (for showing the sources' times).
    timezone: ZoneInfo
    failures: list[str] = field(default_factory=list)
    #: When each service's cache last synced successfully ("gmail", "gcal", "gdrive"; None: never).
    last_synced: dict[str, datetime | None] = field(default_factory=dict)


PipelineEvent = IntentEvent | PlanEvent | ClarificationEvent | StepEvent | TokenEvent | DoneEvent


class Concierge:
    """The assistant for all users of one deployment (one per process)."""

    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        redis_sync: redis.Redis,
        redis_async: redis.asyncio.Redis,
        read_engine: AsyncEngine | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        #: Search reads here: a read replica when configured (it may lag the primary by
        #: moments; everything that writes, or reads what it just wrote, uses `engine`).
        self.read_engine = read_engine or engine
        #: As the owner, bypassing row-level security: only for finding who a request is for.
        self.sessions = session_factory(engine)
        self.redis = redis_sync
        self.embedder = get_embedder(settings)
        self.query_embeddings = QueryEmbeddingCache(self.embedder, redis_async)
        self.understander = Understander(settings, redis_async)
        self.writer: FallbackChain = build_chain(settings, LocalProvider(streaming={AnswerTask: write_locally}))
        self.reranker = reranker_for(settings, redis_async)
        self.agents: dict[Service, BaseAgent] = dict(AGENTS)
        spelling.load_english()
        freeze_startup_heap()  # the model and the rest are loaded: keep them out of full GCs

    @classmethod
    def create(cls, settings: Settings, database_url: str, redis_url: str) -> Concierge:
        return cls(
            settings,
            create_engine(database_url),
            redis.Redis.from_url(redis_url),
            redis.asyncio.Redis.from_url(redis_url),
            create_engine(settings.database_read_url) if settings.database_read_url else None,
        )

    async def close(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()

    def sessions_for(self, user_id: uuid.UUID) -> async_sessionmaker[AsyncSession]:
        """Sessions that see and write only this user's rows (row-level security)."""
        return session_factory(as_user(self.engine, user_id))

    async def context_for(self, user_id: uuid.UUID, now: datetime | None = None) -> AgentContext:
        async with self.sessions_for(user_id)() as session:
            user = await session.get(User, user_id)
        return self._context(user_id, user, now)

    def _context(self, user_id: uuid.UUID, user: User | None, now: datetime | None) -> AgentContext:
        """What the agents use for `user_id` (`user`: their row, for the time zone)."""
        zone = user_zone(user.timezone if user else None, self.settings)
        engine = as_user(self.engine, user_id)
        return AgentContext(
            user_id=user_id,
            now=now or datetime.now(zone),
            timezone=zone,
            settings=self.settings,
            engine=engine,
            redis=self.redis,
            search=HybridSearch(as_user(self.read_engine, user_id), self.query_embeddings),
            indexer=Indexer(engine, self.embedder),
            reranker=self.reranker,
        )

    async def actions(self, user_id: uuid.UUID) -> ActionDesk:
        """Confirm, cancel and undo this user's pending actions."""
        return ActionDesk(self.sessions_for(user_id), self.agents, await self.context_for(user_id))

    async def ask(
        self,
        user_id: uuid.UUID,
        text: str,
        *,
        conversation_id: uuid.UUID | None = None,
        start_if_missing: bool = False,
        now: datetime | None = None,
    ) -> AsyncIterator[PipelineEvent]:
        """Answer `text`, continuing `conversation_id` if given.

        With `start_if_missing`, an unknown `conversation_id` starts a conversation under
        that id (the chat UI's thread id); otherwise it is a LookupError, as is another
        user's conversation.
        """
        started = time.perf_counter()
        text = text.strip()
        if not text:
            raise ValueError("the message is empty")
        sessions = self.sessions_for(user_id)

        async def open_turn() -> tuple[AgentContext, uuid.UUID, Meaning, dict[str, datetime | None]]:
            # One transaction for everything the turn reads and writes before its steps.
            async with sessions() as session:
                context = self._context(user_id, await session.get(User, user_id), now)
                turn_conversation = await _conversation(session, user_id, conversation_id, text, start_if_missing)
                meaning = await self.understander.understand_message(
                    session, user_id, turn_conversation, text, now=context.now
                )
                await record_user_turn(
                    session, user_id=user_id, conversation_id=turn_conversation, meaning=meaning, started=started
                )
                last_synced = await _last_synced(session, user_id)
                await session.commit()
            return context, turn_conversation, meaning, last_synced

        # The turn's first transaction: the one that meets a restart's dead connections.
        context, turn_conversation, meaning, last_synced = await retry_if_disconnected(open_turn)
        yield IntentEvent(meaning)

        if meaning.frame.out_of_reach is not None:
            answer = OUT_OF_REACH[meaning.frame.out_of_reach]
            yield TokenEvent(answer)
            await self._remember(user_id, turn_conversation, answer, None, [], [])
            yield DoneEvent(turn_conversation, answer, [], [], meaning.provider, context.timezone)
            return

        if must_ask(meaning):
            assert meaning.clarification is not None
            yield ClarificationEvent(meaning.clarification)
            answer = meaning.clarification.question
            yield TokenEvent(answer)
            await self._remember(user_id, turn_conversation, answer, None, [], [])
            yield DoneEvent(turn_conversation, answer, [], [], meaning.provider, context.timezone)
            return

        try:
            plan = plan_for(meaning, context.now)
        except PlanError as error:
            answer = f"I couldn't work out how to do that ({error}). Could you rephrase it?"
            yield TokenEvent(answer)
            await self._remember(user_id, turn_conversation, answer, None, [], [])
            yield DoneEvent(turn_conversation, answer, [], [], meaning.provider, context.timezone, [str(error)])
            return
        yield PlanEvent(plan)

        desk = ActionDesk(sessions, self.agents, context)

        async def record(step: PlanStep, proposed: ProposedAction) -> PendingAction:
            return await desk.record(user_id, proposed, turn_conversation)

        results: dict[str, StepResult] = {}
        async for event in Orchestrator(self.agents, record).run(plan, context, results):
            yield event
        await context.save_tokens()

        ordered = [results[step.id] for step in plan.steps if step.id in results]
        asked = next((result for result in ordered if result.question is not None), None)
        if asked is not None and asked.question is not None:
            # Several items where the write needs one: which, with the items to pick from.
            choices: list[SourceItem] = asked.outputs.get("items") or []
            yield ClarificationEvent(asked.question)
            answer = (
                asked.question.question
                + "\n"
                + "\n".join(f"- [{number}] {option}" for number, option in enumerate(asked.question.options, start=1))
            )
            yield TokenEvent(answer)
            await self._remember(user_id, turn_conversation, answer, plan, choices, [])
            yield DoneEvent(turn_conversation, answer, choices, [], meaning.provider, context.timezone)
            return
        sources = collect_sources(ordered)
        task = AnswerTask(
            question=text,
            now=context.now,
            timezone=context.timezone,
            results=ordered,
            sources=sources,
            last_synced=last_synced,
            ask=meaning.frame.ask,
            asked_of=plan.steps[0].id if plan.steps else None,
            one=meaning.frame.target.count == 1,
            about=_asked_about(meaning) if meaning.frame.ask == "access" else [],
            # Who "you" is in an access answer: read only for those (one query less per message).
            me=frozenset(account.email.lower() for account in await context.accounts())
            if meaning.frame.ask == "access"
            else frozenset(),
        )
        pieces, provider = await stream_answer(self.writer, task)
        answer_parts: list[str] = []
        async for piece in pieces:
            answer_parts.append(piece)
            yield TokenEvent(piece)
        answer = "".join(answer_parts).strip()
        actions = [r.outputs["action"] for r in ordered if r.status == "awaiting_confirmation"]
        await self._remember(user_id, turn_conversation, answer, plan, sources, actions)
        failures = [f"{r.step.description}: {r.error}" for r in ordered if r.status == "failed"]
        yield DoneEvent(turn_conversation, answer, sources, actions, provider, context.timezone, failures, last_synced)

    async def _remember(
        self,
        user_id: uuid.UUID,
        conversation_id: uuid.UUID,
        answer: str,
        plan: ExecutionPlan | None,
        sources: list[SourceItem],
        actions: list[PendingAction],
    ) -> None:
        """Store the answer with what it showed, so follow-ups can refer to it."""
        async with self.sessions_for(user_id)() as session:
            session.add(
                Message(
                    conversation_id=conversation_id,
                    user_id=user_id,
                    role="assistant",
                    content=answer,
                    plan=plan.model_dump(mode="json") if plan else None,
                    results={
                        "items": [
                            {"service": s.service, "id": s.id, "title": s.title}
                            | ({"when": s.when.isoformat()} if s.when else {})
                            for s in sources
                        ]
                    },
                    actions={
                        "items": [
                            {"type": a.operation, "service": a.service, "id": str(a.id), "status": a.status}
                            for a in actions
                        ]
                    },
                )
            )
            await session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(updated_at=func.now())
            )
            await session.commit()


#: What is said, and nothing done, when a request needs another person's account.
OUT_OF_REACH: dict[OutOfReach, str] = {
    "other_account": (
        "I can't open someone else's mailbox, calendar or Drive: I only work in your own Google account. "
        "I can show you what they sent you, your meetings with them, or the files they share with you."
    ),
    "send_as_other": (
        "I can't send as someone else: mail only goes from your own address. "
        "I can send it from you, or draft it for them to send."
    ),
}
#: How a request names its own user as a person ("can I edit it?" holds "me").
_MYSELF = frozenset({"me", "i", "myself"})


def _asked_about(meaning: Meaning) -> list[tuple[str, str]]:
    """Whom an access question asks about: each by their name in the contacts (as typed
    when no one matched) and address; the user is "you"."""
    asked = []
    for name in meaning.frame.share.people if meaning.frame.share else []:
        person = meaning.person(name)
        if name.lower() in _MYSELF:
            asked.append(("you", ""))
        else:
            shown = person.contact.name if person is not None and person.contact is not None else name
            asked.append((shown, meaning.address(name) or ""))
    return asked


async def _last_synced(session: AsyncSession, user_id: uuid.UUID) -> dict[str, datetime | None]:
    """When each service's cache last synced successfully, for the answer to say how fresh it is."""
    rows = await session.execute(
        select(SyncStatus.service, func.max(SyncStatus.last_success_at))
        .where(SyncStatus.user_id == user_id)
        .group_by(SyncStatus.service)
    )
    return {service: last for service, last in rows}


def must_ask(meaning: Meaning) -> bool:
    """Does the request need an answer from the user before anything runs?

    - Which earlier item ("the fifth one" when four were shown): ask, offering the items
      shown (with nothing shown before, there is nothing to offer, and the words are
      searched for instead).
    - Which person: ask before a write (a message must not go to the wrong Sarah), but
      not for a new event's guest (it is created uninvited, and the card says so); a
      lookup runs for every candidate, and ranking usually settles it. To whom, when a
      message says to no one.
    - What a new event is called, when the words do not say: ask (never "Meeting").
    - Which service or operation: never ask. A lookup searches every service when unsure;
      a write is only ever proposed, and the confirmation card is the question.
    """
    clarification = meaning.clarification
    if clarification is None:
        return False
    if clarification.kind == "title":
        return True  # a new event is called what the user says, never "Meeting"
    if clarification.kind == "item" and clarification.options:
        return True
    if clarification.kind == "other" and meaning.frame.act == "delete" and meaning.frame.target.every:
        return True  # which ones, before deleting "everything"
    writes = meaning.frame.act not in ("find", "read", "free_time", "prepare")
    if clarification.kind == "person" and not clarification.options and writes:
        return True  # "send an email saying ...": to whom
    ambiguous = [person for person in meaning.people if person.contact is None and person.candidates]
    if meaning.frame.act == "create" and meaning.frame.event is not None:
        # "lunch with Sarah tomorrow at 1": a new event is the user's own; a name that may
        # mean several people is left uninvited (the card says so), not asked about.
        # But "unless Sarah and I already meet that day" must know which Sarah to check.
        checked = meaning.frame.condition.people if meaning.frame.condition is not None else []
        ambiguous = [
            person
            for person in ambiguous
            if person.mention not in meaning.frame.event.attendees or person.mention in checked
        ]
    return bool(ambiguous) and writes


async def _conversation(
    session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID | None, text: str, start_if_missing: bool
) -> uuid.UUID:
    """The user's conversation to continue, or a new one titled by its first message."""
    if conversation_id is not None:
        found = await session.get(Conversation, conversation_id)
        if found is not None and found.user_id == user_id:
            return conversation_id
        if found is not None or not start_if_missing:
            raise LookupError("no such conversation")
    conversation = Conversation(user_id=user_id, title=text[:80])
    if conversation_id is not None:
        conversation.id = conversation_id
    session.add(conversation)
    try:
        await session.flush()
    except IntegrityError as error:  # the id is another user's conversation, invisible to this one
        raise LookupError("no such conversation") from error
    return conversation.id
