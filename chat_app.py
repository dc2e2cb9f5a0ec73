"""The Chainlit chat app: where a message arrives and an answer streams out.

    sign in with Google ─▶ tokens stored encrypted, first sync queued and its progress shown
    message ─▶ Concierge.ask ─▶ understanding and plan as steps, each plan step as a step with
               its inputs and what it found, the answer streamed token by token, its sources
               as chips opening a side panel, how fresh each cache is, and each proposed
               write as a card with Confirm / Edit / Cancel (Undo after)

A Chainlit thread is a Concierge conversation (same id), persisted by Chainlit's data layer
in our PostgreSQL, so a reopened thread takes follow-ups as if it had never closed.
Run with `concierge demo` (or `chainlit run chat_app.py`).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import chainlit as cl
from chainlit.auth.jwt import decode_jwt
from chainlit.input_widget import Select
from chainlit.server import app, sio
from chainlit.session import ws_sessions_id
from chainlit.types import ThreadDict
from chainlit.user_session import user_sessions
from fastapi import Request, Response
from sqlalchemy import select

from assistant import api, composition, login, web
from assistant.actions import ActionError
from assistant.agents.base import SourceItem
from assistant.chat import guards, linking, sharing
from assistant.chat.editing import EditError, form_fields, parse_edits
from assistant.chat.panels import freshness, source_card
from assistant.chat.persistence import ChatDataLayer, use_private_files_directory
from assistant.chat.workspace import (
    preferences,
    save_preferences,
    starter_prompts,
    sync_progress,
    waiting_actions,
)
from assistant.core import runtime
from assistant.core.logs import configure_logging
from assistant.core.models import GoogleAccount, User
from assistant.core.settings import get_settings
from assistant.google.accounts import link_google_account
from assistant.orchestrator import StepEvent
from assistant.pipeline import (
    ClarificationEvent,
    DoneEvent,
    IntentEvent,
    PlanEvent,
    TokenEvent,
)
from assistant.plan import PlanStep
from assistant.web.guard import CSRF_COOKIE
from assistant.writes import PendingAction
from sync import webhooks
from sync.queues import Priority, enqueue_account_syncs

CHAINLIT_CI_FAKE_OPENAI_KEY = "sk-FAKE-OPENAI-API-KEY"

# `chainlit run` in CI mode (the CI variable set, as on any CI runner) puts a fake OpenAI
# key in the environment "for its own tests": we would take it for a configured model,
# try it on every message and fall back after each failure.
if os.environ.get("OPENAI_API_KEY") == CHAINLIT_CI_FAKE_OPENAI_KEY:
    del os.environ["OPENAI_API_KEY"]
settings = get_settings()
configure_logging(settings)
google_sign_in = login.install(settings)
web.install(app)  # trusted origins, CSRF, sessions that end at logout: docs/security.md
use_private_files_directory(settings.data_dir)
app.include_router(webhooks.router)  # POST routes: not shadowed by Chainlit's catch-all GET
api.install(app)  # the HTTP API (POST /query, /actions, /conversations, ...): docs/api.md
sharing.install(app)
guards.install(app)
linking.install(app, google_sign_in)

AUTHOR = "Concierge"
SYNC_CHOICES = {"Every 5 minutes": "5", "Every 15 minutes": "15", "Every 30 minutes": "30", "Every hour": "60"}
ZONES = sorted(available_timezones() - {"localtime", "Factory"})
COMMANDS = [
    {"id": "Refresh", "icon": "refresh-cw", "description": "Sync Gmail, Calendar and Drive now", "button": True},
    {"id": "Link account", "icon": "user-plus", "description": "Link another Google account", "button": False},
]
PROGRESS_SECONDS = 2.0
concierge = composition.concierge  # the process's one assistant, shared with the HTTP API


@cl.data_layer
def data_layer() -> ChatDataLayer:
    return ChatDataLayer(runtime.urls().database_url, runtime.engine())


# --- signing in -----------------------------------------------------------------------


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
    await queue_syncs([account.id])
    # The session's id rides in Chainlit's signed cookie; assistant/web checks it is live.
    default_user.metadata["session"] = await web.browser_sessions().start(email)
    return default_user


@cl.on_logout
async def signed_out(request: Request, response: Response) -> dict[str, bool]:
    """End the session on the server too (the cookie alone would live on), with the API
    tokens it minted and its open sockets."""
    session = getattr(request.state, "browser_session", None)
    if session is not None:
        await web.browser_sessions().end(session.id)
        await disconnect_sockets(session.id)
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"success": True}


async def disconnect_sockets(session_id: str) -> None:
    """Close this process's chat sockets opened with the ended session."""
    for socket_session in list(ws_sessions_id.values()):
        token = socket_session.token
        try:
            same = token is not None and decode_jwt(token).metadata.get("session") == session_id
        except Exception:  # a token that no longer decodes belongs to no live session
            same = True
        if same:
            await sio.disconnect(socket_session.socket_id)


async def session_is_live() -> bool:
    """Whether the chat session's sign-in is still live (not signed out elsewhere)."""
    token = cl.context.session.token
    if token is None:
        return False
    user = decode_jwt(token)
    session_id = user.metadata.get("session")
    return isinstance(session_id, str) and await web.browser_sessions().live(session_id, user.identifier) is not None


async def queue_syncs(account_ids: list[uuid.UUID]) -> None:
    redis = runtime.redis_client()
    for account_id in account_ids:
        await asyncio.to_thread(enqueue_account_syncs, redis, str(account_id), Priority.HIGH)


async def user_id_of(identifier: str) -> uuid.UUID | None:
    """Our user id for a signed-in person: the one lookup that runs as the owner, not as a user."""
    async with runtime.sessions()() as session:
        return (await session.execute(select(User.id).where(User.email == identifier))).scalar_one_or_none()


async def current_user_id() -> uuid.UUID:
    """Our user id for the signed-in person, looked up once per chat session."""
    cached = cl.user_session.get("user_id")
    if cached is None:
        user_id = await user_id_of(cl.user_session.get("user").identifier)
        assert user_id is not None, "signed in, so linked at sign-in"
        cached = str(user_id)
        cl.user_session.set("user_id", cached)  # a string: the session is saved as JSON
    return uuid.UUID(cached)


# --- a new chat, a resumed one, a shared one --------------------------------------------


@cl.set_starters
async def starters(user: cl.User | None, language: str | None = None) -> list[cl.Starter]:
    if user is None:
        return []
    user_id = await user_id_of(user.identifier)
    if user_id is None:
        return []
    async with concierge().sessions_for(user_id)() as session:
        prompts = await starter_prompts(session, user_id, datetime.now().astimezone())
    return [cl.Starter(label=label, message=message) for label, message in prompts]


@cl.on_chat_start
async def start() -> None:
    user_id = await current_user_id()
    await cl.context.emitter.set_commands(COMMANDS)
    await send_settings(user_id)
    async with concierge().sessions_for(user_id)() as session:
        progress = await sync_progress(session, user_id)
    if progress.complete:
        return  # the welcome screen, with starters drawn from the user's data
    user = cl.user_session.get("user")
    name = (user.display_name or user.identifier).split(" ")[0]
    note = cl.Message(
        content=f"Hi {name}, I'm **Concierge**. I'm reading your account for the first time; you can already ask, "
        "and answers fill in as I go.\n\n" + progress.describe(),
        author=AUTHOR,
    )
    await note.send()
    asyncio.create_task(follow_first_sync(note, user_id))


async def follow_first_sync(note: cl.Message, user_id: uuid.UUID) -> None:
    """Keep the greeting's progress line current until every service has synced once."""
    head = note.content.rsplit("\n\n", 1)[0]
    deadline = asyncio.get_running_loop().time() + 30 * 60
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(PROGRESS_SECONDS)
        async with concierge().sessions_for(user_id)() as session:
            progress = await sync_progress(session, user_id)
        line = progress.describe()
        if progress.complete:
            line += "\n\nAll caught up: ask me anything about your mail, calendar and files."
        if note.content != f"{head}\n\n{line}":
            note.content = f"{head}\n\n{line}"
            await note.update()
        if progress.complete or progress.failed:
            return


@cl.on_chat_resume
async def resumed(thread: ThreadDict) -> None:
    # The thread's metadata was copied into this session: without the sharing flags, so
    # that saving the session when it ends cannot undo an unshare made meanwhile.
    session_data = user_sessions.get(cl.context.session.id, {})
    for key in sharing.SHARING_KEYS:
        session_data.pop(key, None)
    user_id = await current_user_id()
    await cl.context.emitter.set_commands(COMMANDS)
    await send_settings(user_id)
    async with concierge().sessions_for(user_id)() as session:
        waiting = await waiting_actions(session, user_id, uuid.UUID(thread["id"]))
    desk = await concierge().actions(user_id)
    for action_id in waiting:
        await action_card(await desk.get(user_id, action_id))


@cl.on_shared_thread_view
async def may_view_shared(thread: ThreadDict, viewer: cl.User | None) -> bool:
    return sharing.may_read(dict(thread), viewer)


# --- settings ---------------------------------------------------------------------------


async def send_settings(user_id: uuid.UUID) -> None:
    async with concierge().sessions_for(user_id)() as session:
        zone, minutes = await preferences(session, user_id)
    interval = next((label for label, value in SYNC_CHOICES.items() if int(value) == minutes), "Every 15 minutes")
    await cl.ChatSettings(
        [
            Select(id="timezone", label="Time zone", values=ZONES, initial_value=zone if zone in ZONES else "UTC"),
            Select(id="sync", label="Keep my data fresh", items=SYNC_CHOICES, initial_value=SYNC_CHOICES[interval]),
        ]
    ).send()


@cl.on_settings_update
async def settings_updated(values: dict[str, Any]) -> None:
    zone, minutes = str(values.get("timezone")), str(values.get("sync"))
    if zone not in ZONES or minutes not in SYNC_CHOICES.values():
        await cl.Message(content="Those settings were not valid; nothing was changed.", author=AUTHOR).send()
        return
    user_id = await current_user_id()
    async with concierge().sessions_for(user_id)() as session:
        await save_preferences(session, user_id, zone, int(minutes))
        await session.commit()
    await cl.Message(
        content=f"Saved: times are shown in **{zone}**, and your data syncs every **{minutes} minutes**.", author=AUTHOR
    ).send()


# --- a message --------------------------------------------------------------------------


@cl.on_message
async def on_message(message: cl.Message) -> None:
    if message.command == "Refresh":
        await refresh()
        return
    if message.command == "Link account":
        await cl.Message(
            content="[Link another Google account](/accounts/link): its mail, calendar and files join this one's.",
            author=AUTHOR,
        ).send()
        return
    await answer(message.content)


async def answer(text: str) -> None:
    user_id = await current_user_id()
    thread_id = uuid.UUID(cl.context.session.thread_id)
    reply = cl.Message(content="", author=AUTHOR)
    steps: dict[str, ShownStep] = {}
    done: DoneEvent | None = None
    try:
        async for event in concierge().ask(user_id, text, conversation_id=thread_id, start_if_missing=True):
            if isinstance(event, IntentEvent):
                await show_intent(event)
            elif isinstance(event, PlanEvent):
                await show_plan(event)
            elif isinstance(event, StepEvent):
                await show_step(event, steps)
            elif isinstance(event, ClarificationEvent):
                reply.actions = [
                    cl.Action(name="clarify", payload={"answer": option}, label=option)
                    for option in event.clarification.options
                ]
            elif isinstance(event, TokenEvent):
                await reply.stream_token(event.text)
            elif isinstance(event, DoneEvent):
                done = event
    except (LookupError, ValueError) as error:
        await cl.Message(content=f"I can't answer that here: {error}.", author=AUTHOR).send()
        return
    except Exception:  # the user must see something; the details are in the log
        reply.content = (reply.content or "") + "\n\nSorry, something went wrong on my side. Please try again."
        await reply.send()
        raise
    assert done is not None
    if done.sources:
        reply.elements = [sources_element(list(enumerate(done.sources, start=1)), done.timezone)]
    if done.last_synced:
        reply.content += f"\n\n*{freshness(done.last_synced, datetime.now().astimezone())}*"
        reply.actions.append(
            cl.Action(name="refresh", payload={}, label="Refresh", icon="refresh-cw", tooltip="Sync now")
        )
    await reply.send()
    await cite_in_steps(steps, done)
    for action in done.actions:
        await action_card(action)


def sources_element(numbered: list[tuple[int, SourceItem]], zone: ZoneInfo) -> cl.CustomElement:
    cards = [source_card(number, source, zone) for number, source in numbered]
    return cl.CustomElement(name="Sources", props={"sources": cards}, display="inline")


async def cite_in_steps(steps: dict[str, ShownStep], done: DoneEvent) -> None:
    """Give each step the chips of what it found, numbered as the answer cites them."""
    numbers = {(source.service, source.id): number for number, source in enumerate(done.sources, start=1)}
    for shown in steps.values():
        cited = [(numbers[(item.service, item.id)], item) for item in shown.items if (item.service, item.id) in numbers]
        if cited:
            shown.step.elements = [sources_element(cited, done.timezone)]
            await shown.step.update()


async def show_intent(event: IntentEvent) -> None:
    meaning = event.meaning
    frame = meaning.frame
    async with cl.Step(name="Understanding", type="llm", default_open=False) as step:
        found = [f"**Do** {frame.act} ({frame.ask})", f"**Services** {', '.join(frame.services)}"]
        if meaning.people:
            people = (
                f"{p.contact.name} <{p.contact.email}>" if p.contact else f"{p.mention} (no match)"
                for p in meaning.people
            )
            found.append(f"**People** {', '.join(people)}")
        if meaning.target_window:
            window = meaning.target_window
            found.append(f"**When** {window.text}: {window.start:%a %d %b %H:%M} to {window.end:%a %d %b %H:%M}")
        if frame.target.title or frame.target.topic:
            found.append(f"**About** {frame.target.title or frame.target.topic}")
        if frame.target.order != "relevance":
            found.append(f"**Which** {frame.target.order}" + (f", {frame.target.count}" if frame.target.count else ""))
        found.append(f"**Confidence** {frame.confidence:.2f} ({meaning.provider})")
        step.output = "  \n".join(found)


async def show_plan(event: PlanEvent) -> None:
    async with cl.Step(name="Plan", type="tool", default_open=False) as step:
        step.output = "\n".join(
            f"{number}. " + " + ".join(s.description for s in level)
            for number, level in enumerate(event.plan.levels(), start=1)
        )


class ShownStep:
    """A plan step on screen, and the items it found (for its source chips).

    A plain class: Chainlit loads this file without registering it as a module, which
    `@dataclass` needs.
    """

    def __init__(self, step: cl.Step) -> None:
        self.step = step
        self.items: list[SourceItem] = []


async def _start_step(plan_step: PlanStep, steps: dict[str, ShownStep]) -> ShownStep:
    # Steps run concurrently, so they are not entered as context managers (which nest
    # each in the one entered before); their parent is named outright: the message's run.
    run = cl.context.current_step
    step = cl.Step(
        name=plan_step.description,
        type="tool",
        show_input="json",
        default_open=False,
        parent_id=run.id if run else None,
    )
    step.input = plan_step.params
    step.start = step.created_at
    shown = steps[plan_step.id] = ShownStep(step)
    await step.send()
    return shown


async def show_step(event: StepEvent, steps: dict[str, ShownStep]) -> None:
    plan_step = event.step
    if event.kind == "step_started":
        await _start_step(plan_step, steps)
        return
    # A step skipped before it started (what it needed found nothing) is shown as it ends.
    shown = steps.get(plan_step.id) or await _start_step(plan_step, steps)
    step = shown.step
    result = event.result
    assert result is not None
    if result.status == "ok":
        shown.items = result.outputs.get("items") or ([result.outputs["item"]] if result.outputs.get("item") else [])
        slots = result.outputs.get("slots")
        step.output = "\n".join(f"- {item.title}" for item in shown.items[:10]) or (
            f"{len(slots)} free slots" if slots is not None else "nothing found"
        )
    elif result.status == "awaiting_confirmation":
        step.output = "waiting for your confirmation"
    else:
        step.output = result.error or result.status
        step.is_error = result.status == "failed"
    step.end = datetime.now().astimezone().isoformat()
    await step.update()


@cl.action_callback("clarify")
async def clarify(action: cl.Action) -> None:
    await action.remove()
    choice = action.payload["answer"]
    await cl.Message(content=choice, type="user_message", author=cl.user_session.get("user").identifier).send()
    await answer(choice)


# --- freshness --------------------------------------------------------------------------


@cl.action_callback("refresh")
async def refresh_clicked(action: cl.Action) -> None:
    await refresh()


async def refresh() -> None:
    user_id = await current_user_id()
    async with concierge().sessions_for(user_id)() as session:
        accounts = list(
            (await session.execute(select(GoogleAccount.id).where(GoogleAccount.user_id == user_id))).scalars()
        )
    await queue_syncs(accounts)
    await cl.Message(
        content="Syncing your Gmail, Calendar and Drive now; new items show up in the next answer.", author=AUTHOR
    ).send()


# --- actions: confirm, edit, cancel, undo -----------------------------------------------


async def action_card(action: PendingAction) -> None:
    payload = {"id": str(action.id)}
    buttons = [cl.Action(name="confirm_action", payload=payload, label="Confirm", icon="check")]
    if editable_fields(action):
        buttons.append(cl.Action(name="edit_action", payload=payload, label="Edit", icon="pencil"))
    buttons.append(cl.Action(name="cancel_action", payload=payload, label="Cancel", icon="x"))
    # Kept so that a decision removes every button of the card, not just the one clicked.
    remember(f"buttons:{action.id}", buttons)
    await cl.Message(
        content="**Please confirm**\n\n"
        + "\n".join(f"> {line}" if line else ">" for line in action.preview.splitlines()),
        author=AUTHOR,
        actions=buttons,
    ).send()


# The buttons and edit forms on screen, per chat session. Kept here rather than in
# `cl.user_session`, which Chainlit saves into the thread's metadata as JSON.
_ON_SCREEN: dict[str, dict[str, Any]] = {}


def editable_fields(action: PendingAction) -> frozenset[str]:
    """What the Edit form may change on this action (its agent says)."""
    return concierge().agents[action.service].editable.get(action.operation, frozenset())


def remember(key: str, value: Any) -> None:
    _ON_SCREEN.setdefault(cl.context.session.id, {})[key] = value


def recall(key: str) -> Any:
    return _ON_SCREEN.get(cl.context.session.id, {}).get(key)


@cl.on_chat_end
async def ended() -> None:
    _ON_SCREEN.pop(cl.context.session.id, None)


@cl.action_callback("edit_action")
async def edit_action(action: cl.Action) -> None:
    user_id = await current_user_id()
    pending = await (await concierge().actions(user_id)).get(user_id, uuid.UUID(action.payload["id"]))
    if recall(f"form:{pending.id}") is not None:
        return  # the form is open already
    zone = await user_zone(user_id)
    form = cl.CustomElement(
        name="EditAction",
        props={"id": str(pending.id), "fields": form_fields(pending, editable_fields(pending), zone)},
        display="inline",
    )
    remember(f"form:{pending.id}", form)
    await cl.Message(content="Change what you need, then confirm:", author=AUTHOR, elements=[form]).send()


@cl.action_callback("confirm_action")
async def confirm_action(action: cl.Action) -> None:
    await decide(action, "confirm")


@cl.action_callback("cancel_action")
async def cancel_action(action: cl.Action) -> None:
    await decide(action, "cancel")


@cl.action_callback("undo_action")
async def undo_action(action: cl.Action) -> None:
    await decide(action, "undo")


async def decide(action: cl.Action, decision: str) -> None:
    if not await session_is_live():
        await cl.Message(
            content="You have signed out, so nothing was done. Sign in again to continue.", author=AUTHOR
        ).send()
        return
    user_id = await current_user_id()
    desk = await concierge().actions(user_id)
    action_id = uuid.UUID(action.payload["id"])
    edits: dict[str, Any] | None = None
    form: cl.CustomElement | None = recall(f"form:{action_id}")
    try:
        if decision == "confirm" and action.payload.get("edits") is not None:
            pending = await desk.get(user_id, action_id)
            edits = parse_edits(pending, action.payload["edits"], editable_fields(pending), await user_zone(user_id))
    except (EditError, ActionError) as error:
        if form is not None:
            form.props = form.props | {"error": str(error)}
            await form.update()
        return
    for button in recall(f"buttons:{action_id}") or [action]:
        await button.remove()
    if form is not None:
        await form.remove()
    remember(f"buttons:{action_id}", None)
    remember(f"form:{action_id}", None)
    try:
        if decision == "confirm":
            outcome = await desk.confirm(user_id, action_id, edits)
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
        await cl.Message(
            content=f"Done: {result.get('summary', outcome.operation)}.", author=AUTHOR, actions=undo
        ).send()


async def user_zone(user_id: uuid.UUID) -> ZoneInfo:
    async with concierge().sessions_for(user_id)() as session:
        zone, _ = await preferences(session, user_id)
    return ZoneInfo(zone)
