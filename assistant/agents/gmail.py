"""Gmail: search and read the cache; draft, send, reply, forward and trash after confirmation.

Mail is always sent through a draft: the draft's id is remembered in the action before it
is sent, and sending a draft that is already gone (404: it was sent) is success, so a
confirmation retried after a crash sends once. Everything written at Gmail is written
through to the cache with the same parsing sync uses.
"""

from __future__ import annotations

import base64
import re
import uuid
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any
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
from assistant.writes import MessagePayload, PendingAction, ProposedAction, TrashPayload
from search.indexing import GMAIL


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
        original: SourceItem | None = inputs.get("message")
        account_id = original.account_id if original else str((await context.primary_account()).id)
        operation = step.operation
        if operation == Operation.TRASH:
            if original is None:
                raise StepFailed("I could not tell which email to move to the trash")
            trash = TrashPayload(
                message_id=original.id, subject=original.title, sender=original.details.get("from", "")
            )
            return ProposedAction(
                service="gmail",
                operation=operation,
                account_id=account_id,
                target_id=original.id,
                fields=trash.stored(),
                preview=self.describe(operation, trash.stored()),
                undoable=True,
            )
        account = next(a for a in await context.accounts() if str(a.id) == account_id)
        params = step.params | {"signature": (account.display_name or "").split(" ")[0]}
        message = _message(operation, params, original, account.email)
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

    def describe(self, operation: Operation, fields: dict[str, Any]) -> str:
        if operation == Operation.TRASH:
            trash = TrashPayload.model_validate(fields)
            return f"Move to trash: \u201c{trash.subject}\u201d from {trash.sender}"
        message = MessagePayload.model_validate(fields)
        lines = [f"{VERBS[operation]} to {', '.join(message.to)}"]
        if message.cc:
            lines.append(f"Cc: {', '.join(message.cc)}")
        lines += [f"Subject: {message.subject}", "", message.body]
        return "\n".join(lines)

    async def execute(self, action: PendingAction, context: AgentContext, remember: Remember) -> ActionOutcome:
        api = await context.google(action.account_id, "gmail")
        if action.operation == Operation.TRASH:
            trash = TrashPayload.model_validate(action.fields)
            await api.call(lambda s: s.users().messages().trash(userId="me", id=trash.message_id))
            await context.indexer.remove(action.account_id, GMAIL, [(trash.message_id,)])
            return ActionOutcome(
                f"Moved \u201c{trash.subject}\u201d to the trash", undo={"message_id": trash.message_id}
            )

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

    async def undo(self, action: PendingAction, context: AgentContext) -> str:
        if action.operation != Operation.TRASH or not action.undo_data:
            return await super().undo(action, context)
        trash = TrashPayload.model_validate(action.fields)
        api = await context.google(action.account_id, "gmail")
        message_id = action.undo_data["message_id"]
        await api.call(lambda s: s.users().messages().untrash(userId="me", id=message_id))
        await self._write_through(context, action.account_id, message_id)
        return f"Restored \u201c{trash.subject}\u201d from the trash"

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
    operation: Operation, params: dict[str, Any], original: SourceItem | None, own_address: str
) -> MessagePayload:
    """The message a send, draft, reply or forward step proposes, from its params and the
    message (or event) it answers."""
    to = list(params.get("to") or [])
    subject = params.get("subject") or ""
    body = params.get("body") or ""
    fields: dict[str, Any] = {"to": to, "cc": list(params.get("cc") or []), "subject": subject, "body": body}
    event_reply = original is not None and original.service == "calendar" and params.get("purpose") == "event_reply"
    if (original is None or event_reply) and operation in (Operation.SEND, Operation.DRAFT) and body:
        # "email Priya that the review moves to Friday": a subject from the gist, and a
        # short letter around it.
        gist = _sentence(body)
        fields["subject"] = subject or _subject_from(gist)
        greeting = f"Hi {params['greeting_name']}," if params.get("greeting_name") else "Hi,"
        signature = f"\n\n{params['signature']}" if params.get("signature") else ""
        fields["body"] = f"{greeting}\n\n{gist}{signature}"
    if (
        original is not None
        and operation in (Operation.SEND, Operation.DRAFT)
        and params.get("purpose") == "cancellation"
    ):
        reference = booking_reference(original)
        fields["to"] = to or [original.details["from_email"]]
        quoted = f" - booking {reference}" if reference and reference not in original.title else ""
        fields["subject"] = subject or f"Cancellation request{quoted}: {original.title}"
        fields["body"] = body or (
            "Hello,\n\n"
            f"Please cancel my booking{f' {reference}' if reference else ''} "
            f"(\u201c{original.title}\u201d) and confirm the "
            "cancellation, with any refund due under your cancellation policy.\n\nThank you."
        )
    if original is not None and event_reply:
        attendees = [a["email"] for a in original.details.get("attendees") or [] if a.get("email")]
        invited = [address for address in attendees if address.lower() != own_address.lower()]
        fields["to"] = to or _reply_recipients(original.details.get("organizer") or "", invited, own_address)
        fields["subject"] = subject or f"Re: {original.title}"
    if original is not None and operation in (Operation.REPLY, Operation.FORWARD):
        title = original.title
        if operation == Operation.REPLY:
            addressed = list(original.details.get("to") or [])
            fields["to"] = to or _reply_recipients(original.details["from_email"], addressed, own_address)
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
