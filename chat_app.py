"""The Chainlit chat app: where a message arrives and an answer streams out.

    sign in with Google ─▶ tokens stored encrypted, first sync queued
    message ─▶ Concierge.ask ─▶ understanding and plan shown as steps, each plan step as a
               step with what it found, the answer streamed token by token, sources as
               side-panel chips, each proposed write as a card with Confirm / Cancel

Run with `concierge demo` (or `chainlit run chat_app.py`).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import chainlit as cl
from chainlit.server import app
from sqlalchemy import select

from assistant import api, login, runtime
from assistant.accounts import link_google_account
from assistant.actions import ActionError, PendingAction
from assistant.agents.base import SourceItem
from assistant.logs import configure_logging
from assistant.models import SyncStatus, User
from assistant.orchestrator import StepEvent
from assistant.pipeline import ClarificationEvent, Concierge, DoneEvent, IntentEvent, PlanEvent, TokenEvent
from assistant.settings import get_settings
from sync import webhooks
from sync.queues import SERVICES, Priority, enqueue_sync

settings = get_settings()
configure_logging(settings)
login.install(settings)
app.include_router(webhooks.router)  # POST routes: not shadowed by Chainlit's catch-all GET
api.install(app)  # the HTTP API (POST /query, /actions, /conversations, ...): docs/api.md

AUTHOR = "Concierge"
_concierge: Concierge | None = None


def concierge() -> Concierge:
    global _concierge
    if _concierge is None:
        urls = runtime.urls()
        _concierge = Concierge.create(settings, urls.database_url, urls.redis_url)
    return _concierge


@cl.oauth_callback
async def signed_in(
    provider_id: str, token: str, raw_user_data: dict[str, Any], default_user: cl.User, id_token: str | None = None
) -> cl.User | None:
    grant = login.take_grant(token)
    email = default_user.identifier
    async with runtime.sessions()() as session:
        _, account = await link_google_account(
            session,
            user_email=email,
            account_email=email,
            access_token=grant["access_token"],
            refresh_token=grant.get("refresh_token"),
            expires_at=login.expiry_of(grant),
            scopes=str(grant.get("scope", "")).split(),
            display_name=raw_user_data.get("name"),
            google_subject=str(raw_user_data.get("id", "")) or None,
        )
        await session.commit()
    redis = runtime.redis_client()
    await asyncio.to_thread(
        lambda: [enqueue_sync(redis, str(account.id), service, priority=Priority.HIGH) for service in SERVICES]
    )
    return default_user


async def current_user_id() -> uuid.UUID:
    """Our user id for the signed-in person, looked up once per chat session."""
    user_id = cl.user_session.get("user_id")
    if user_id is None:
        identifier = cl.user_session.get("user").identifier
        async with runtime.sessions()() as session:
            user_id = (await session.execute(select(User.id).where(User.email == identifier))).scalar_one()
        cl.user_session.set("user_id", user_id)
    return user_id


@cl.on_chat_start
async def start() -> None:
    user = cl.user_session.get("user")
    name = (user.display_name or user.identifier).split(" ")[0] if user else "there"
    await cl.Message(
        content=(
            f"Hi {name}, I'm **Concierge**. Ask me about your Gmail, Calendar and Drive, or ask me to "
            "send, schedule, move or share something: I'll show you exactly what I'd do and wait "
            f"for your confirmation.\n\n{await sync_note(await current_user_id())}"
        ),
        author=AUTHOR,
    ).send()


async def sync_note(user_id: uuid.UUID) -> str:
    async with runtime.sessions()() as session:
        rows = (await session.execute(select(SyncStatus).where(SyncStatus.user_id == user_id))).scalars().all()
    if rows and all(row.last_success_at for row in rows) and len(rows) >= len(SERVICES):
        return ""
    done = sum(row.items_synced for row in rows)
    return f"_I'm still reading your account ({done} items so far); answers will fill in as I go._"


@cl.on_message
async def on_message(message: cl.Message) -> None:
    user_id = await current_user_id()
    # Created at the first token, so that it comes after the steps that led to it.
    answer = cl.Message(content="", author=AUTHOR)
    answer_started = False
    steps: dict[str, cl.Step] = {}
    done: DoneEvent | None = None
    try:
        async for event in concierge().ask(user_id, message.content, conversation_id=cl.user_session.get("conversation_id")):
            if isinstance(event, IntentEvent):
                async with cl.Step(name="Understanding", type="llm") as step:
                    intent = event.intent
                    step.output = f"{', '.join(intent.services)} \u00b7 {', '.join(intent.operations)} (confidence {intent.confidence:.2f}, {intent.provider})"
            elif isinstance(event, PlanEvent):
                async with cl.Step(name="Plan", type="tool") as step:
                    step.output = "\n".join(
                        f"{number}. " + " + ".join(s.description for s in level)
                        for number, level in enumerate(event.plan.levels(), start=1)
                    )
            elif isinstance(event, StepEvent):
                await render_step(event, steps)
            elif isinstance(event, ClarificationEvent):
                answer.actions = [
                    cl.Action(name="clarify", payload={"answer": option}, label=option) for option in event.clarification.options
                ]
            elif isinstance(event, TokenEvent):
                if not answer_started:
                    answer = cl.Message(content="", author=AUTHOR, actions=answer.actions)
                    answer_started = True
                await answer.stream_token(event.text)
            elif isinstance(event, DoneEvent):
                done = event
    except Exception:  # the user must see something; the details are in the log
        answer.content = (answer.content or "") + "\n\nSorry, something went wrong on my side. Please try again."
        await answer.send()
        raise
    assert done is not None
    cl.user_session.set("conversation_id", done.conversation_id)
    answer.elements = [source_element(number, source, done.timezone) for number, source in enumerate(done.sources, start=1)]
    await answer.send()
    for action in done.actions:
        await action_card(action)


async def render_step(event: StepEvent, steps: dict[str, cl.Step]) -> None:
    plan_step = event.step
    if event.kind == "step_started":
        step = cl.Step(name=plan_step.description, type="retrieval" if not plan_step.is_write else "tool")
        step.input = plan_step.params
        steps[plan_step.id] = step
        await step.send()
        return
    step = steps.get(plan_step.id) or cl.Step(name=plan_step.description, type="tool")
    result = event.result
    assert result is not None
    if result.status == "ok":
        items = result.outputs.get("items") or ([result.outputs["item"]] if result.outputs.get("item") else [])
        slots = result.outputs.get("slots")
        step.output = "\n".join(f"- {item.title}" for item in items[:10]) or (
            f"{len(slots)} free slots" if slots is not None else "nothing found"
        )
    elif result.status == "awaiting_confirmation":
        step.output = "waiting for your confirmation"
    else:
        step.output = result.error or result.status
        step.is_error = result.status == "failed"
    await (step.update() if plan_step.id in steps else step.send())


def source_element(number: int, source: SourceItem, zone: ZoneInfo) -> cl.Text:
    return cl.Text(name=f"[{number}]", content=source_panel(source, zone), display="side")


def source_panel(source: SourceItem, zone: ZoneInfo) -> str:
    """What the side panel shows for a source, times in the user's zone."""
    details = source.details
    lines = [f"### {source.title}"]
    if source.service == "gmail":
        lines += [f"**From** {details.get('from', '')}", f"**To** {', '.join(details.get('to', []))}"]
        if source.when:
            lines.append(f"**Date** {source.when.astimezone(zone):%a %d %b %Y, %H:%M} ({zone})")
        if details.get("attachments"):
            lines.append(f"**Attachments** {', '.join(details['attachments'])}")
        lines += ["", details.get("excerpt") or source.snippet]
        link = "Open in Gmail"
    elif source.service == "calendar":
        lines.append(f"**When** {_span(details, zone)}")
        if details.get("location"):
            lines.append(f"**Where** {details['location']}")
        if details.get("meet_link"):
            lines.append(f"**Meet** {details['meet_link']}")
        people = [a.get("name") or a.get("email") for a in details.get("attendees", [])]
        if people:
            lines.append(f"**Attendees** {', '.join(people)}")
        lines += ["", source.snippet]
        link = "Open in Calendar"
    else:
        modified = f"{source.when.astimezone(zone):%a %d %b %Y, %H:%M}" if source.when else ""
        lines += [f"**Owner** {', '.join(details.get('owners', []))}", f"**Modified** {modified}"]
        lines += ["", details.get("excerpt") or source.snippet]
        link = "Open in Drive"
    if source.url:
        lines += ["", f"[{link}]({source.url})"]
    return "\n".join(lines)


def _span(details: dict[str, Any], zone: ZoneInfo) -> str:
    start = datetime.fromisoformat(details["start"]).astimezone(zone)
    end = datetime.fromisoformat(details["end"]).astimezone(zone)
    if details.get("all_day"):
        return f"{start:%a %d %b %Y} (all day)"
    event_zone = details.get("time_zone")
    shown = f"{start:%a %d %b %Y, %H:%M}\u2013{end:%H:%M} ({zone})"
    if event_zone and event_zone != str(zone):
        local = datetime.fromisoformat(details["start"]).astimezone(ZoneInfo(event_zone))
        shown += f", {local:%H:%M} in {event_zone}"
    return shown


async def action_card(action: PendingAction) -> None:
    payload = {"id": str(action.id)}
    buttons = [
        cl.Action(name="confirm_action", payload=payload, label="Confirm", icon="check"),
        cl.Action(name="cancel_action", payload=payload, label="Cancel", icon="x"),
    ]
    # Kept so that a decision removes both buttons, not just the one clicked.
    cl.user_session.set(f"buttons:{action.id}", buttons)
    await cl.Message(
        content="**Please confirm**\n\n" + "\n".join(f"> {line}" if line else ">" for line in action.preview.splitlines()),
        author=AUTHOR,
        actions=buttons,
    ).send()


@cl.action_callback("confirm_action")
async def confirm_action(action: cl.Action) -> None:
    await decide(action, "confirm")


@cl.action_callback("cancel_action")
async def cancel_action(action: cl.Action) -> None:
    await decide(action, "cancel")


@cl.action_callback("undo_action")
async def undo_action(action: cl.Action) -> None:
    await decide(action, "undo")


@cl.action_callback("clarify")
async def clarify(action: cl.Action) -> None:
    await action.remove()
    await on_message(cl.Message(content=action.payload["answer"]))


async def decide(action: cl.Action, decision: str) -> None:
    user_id = await current_user_id()
    desk = await concierge().actions(user_id)
    action_id = uuid.UUID(action.payload["id"])
    for button in cl.user_session.get(f"buttons:{action_id}") or [action]:
        await button.remove()
    cl.user_session.set(f"buttons:{action_id}", None)
    try:
        if decision == "confirm":
            outcome = await desk.confirm(user_id, action_id)
        elif decision == "cancel":
            outcome = await desk.cancel(user_id, action_id)
        else:
            outcome = await desk.undo(user_id, action_id)
    except ActionError as error:
        await cl.Message(content=f"I couldn't do that: {error}.", author=AUTHOR).send()
        return
    result = outcome.result or {}
    if decision == "cancel":
        await cl.Message(content="Cancelled. Nothing was sent or changed.", author=AUTHOR).send()
    elif decision == "undo":
        await cl.Message(content=f"{result.get('undone', 'Undone')}.", author=AUTHOR).send()
    else:
        undo = (
            [cl.Action(name="undo_action", payload={"id": str(outcome.id)}, label="Undo", icon="undo")]
            if outcome.undo_until
            else []
        )
        await cl.Message(content=f"Done: {result.get('summary', outcome.operation)}.", author=AUTHOR, actions=undo).send()
