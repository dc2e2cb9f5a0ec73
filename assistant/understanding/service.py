"""Understanding a message: cache, provider chain, resolution, and recording the turn.

    understander = Understander(settings, redis_client)
    intent = await understander.understand_message(session, user_id, conversation_id, text)

The chain is the configured language model(s) then the offline `local` provider; the
provider that answered is in `ParsedIntent.provider` and in `messages.llm_provider`.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import redis.asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.core.models import CalendarEvent, Message, User
from assistant.core.settings import Settings
from assistant.llm.base import ChatMessage, LLMRequest
from assistant.llm.chain import FallbackChain
from assistant.llm.factory import build_chain
from assistant.llm.local_provider import LocalProvider
from assistant.understanding.cache import CachedIntent, cache_key, intent_cache
from assistant.understanding.contacts import ContactBook, ContactCache
from assistant.understanding.context import ConversationContext, load_context
from assistant.understanding.dates import AnchorLookup
from assistant.understanding.local import local_understanding
from assistant.understanding.resolve import resolve
from assistant.understanding.schema import IntentDraft, ParsedIntent

SYSTEM_PROMPT = """\
You read requests to an assistant over the user's Gmail, Google Calendar and Google Drive
and fill in the intent record. Rules:
- services: gmail, calendar, drive; the one the request is mainly about first. Requests
  that need several (e.g. "email Sarah the Q3 report" needs drive to find the file, then
  gmail to send it) list all, and `steps` orders the calls with `depends_on` indexes.
- operations: search, read, send, draft, reply, forward, create, update (move, rename,
  reschedule), delete, share; the main one first. "remind me ..." is a calendar create.
- Copy people, date/time phrases, titles, file names and message text exactly as the user
  wrote them; do not resolve them to dates or addresses. `when` selects existing items,
  `new_time` is the time of a new or moved event.
- `slots`: surface spans by type: person, date, time, timeofday, event_name, email_address,
  place_name, file_name.
- Follow-ups: use the conversation. "the second one" -> item_ordinals [2]; "it" -> the item
  just discussed; "what about last month?" or "and Drive?" repeat the previous request with
  that change; set refers_to_previous.
- When the request could mean clearly different things, set `clarification` with what is
  unclear (`kind`), a short question and the options; otherwise null. `confidence` is your probability of being right.
"""

_ANCHOR = re.compile(r"\b(?:before|until|after) (?:my|the|our) (.+)$")


@dataclass(frozen=True)
class IntentTask:
    """The input of the understanding task (the local provider reads it directly)."""

    text: str
    context: ConversationContext
    now: datetime


def intent_request(task: IntentTask) -> LLMRequest:
    prompt = [
        f"Now: {task.now.isoformat()} ({task.now.tzinfo}).",
        "Conversation so far:\n" + (task.context.summary() or "(none)"),
        f"Request: {task.text}",
    ]
    return LLMRequest(
        system=SYSTEM_PROMPT,
        messages=[ChatMessage(role="user", content="\n\n".join(prompt))],
        task=task,
        output_name="record_intent",
    )


def local_intent_provider(settings: Settings) -> LocalProvider:
    """The offline provider of intents; its models load on first use (about a second), so a
    deployment with a working language model never pays for them."""
    return LocalProvider(
        structured={IntentDraft: lambda task: local_understanding(settings).understand(task.text, task.context)}
    )


def user_zone(name: str | None, settings: Settings) -> ZoneInfo:
    for candidate in (name, settings.timezone, "UTC"):
        try:
            return ZoneInfo(candidate or "")
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


class Understander:
    def __init__(
        self,
        settings: Settings,
        redis_client: redis.asyncio.Redis | None,
        *,
        chain: FallbackChain | None = None,
    ) -> None:
        self._settings = settings
        self._chain = chain or build_chain(settings, local_intent_provider(settings))
        self._cache = intent_cache(redis_client) if redis_client is not None else None
        self._contacts = ContactCache()

    async def draft(
        self, user_id: uuid.UUID, text: str, context: ConversationContext, now: datetime
    ) -> tuple[IntentDraft, str]:
        """The provider's reading of the request (cached) and the provider's name."""
        key = cache_key(user_id, text, context.digest())
        if self._cache is not None and (hit := await self._cache.get(key)) is not None:
            return hit.draft, hit.provider
        answer = await self._chain.generate(intent_request(IntentTask(text, context, now)), IntentDraft)
        # A fallback answer is not cached: the primary should get the next try.
        if self._cache is not None and not answer.failures:
            await self._cache.put(key, CachedIntent(provider=answer.provider, draft=answer.value))
        return answer.value, answer.provider

    async def understand(
        self,
        *,
        user_id: uuid.UUID,
        text: str,
        context: ConversationContext,
        now: datetime,
        contacts: ContactBook,
        anchors: AnchorLookup | None = None,
    ) -> ParsedIntent:
        draft, provider = await self.draft(user_id, text, context, now)
        return resolve(
            draft, text=text, provider=provider, now=now, contacts=contacts, context=context, anchors=anchors
        )

    async def understand_message(
        self,
        session: AsyncSession,
        user_id: uuid.UUID,
        conversation_id: uuid.UUID,
        text: str,
        now: datetime | None = None,
    ) -> ParsedIntent:
        """Understand a message of a stored conversation, for its user, at `now` (default:
        the current time in the user's zone; `concierge ask --now` and tests fix it)."""
        user = await session.get(User, user_id)
        now = now or datetime.now(user_zone(user.timezone if user else None, self._settings))
        context = await load_context(session, user_id, conversation_id)
        contacts = await self._contacts.get(session, user_id)
        draft, provider = await self.draft(user_id, text, context, now)
        anchors = await _anchor_times(session, user_id, draft, now)
        return resolve(
            draft,
            text=text,
            provider=provider,
            now=now,
            contacts=contacts,
            context=context,
            anchors=anchors.get,
        )


async def _anchor_times(
    session: AsyncSession, user_id: uuid.UUID, draft: IntentDraft, now: datetime
) -> dict[str, datetime]:
    """Start times of the events that 'before my flight'-style phrases refer to."""
    anchors: dict[str, datetime] = {}
    for phrase in (draft.when, draft.new_time):
        match = _ANCHOR.search((phrase or "").lower())
        if not match:
            continue
        words = match.group(1).strip()
        start = await session.scalar(
            select(CalendarEvent.start_at)
            .where(
                CalendarEvent.user_id == user_id,
                CalendarEvent.status != "cancelled",
                CalendarEvent.start_at >= now,
                CalendarEvent.summary.ilike(f"%{_escape_like(words)}%"),
            )
            .order_by(CalendarEvent.start_at)
            .limit(1)
        )
        if start is not None:
            anchors[words] = start.astimezone(now.tzinfo)
    return anchors


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def record_user_turn(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    conversation_id: uuid.UUID,
    intent: ParsedIntent,
    started: float,
) -> Message:
    """Store the user's message with what it was understood as and who understood it.

    `started` is the `time.perf_counter()` reading when the message arrived.
    """
    message = Message(
        conversation_id=conversation_id,
        user_id=user_id,
        role="user",
        content=intent.text,
        intent=json.loads(intent.model_dump_json()),
        llm_provider=intent.provider,
        latency_ms=round((time.perf_counter() - started) * 1000),
        created_at=datetime.now(UTC),
    )
    session.add(message)
    await session.flush()
    return message
