"""Understanding a message: cache, provider chain, resolution, and recording the turn.

    understander = Understander(settings, redis_client)
    intent = await understander.understand_message(session, user_id, conversation_id, text)

The chain is the configured language model(s) then the offline `local` provider; the
provider that answered is in `Meaning.provider` and in `messages.llm_provider`.
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
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.core.models import CalendarEvent, DriveFile, Message, User
from assistant.core.services import ServiceName
from assistant.core.settings import Settings
from assistant.llm.base import ChatMessage, LLMRequest
from assistant.llm.chain import FallbackChain
from assistant.llm.factory import build_chain
from assistant.llm.local_provider import LocalProvider
from assistant.understanding.cache import CachedIntent, cache_key, intent_cache
from assistant.understanding.contacts import ContactBook, ContactCache
from assistant.understanding.context import ConversationContext, load_context
from assistant.understanding.dates import AnchorLookup
from assistant.understanding.frame import Frame
from assistant.understanding.local import local_understanding
from assistant.understanding.meaning import Meaning, resolve_frame
from assistant.understanding.reader import FrameReader

SYSTEM_PROMPT = """\
You read requests to an assistant over the user's Gmail, Google Calendar and Google Drive
and fill in the request frame: what to do (`act`), what the answer must say (`ask`), which
items (`target`, and `also` for other items looked up alongside), and what to write
(`message`, `event`, `share`). Rules:
- Copy names, titles, date and time phrases, subjects and message text exactly as the user
  wrote them, with their case; never resolve them to dates or addresses. Give numbers as
  numbers: counts, `duration_minutes` ("an hour and a half" is 90), `shift_minutes`
  ("15 minutes earlier" is -15).
- `target.order`: "next" for the next upcoming ("my next 1:1"), "latest" for the most
  recent ("Sarah's latest email"), "earliest" for the oldest, else "relevance"; `count` 1
  for one item. `every` for "all", "every", "everything" (say which: a sender, a period).
- People: each with their part: `from` (sender, organizer, owner), `to`, `cc`, `with`
  (taking part), else `any`. In a message, recipients go in `message.to` / `message.cc`;
  a new event's guests in `event.attendees`; sharing in `share.people`.
- Sharing: `share.access` "grant" gives at least the role; "set" changes someone's access
  to exactly the role ("make Daniel view-only"); "revoke" removes it ("stop sharing it
  with Tom"). A rename's new name goes in `rename`, for an event or a file.
- `message.quoted` is true when the user gave the words to send ("saying '...'"), false
  when they reported them ("tell her I'll be late").
- "send Daniel the link to the roadmap deck" is a send with `message.link` true and the
  file as the target (service "drive"): the email carries the file's link.
- "draft a reply to Tom's budget email" is act "reply" with `message.draft` true; "reply to
  Daniel saying ok" answers Daniel's latest email (`target.people` Daniel "from", order
  "latest", count 1).
- "add Hannah to the Beacon kickoff" changes that event (act "change"): `event.attendees`
  ["Hannah"]; "take Daniel off the roadmap review" is `event.uninvited` ["Daniel"].
- A list of things from several services ("the Greenleaf incident: emails, the report and
  the meetings") is one selection per service (`target`, then `also`), each with the subject.
- A move to another day at the same time: `event.start` the new day, `keep_time` true.
- Finding time with people ("find an hour with Sarah next week when we're both free",
  "book 30 min w Daniel tomorrow afternoon") is act "create" with `event.when_free` true,
  `event.start` the stretch to look in, the people in `event.attendees` and the title the
  request gives (null when it gives none: never "Meeting"). "When are Sarah and I both
  free on Monday?" is act "free_time" with Sarah in `target.people`; "my first free hour
  tomorrow" is act "free_time", order "earliest", count 1, `event.duration_minutes` 60.
- Follow-ups use the conversation: "the second one" is `target.picks` [2], "it" sets
  `target.previous`; "only the ones about X" is `refine` "narrow" with X as the topic.
  A follow-up's frame is the whole request: the previous frame, changed ("what about
  last month?" is the previous frame with the new time, `refine` "widen"; "show me more"
  is the previous frame with `refine` "next_page"; "and the one before that?" is the
  previous frame with `refine` "earlier", "and the return flight?" `refine` "later").
- `condition`: "unless we already meet that day" is `no_meeting_with`; "if Friday
  afternoon is free" is `free`; "cancel tomorrow's standup if it clashes with the Q4
  review" is `overlaps` with `other` the Q4 review (the target is the standup; "if it
  clashes with anything" has no `other`).
- `out_of_reach`: "other_account" for another person's mailbox, calendar or account
  ("show me Sarah's inbox"); "send_as_other" for sending as someone else.
- When the request could mean clearly different things, set `clarification` (what is
  unclear, a short question, the options); otherwise null. `confidence` is your
  probability of being right.
Examples:
"cancel my next 1:1 with Priya" -> act delete, target {service calendar, title "1:1",
  people [{name "Priya", role with}], order next, count 1}
"email Daniel with the subject 'Staging' saying 'the deploy is green'" -> act send,
  services [gmail], message {to ["Daniel"], subject "Staging", body "the deploy is green",
  quoted true}
"make the standup 15 minutes earlier tomorrow" -> act change, target {service calendar,
  title "standup", time "tomorrow"}, event {shift_minutes -15}
"stop sharing the pricing model with Tom" -> act share, target {service drive, title
  "pricing model"}, share {people ["Tom"], access revoke}
"rename 'Beacon PRD' to 'Beacon PRD v1'" -> act change, target {title "Beacon PRD"},
  rename "Beacon PRD v1"
"who has access to the Q4 forecast spreadsheet?" -> act find, ask access, target
  {service drive, kinds [spreadsheet], title "Q4 forecast"}
"""

_ANCHOR = re.compile(r"\b(?:before|until|after) (?:my|the|our) (.+)$")


@dataclass(frozen=True)
class IntentTask:
    """The input of the understanding task (the offline reader reads it directly)."""

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
        output_name="record_request_frame",
    )


def local_intent_provider(settings: Settings) -> LocalProvider:
    """The offline reader of frames; its models load on first use (about a second), so a
    deployment with a working language model never pays for them."""
    return LocalProvider(structured={Frame: lambda task: _read_offline(settings, task)})


def _read_offline(settings: Settings, task: IntentTask) -> Frame:
    frame, _ = FrameReader(local_understanding(settings)).read(task.text, task.context)
    return frame


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

    async def frame(
        self, user_id: uuid.UUID, text: str, context: ConversationContext, now: datetime
    ) -> tuple[Frame, str]:
        """The provider's frame of the request (cached) and the provider's name."""
        key = cache_key(user_id, text, context.digest())
        if self._cache is not None and (hit := await self._cache.get(key)) is not None:
            return hit.frame, hit.provider
        answer = await self._chain.generate(intent_request(IntentTask(text, context, now)), Frame)
        # A fallback answer is not cached: the primary should get the next try.
        if self._cache is not None and not answer.failures:
            await self._cache.put(key, CachedIntent(provider=answer.provider, frame=answer.value))
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
        session: AsyncSession | None = None,
    ) -> Meaning:
        """The request's frame resolved for this user. With a `session`, what only the
        caches can say is looked up too: the events "before my flight" names, and where
        the item a rename names lives."""
        frame, provider = await self.frame(user_id, text, context, now)
        found_in = None
        if session is not None:
            anchors = (await _anchor_times(session, user_id, frame, now)).get
            found_in = await _renamed_item_home(session, user_id, frame)
        return resolve_frame(
            frame,
            text=text,
            provider=provider,
            now=now,
            contacts=contacts,
            context=context,
            previous=context.last_frame,
            anchors=anchors,
            found_in=found_in,
        )

    async def understand_message(
        self,
        session: AsyncSession,
        user_id: uuid.UUID,
        conversation_id: uuid.UUID,
        text: str,
        now: datetime | None = None,
    ) -> Meaning:
        """Understand a message of a stored conversation, for its user, at `now` (default:
        the current time in the user's zone; `concierge ask --now` and tests fix it)."""
        user = await session.get(User, user_id)
        now = now or datetime.now(user_zone(user.timezone if user else None, self._settings))
        context = await load_context(session, user_id, conversation_id)
        contacts = await self._contacts.get(session, user_id)
        return await self.understand(
            user_id=user_id, text=text, context=context, now=now, contacts=contacts, session=session
        )


async def _renamed_item_home(session: AsyncSession, user_id: uuid.UUID, frame: Frame) -> ServiceName | None:
    """Where the item a rename names lives when the words do not say: "rename 'Beacon PRD'
    to ..." is a file when a file is called that and no event is, an event the other way."""
    title = frame.target.title
    if frame.act != "change" or not frame.rename or not title or frame.target.service == "drive":
        return None
    pattern = "%" + "%".join(_escape_like(word) for word in title.split()) + "%"
    file = await session.scalar(select(exists().where(DriveFile.user_id == user_id, DriveFile.name.ilike(pattern))))
    event = await session.scalar(
        select(
            exists().where(
                CalendarEvent.user_id == user_id,
                CalendarEvent.status != "cancelled",
                CalendarEvent.summary.ilike(pattern),
            )
        )
    )
    if file and not event:
        return "drive"
    if event and not file:
        return "calendar"
    return None


async def _anchor_times(session: AsyncSession, user_id: uuid.UUID, frame: Frame, now: datetime) -> dict[str, datetime]:
    """Start times of the events that 'before my flight'-style phrases refer to."""
    anchors: dict[str, datetime] = {}
    phrases = [frame.target.time, *(selection.time for selection in frame.also)]
    phrases += [frame.event.start if frame.event else None, frame.condition.time if frame.condition else None]
    for phrase in phrases:
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
    meaning: Meaning,
    started: float,
) -> Message:
    """Store the user's message with what it was understood as and who understood it.

    `started` is the `time.perf_counter()` reading when the message arrived.
    """
    message = Message(
        conversation_id=conversation_id,
        user_id=user_id,
        role="user",
        content=meaning.text,
        intent=json.loads(meaning.model_dump_json()),
        llm_provider=meaning.provider,
        latency_ms=round((time.perf_counter() - started) * 1000),
        created_at=datetime.now(UTC),
    )
    session.add(message)
    await session.flush()
    return message
