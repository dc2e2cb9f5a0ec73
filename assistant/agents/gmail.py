"""Gmail: search and read the cache; draft, send, reply, forward and trash (one email or
many) after confirmation.

Mail is always sent through a draft: the draft's id is remembered in the action before it
is sent, and sending a draft that is already gone (404: it was sent) is success, so a
confirmation retried after a crash sends once. A trash of many emails goes a batch at a
time, each batch remembered in the action once done, so a retry continues where it
stopped. Everything written at Gmail is written through to the cache with the same
parsing sync uses.
"""

from __future__ import annotations

import asyncio
import base64
import re
import uuid
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from googleapiclient.errors import HttpError
from sqlalchemy import select

from assistant.agents.base import ActionOutcome, Remember, SourceItem, StepFailed
from assistant.agents.context import AgentContext
from assistant.agents.sources import EXCERPT_CHARS, CacheReader, SourcePanel
from assistant.core.items import EmailItem
from assistant.core.models import GmailMessage
from assistant.google.api import GoogleApi, http_status
from assistant.google.content import parse_gmail_message
from assistant.plan import Operation, PlanStep
from assistant.writes import MessagePayload, PendingAction, ProposedAction, TrashedMessage, TrashPayload
from search.indexing import GMAIL

T = TypeVar("T")


def gmail_url(message: Any) -> str:
    return f"https://mail.google.com/mail/u/0/#all/{message.thread_id}"


def email_source(message: Any, why: dict[str, Any] | None = None, snippet: str | None = None) -> SourceItem:
    return SourceItem(
        service="gmail",
        id=message.message_id,
        account_id=str(message.account_id),
        title=message.subject or "(no subject)",
        url=gmail_url(message),
        when=message.internal_date,
        snippet=snippet or message.preview or message.snippet,
        details={
            "from": f"{message.sender_name} <{message.sender_email}>" if message.sender_name else message.sender_email,
            "from_email": message.sender_email,
            "to": list(message.to_emails),
            "cc": list(message.cc_emails),
            "thread_id": message.thread_id,
            "rfc822_message_id": message.rfc822_message_id,
            "labels": list(message.labels),
            "attachments": list(message.attachment_names),
            "excerpt": message.body_text[:EXCERPT_CHARS],
        },
        why=why,
    )


MESSAGE_FIELDS = frozenset({"to", "cc", "subject", "body"})
VERBS = {
    Operation.SEND: "Send",
    Operation.DRAFT: "Save a draft",
    Operation.REPLY: "Reply",
    Operation.FORWARD: "Forward",
}


class GmailAgent(CacheReader):
    service = "gmail"
    cache_service = "gmail"
    model = GmailMessage
    google_id = "message_id"
    editable = {
        Operation.SEND: MESSAGE_FIELDS,
        Operation.DRAFT: MESSAGE_FIELDS,
        Operation.REPLY: MESSAGE_FIELDS,
        Operation.FORWARD: MESSAGE_FIELDS,
    }

    def source(self, row: Any, why: dict[str, Any] | None = None, snippet: str | None = None) -> SourceItem:
        return email_source(row, why, snippet)

    def panel(self, source: SourceItem, zone: ZoneInfo) -> SourcePanel:
        details = source.details
        fields = [("From", details.get("from", "")), ("To", ", ".join(details.get("to", [])))]
        if source.when:
            fields.append(("Date", f"{source.when.astimezone(zone):%a %d %b %Y, %H:%M} ({zone})"))
        if details.get("attachments"):
            fields.append(("Attachments", ", ".join(details["attachments"])))
        return SourcePanel(fields, details.get("excerpt") or source.snippet, "Open in Gmail")

    def full_text(self, row: Any) -> str:
        return str(row.body_text)

    async def fetch(self, api: GoogleApi, item_id: str, context: AgentContext) -> EmailItem:
        message = await api.call(lambda s: s.users().messages().get(userId="me", id=item_id, format="full"))
        return parse_gmail_message(message)[0]

    async def propose(self, step: PlanStep, inputs: dict[str, Any], context: AgentContext) -> ProposedAction:
        """The write a step proposes.

        Inputs: `message`, the email (or event) answered, forwarded or trashed; for a trash
        also `messages`, several emails (a search's `items`), and `total` (its count). Params of a send, draft, reply
        or forward: `to`, `cc`, `subject`, `body` (a given subject is used as given),
        `quoted` (the body word for word: kept exactly), `reply_all` (a reply's Cc: everyone
        else on the original); `purpose` and `greeting_name` as before.
        """
        operation = step.operation
        if operation == Operation.TRASH:
            return self._propose_trash(inputs, context)
        original: SourceItem | None = inputs.get("message")
        account_id = original.account_id if original else str((await context.primary_account()).id)
        accounts = await context.accounts()
        account = next(a for a in accounts if str(a.id) == account_id)
        params = step.params | {"signature": (account.display_name or "").split(" ")[0]}
        own = frozenset(a.email.lower() for a in accounts) | {account.email.lower()}
        message = _message(operation, params, original, account.email, own)
        if not message.to:
            raise StepFailed("I could not tell who the email should go to; say the recipient's name or address")
        return ProposedAction(
            service="gmail",
            operation=operation,
            account_id=account_id,
            target_id=original.id if original and original.service == "gmail" else None,
            fields=message.stored(),
            preview=self.describe(operation, message.stored()),
        )

    def _propose_trash(self, inputs: dict[str, Any], context: AgentContext) -> ProposedAction:
        """Trash `message` (one email), or `messages` (every email a search found), up to the
        settings' `bulk_cap`. `total`, when bound (a search's count of every match, which
        goes past the cap when its `items` stop at it), is how many there are."""
        chosen = _emails_to_trash(inputs)
        if not chosen:
            raise StepFailed(
                "no emails match" if "messages" in inputs else "I could not tell which email to move to the trash"
            )
        total = inputs.get("total")
        count = max(len(chosen), total if isinstance(total, int) else 0)
        cap = context.settings.bulk_cap
        if count > cap:
            raise StepFailed(
                f"That is {count:,} emails; I can move at most {cap:,} at once: narrow it down (a sender, a period)"
            )
        account_id = chosen[0].account_id
        trash = TrashPayload(
            messages=[
                TrashedMessage(
                    id=item.id,
                    subject=item.title,
                    sender=item.details.get("from", ""),
                    account_id=None if item.account_id == account_id else item.account_id,
                )
                for item in chosen
            ]
        )
        return ProposedAction(
            service="gmail",
            operation=Operation.TRASH,
            account_id=account_id,
            target_id=chosen[0].id if len(chosen) == 1 else None,
            fields=trash.stored(),
            preview=self.describe(Operation.TRASH, trash.stored()),
            undoable=True,
        )

    def describe(self, operation: Operation, fields: dict[str, Any]) -> str:
        if operation == Operation.TRASH:
            return _describe_trash(TrashPayload.model_validate(fields))
        message = MessagePayload.model_validate(fields)
        lines = [f"{VERBS[operation]} to {', '.join(message.to)}"]
        if message.cc:
            lines.append(f"Cc: {', '.join(message.cc)}")
        lines += [f"Subject: {message.subject}", "", message.body]
        return "\n".join(lines)

    async def execute(self, action: PendingAction, context: AgentContext, remember: Remember) -> ActionOutcome:
        if action.operation == Operation.TRASH:
            return await self._trash(action, context, remember)
        api = await context.google(action.account_id, "gmail")
        message = MessagePayload.model_validate(action.fields)
        draft_id = message.draft_id
        if draft_id is None:
            account = next(a for a in await context.accounts() if str(a.id) == str(action.account_id))
            raw = _compose(action.id, message, formataddr((account.display_name or "", account.email)))
            body: dict[str, Any] = {"message": {"raw": raw}}
            if message.thread_id:
                body["message"]["threadId"] = message.thread_id
            draft = await api.call(lambda s: s.users().drafts().create(userId="me", body=body))
            draft_id = draft["id"]
            await remember({"draft_id": draft_id})
        if action.operation == Operation.DRAFT:
            return ActionOutcome(f"Saved a draft to {', '.join(message.to)}")
        try:
            sent = await api.call(lambda s: s.users().drafts().send(userId="me", body={"id": draft_id}))
        except HttpError as error:
            if http_status(error) != 404:
                raise
            return ActionOutcome(f"Sent to {', '.join(message.to)} (it had been sent already)")
        item = await self._write_through(context, action.account_id, sent["id"])
        return ActionOutcome(f"Sent \u201c{message.subject}\u201d to {', '.join(message.to)}", item=item)

    async def _trash(self, action: PendingAction, context: AgentContext, remember: Remember) -> ActionOutcome:
        """Move the emails to the trash, a batch at a time: each batch done is removed from
        the cache and remembered, so that a retry continues where an attempt stopped. An
        email gone from Gmail since it was proposed (404) is passed over, unless all are."""
        trash = TrashPayload.model_validate(action.fields)
        done = list(trash.trashed or [])
        gone: dict[str, HttpError] = {}
        for batch in _batches([message for message in trash.messages if message.id not in done], MOVE_BATCH):
            moved, missing, failure = await self._move(context, action, batch, to_trash=True)
            gone |= missing
            for account_id, ids in _by_account(moved + [m for m in batch if m.id in missing], action).items():
                await context.indexer.remove(uuid.UUID(account_id), GMAIL, [(message_id,) for message_id in ids])
            if moved and len(trash.messages) > 1:
                done += [message.id for message in moved]
                await remember({"trashed": done})
            if failure is not None:
                raise failure
        if len(gone) == len(trash.messages):
            raise next(iter(gone.values()))  # nothing was there to trash (one email's 404, as ever)
        if len(trash.messages) == 1:
            only = trash.messages[0]
            return ActionOutcome(f"Moved \u201c{only.subject}\u201d to the trash", undo={"message_id": only.id})
        trashed = [message.id for message in trash.messages if message.id not in gone]
        summary = f"Moved {len(trashed):,} emails to the trash"
        if gone:
            summary += f" ({len(gone):,} {'was' if len(gone) == 1 else 'were'} no longer there)"
        return ActionOutcome(summary, undo={"message_ids": trashed})

    async def undo(self, action: PendingAction, context: AgentContext) -> str:
        if action.operation != Operation.TRASH or not action.undo_data:
            return await super().undo(action, context)
        trash = TrashPayload.model_validate(action.fields)
        wanted = set(action.undo_data.get("message_ids") or [action.undo_data["message_id"]])
        restored: list[TrashedMessage] = []
        gone: dict[str, HttpError] = {}
        for batch in _batches([message for message in trash.messages if message.id in wanted], MOVE_BATCH):
            moved, missing, failure = await self._move(context, action, batch, to_trash=False)
            restored += moved
            gone |= missing
            if failure is not None:
                raise failure
        if gone and not restored:
            raise next(iter(gone.values()))
        for account_id, ids in _by_account(restored, action).items():
            await self._write_back(context, account_id, ids)
        if len(trash.messages) == 1:
            return f"Restored \u201c{trash.messages[0].subject}\u201d from the trash"
        return f"Restored {len(restored):,} emails from the trash"

    async def _move(
        self, context: AgentContext, action: PendingAction, messages: list[TrashedMessage], *, to_trash: bool
    ) -> tuple[list[TrashedMessage], dict[str, HttpError], BaseException | None]:
        """Trash (or untrash) the messages concurrently; both are safe to repeat. Returns those
        moved, the 404s of those Gmail no longer has (by id), and the first other failure."""

        async def move(message: TrashedMessage) -> None:
            api = await context.google(_account_of(message, action), "gmail")
            await api.call(
                lambda s: (s.users().messages().trash if to_trash else s.users().messages().untrash)(
                    userId="me", id=message.id
                )
            )

        outcomes = await asyncio.gather(*(move(message) for message in messages), return_exceptions=True)
        moved = [message for message, outcome in zip(messages, outcomes, strict=True) if outcome is None]
        gone = {
            message.id: outcome
            for message, outcome in zip(messages, outcomes, strict=True)
            if isinstance(outcome, HttpError) and http_status(outcome) == 404
        }
        failures = [o for o in outcomes if isinstance(o, BaseException) and all(o is not g for g in gone.values())]
        return moved, gone, failures[0] if failures else None

    async def _write_back(self, context: AgentContext, account_id: str, message_ids: list[str]) -> None:
        """Fetch the emails from Gmail and index them into the cache together."""
        api = await context.google(account_id, "gmail")

        async def fetch(message_id: str) -> EmailItem:
            message = await api.call(lambda s: s.users().messages().get(userId="me", id=message_id, format="full"))
            return parse_gmail_message(message)[0]

        emails: list[EmailItem] = []
        for batch in _batches(message_ids, MOVE_BATCH):
            emails += await asyncio.gather(*(fetch(message_id) for message_id in batch))
        await context.indexer.index(context.user_id, uuid.UUID(account_id), emails)

    async def _write_through(
        self, context: AgentContext, account_id: uuid.UUID | str, message_id: str
    ) -> SourceItem | None:
        api = await context.google(account_id, "gmail")
        message = await api.call(lambda s: s.users().messages().get(userId="me", id=message_id, format="full"))
        email, _ = parse_gmail_message(message)
        await context.indexer.index(context.user_id, uuid.UUID(str(account_id)), [email])
        async with context.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(GmailMessage).where(
                        GmailMessage.account_id == uuid.UUID(str(account_id)), GmailMessage.message_id == message_id
                    )
                )
            ).first()
        return email_source(row) if row is not None else None


def _message(
    operation: Operation,
    params: dict[str, Any],
    original: SourceItem | None,
    own_address: str,
    own_addresses: frozenset[str] = frozenset(),
) -> MessagePayload:
    """The message a send, draft, reply or forward step proposes, from its params and the
    message (or event) it answers.

    `quoted`: the body was given word for word, and is the message's text exactly as given
    (otherwise a body with nothing to answer becomes a short letter). `reply_all`: a reply
    also goes, in Cc, to everyone else the original went to. `own_addresses` are all the
    user's (lower-cased), left out of a reply all.
    """
    to = list(params.get("to") or [])
    subject = params.get("subject") or ""
    body = params.get("body") or ""
    fields: dict[str, Any] = {"to": to, "cc": list(params.get("cc") or []), "subject": subject, "body": body}
    event_reply = original is not None and original.service == "calendar" and params.get("purpose") == "event_reply"
    standalone = (
        (original is None or event_reply)
        and operation in (Operation.SEND, Operation.DRAFT)
        and body
        and params.get("purpose") != "reply"
    )
    if standalone and params.get("quoted"):
        # "email Daniel saying 'the deploy is green'": the words as given, case and all.
        fields["subject"] = subject or _subject_from(" ".join(body.split()))
    elif standalone:
        # "email Priya that the review moves to Friday": a subject from the gist, and a
        # short letter around it.
        gist = _sentence(body)
        fields["subject"] = subject or _subject_from(gist)
        greeting = f"Hi {params['greeting_name']}," if params.get("greeting_name") else "Hi,"
        signature = f"\n\n{params['signature']}" if params.get("signature") else ""
        fields["body"] = f"{greeting}\n\n{gist}{signature}"
    if original is not None and original.service == "drive" and params.get("purpose") == "link":
        # "send Daniel the link to the roadmap deck": what was said, then the file's link.
        greeting = f"Hi {params['greeting_name']}," if params.get("greeting_name") else "Hi,"
        signature = f"\n\n{params['signature']}" if params.get("signature") else ""
        lead = (_sentence(body) if body else "") or f"Here's the link to \u201c{original.title}\u201d:"
        fields["subject"] = subject or original.title
        fields["body"] = (
            f"{body}\n\n{original.url or ''}"
            if params.get("quoted")
            else f"{greeting}\n\n{lead}\n\n{original.url or ''}{signature}"
        )
    if original is not None and event_reply:
        attendees = [a["email"] for a in original.details.get("attendees") or [] if a.get("email")]
        invited = [address for address in attendees if address.lower() != own_address.lower()]
        fields["to"] = to or _reply_recipients(original.details.get("organizer") or "", invited, own_address)
        fields["subject"] = subject or f"Re: {original.title}"
    drafted_reply = operation == Operation.DRAFT and params.get("purpose") == "reply"
    if original is not None and (operation in (Operation.REPLY, Operation.FORWARD) or drafted_reply):
        title = original.title
        if operation == Operation.REPLY or drafted_reply:
            addressed = list(original.details.get("to") or [])
            fields["to"] = to or _reply_recipients(original.details["from_email"], addressed, own_address)
            if params.get("reply_all"):
                fields["cc"] = _everyone_else(
                    original, fields["to"], fields["cc"], own_addresses | {own_address.lower()}
                )
            fields["subject"] = subject or (title if title.lower().startswith("re:") else f"Re: {title}")
            fields["thread_id"] = original.details.get("thread_id")
            fields["in_reply_to"] = original.details.get("rfc822_message_id")
        else:
            fields["subject"] = subject or f"Fwd: {title}"
            quoted = original.details.get("body") or original.details.get("excerpt", "")
            fields["body"] = (
                f"{body}\n\n---------- Forwarded message ----------\n"
                f"From: {original.details.get('from', '')}\nSubject: {title}\n\n{quoted}"
            ).lstrip()
    return MessagePayload.model_validate(fields)


def _reply_recipients(author: str, addressed: list[str], own_address: str) -> list[str]:
    """Whom a reply goes to: the author of the message or meeting, or, when that is the
    user, the people they wrote to or invited (as Gmail replies to your own message)."""
    if author.lower() == own_address.lower():
        return addressed
    return [author] if author else []


def _everyone_else(original: SourceItem, to: list[str], cc: list[str], own: frozenset[str]) -> list[str]:
    """A reply all's Cc: the Cc given, then everyone else on the original (its To and Cc),
    without the user's own addresses, the author, anyone already in `to`, or repeats."""
    taken = set(own) | {original.details.get("from_email", "").lower()} | {address.lower() for address in to}
    everyone: list[str] = []
    for address in [*cc, *(original.details.get("to") or []), *(original.details.get("cc") or [])]:
        if address and address.lower() not in taken:
            everyone.append(address)
            taken.add(address.lower())
    return everyone


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    text = text[0].upper() + text[1:] if text else text
    return text if text.endswith((".", "!", "?")) else text + "."


def _subject_from(sentence: str, limit: int = 70) -> str:
    subject = sentence.rstrip(".!?")
    return subject if len(subject) <= limit else subject[: limit - 1].rsplit(" ", 1)[0] + "\u2026"


_REFERENCE = re.compile(
    r"\b(?i:booking|reservation|confirmation|pnr)[^\n:#]{0,25}[:#]\s*([A-Z0-9]{5,8})\b"
    r"|\bPNR\s+([A-Z0-9]{5,8})\b"
)


def booking_reference(message: SourceItem) -> str | None:
    """The booking reference (PNR) quoted in a booking email, if there is one."""
    text = f"{message.title}\n{message.details.get('body') or message.details.get('excerpt', '')}"
    for match in _REFERENCE.finditer(text):
        reference = match.group(1) or match.group(2)
        if reference and any(char.isdigit() for char in reference) and any(char.isalpha() for char in reference):
            return reference
    return None


#: Emails trashed (or restored) at once, and between two remembered steps of progress.
MOVE_BATCH = 10
#: The emails a bulk trash card lists before "and N more".
SHOWN_ON_CARD = 3


def _emails_to_trash(inputs: dict[str, Any]) -> list[SourceItem]:
    """The step's emails: `messages` (a search's items, every one) and `message`, each once."""
    given = inputs.get("messages")
    items: list[SourceItem] = [given] if isinstance(given, SourceItem) else list(given or [])
    items = [item for item in items if item.service == "gmail"]
    if inputs.get("message") is not None:
        items.append(inputs["message"])
    seen: set[tuple[str, str]] = set()
    chosen = []
    for item in items:
        if (item.account_id, item.id) not in seen:
            seen.add((item.account_id, item.id))
            chosen.append(item)
    return chosen


def _describe_trash(trash: TrashPayload) -> str:
    """One email as it always was; several by their count, then the first few."""
    messages = trash.messages
    if len(messages) == 1:
        return f"Move to trash: \u201c{messages[0].subject}\u201d from {messages[0].sender}"
    shown = messages if len(messages) <= SHOWN_ON_CARD + 1 else messages[:SHOWN_ON_CARD]
    lines = [f"Move {len(messages):,} emails to the trash:"]
    lines += [f"- \u201c{message.subject}\u201d from {message.sender}" for message in shown]
    if len(messages) > len(shown):
        lines.append(f"- \u2026 and {len(messages) - len(shown):,} more")
    return "\n".join(lines)


def _account_of(message: TrashedMessage, action: PendingAction) -> str:
    return message.account_id or str(action.account_id)


def _by_account(messages: list[TrashedMessage], action: PendingAction) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for message in messages:
        grouped.setdefault(_account_of(message, action), []).append(message.id)
    return grouped


def _batches(items: list[T], size: int) -> list[list[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _compose(action_id: uuid.UUID, payload: MessagePayload, sender: str) -> str:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(payload.to)
    if payload.cc:
        message["Cc"] = ", ".join(payload.cc)
    message["Subject"] = payload.subject
    # Derived from the action, so a retried draft carries the same identity.
    message["Message-ID"] = f"<{action_id}@concierge.local>"
    if payload.in_reply_to:
        message["In-Reply-To"] = payload.in_reply_to
        message["References"] = payload.in_reply_to
    message.set_content(payload.body)
    return base64.urlsafe_b64encode(message.as_bytes()).decode()
