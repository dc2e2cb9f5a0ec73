"""Turn an `IntentDraft` into a `ParsedIntent`: real contacts, absolute times, real items."""

from __future__ import annotations

import re
from datetime import datetime

from assistant.understanding.contacts import ContactBook
from assistant.understanding.context import ConversationContext
from assistant.understanding.dates import AnchorLookup, resolve_when
from assistant.understanding.schema import (
    Clarification,
    Entities,
    IntentDraft,
    ItemRef,
    ParsedIntent,
    ResolvedPerson,
    Step,
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _referenced_items(draft: IntentDraft, context: ConversationContext) -> list[ItemRef]:
    items = context.last_items
    chosen = []
    for ordinal in draft.item_ordinals:
        index = len(items) + ordinal if ordinal < 0 else ordinal - 1
        if 0 <= index < len(items):
            chosen.append(items[index])
    return chosen


def _clarification(
    draft: IntentDraft, people: list[ResolvedPerson], items: list[ItemRef], context: ConversationContext
) -> Clarification | None:
    if draft.clarification is not None:
        return draft.clarification
    for person in people:
        if person.candidates:
            return Clarification(
                kind="person",
                question=f"Which {person.mention} do you mean?",
                options=[f"{c.name} <{c.email}>" for c in person.candidates],
            )
    if draft.item_ordinals and not items and context.last_items:
        count = len(context.last_items)
        return Clarification(
            kind="item",
            question=f"I only showed {count} item{'s' if count != 1 else ''}: which one do you mean?",
            options=[f"{item.position}. {item.title}" for item in context.last_items],
        )
    return None


def resolve(
    draft: IntentDraft,
    *,
    text: str,
    provider: str,
    now: datetime,
    contacts: ContactBook,
    context: ConversationContext,
    anchors: AnchorLookup | None = None,
) -> ParsedIntent:
    """The draft resolved as seen by this user at `now` (aware, in the user's time zone)."""
    mentions = list(dict.fromkeys(p.strip() for p in draft.people if p.strip()))
    addresses = list(dict.fromkeys(_EMAIL.findall(text.lower()) + [m.lower() for m in mentions if "@" in m]))
    # Named people only: typed addresses are in `email_addresses`, used as they are.
    people = [contacts.match(m) for m in mentions if "@" not in m]
    items = _referenced_items(draft, context)
    services = list(dict.fromkeys(draft.services)) or ([items[0].service] if items else ["gmail"])
    operations = list(dict.fromkeys(draft.operations)) or ["search"]
    # A model may number dependencies wrongly: keep only links to earlier steps.
    steps = [
        Step(**{**step.model_dump(), "depends_on": [d for d in step.depends_on if 0 <= d < index]})
        for index, step in enumerate(draft.steps)
    ] or [Step(service=services[0], operation=operations[0], description=f"{operations[0]} {services[0]}")]
    entities = Entities(
        people=people,
        email_addresses=addresses,
        time_range=resolve_when(draft.when, now, anchors=anchors) if draft.when else None,
        new_time=resolve_when(draft.new_time, now, anchors=anchors, is_new_event=True) if draft.new_time else None,
        topic=draft.topic,
        subject=draft.subject,
        event_title=draft.event_title,
        file_name=draft.file_name,
        body=draft.body,
        place=draft.place,
        items=items,
    )
    return ParsedIntent(
        text=text,
        services=services,
        operations=operations,
        entities=entities,
        steps=steps,
        confidence=min(max(draft.confidence, 0.0), 1.0),
        clarification=_clarification(draft, people, items, context),
        is_follow_up=draft.refers_to_previous,
        provider=provider,
        slots=draft.slot_values(),
    )
