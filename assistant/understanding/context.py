"""The conversation so far, as the classifier needs it to resolve follow-ups.

Stored in `messages` (no columns of our own). The JSONB columns hold:

- user turns: `intent` = `Meaning.model_dump(mode="json")` (the request's frame, resolved);
- assistant turns: `results` = `{"items": [{"service", "id", "title"}, ...]}`, the items
  shown, in the order shown (so "the second one" is `items[1]`), and `actions` =
  `{"items": [{"type": "draft" | "send" | ..., "service", "id", "status"}, ...]}`.

Everything read back is validated; a row another version wrote in a shape we do not
understand is skipped (and logged), never fatal to the conversation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.core.models import Message
from assistant.understanding.frame import Frame
from assistant.understanding.schema import ItemRef

log = logging.getLogger(__name__)

CONTEXT_TURNS = 6


class Action(BaseModel):
    type: str
    service: str
    id: str = ""
    status: str = ""


class Turn(BaseModel):
    role: str
    text: str
    #: The user's request as understood (a user turn).
    frame: Frame | None = None
    items: list[ItemRef] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)


class ConversationContext(BaseModel):
    """Recent turns, oldest first."""

    turns: list[Turn] = Field(default_factory=list)

    @property
    def last_frame(self) -> Frame | None:
        for turn in reversed(self.turns):
            if turn.frame is not None:
                return turn.frame
        return None

    @property
    def last_search(self) -> Frame | None:
        """The latest request that looked something up: what "what about ...?" continues."""
        for turn in reversed(self.turns):
            if turn.frame is not None and turn.frame.act in ("find", "read"):
                return turn.frame
        return None

    @property
    def last_items(self) -> list[ItemRef]:
        """The items of the latest answer that showed any."""
        for turn in reversed(self.turns):
            if turn.items:
                return turn.items
        return []

    @property
    def last_actions(self) -> list[Action]:
        for turn in reversed(self.turns):
            if turn.actions:
                return turn.actions
        return []

    def digest(self) -> str:
        """A stable hash of what the classifier sees, for the intent cache key."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def summary(self) -> str:
        """The context as text for a language model: intents, numbered items, actions."""
        lines = []
        for turn in self.turns:
            lines.append(f"{turn.role}: {turn.text}")
            if turn.frame is not None:
                lines.append(f"  understood as {turn.frame.model_dump_json(exclude_defaults=True)}")
            for item in turn.items:
                lines.append(f"  item {item.position}: [{item.service}] {item.title} (id {item.id})")
            for action in turn.actions:
                lines.append(f"  action: {action.type} on {action.service} {action.id} ({action.status})")
        return "\n".join(lines)


def _frame(stored: dict[str, Any] | None) -> Frame | None:
    """The frame of a stored meaning; None for a turn stored before frames (no `frame`)."""
    if not stored or "frame" not in stored:
        return None
    return Frame.model_validate(stored["frame"])


def _items(results: dict[str, Any] | None) -> list[ItemRef]:
    rows = (results or {}).get("items") or []
    return [ItemRef.model_validate({**row, "position": i}) for i, row in enumerate(rows, start=1)]


def turn_from_row(message: Message) -> Turn | None:
    try:
        return Turn(
            role=message.role,
            text=message.content,
            frame=_frame(message.intent),
            items=_items(message.results),
            actions=[Action.model_validate(a) for a in (message.actions or {}).get("items") or []],
        )
    except (ValidationError, TypeError, AttributeError) as exc:
        log.warning("skipping unreadable message %s in context: %s", message.id, exc)
        return None


async def load_context(
    session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID, limit: int = CONTEXT_TURNS
) -> ConversationContext:
    """The last `limit` turns of one of the user's conversations."""
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.user_id == user_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    turns = [turn for turn in (turn_from_row(m) for m in reversed(list(rows))) if turn is not None]
    return ConversationContext(turns=turns)
