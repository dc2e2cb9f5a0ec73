"""Drive: search and read files; share them after confirmation.

Sharing reads the file's permissions first: a person who already has the role (or a
stronger one) is not shared with again, so a retried confirmation never adds a second
permission or a second notification email.
"""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest
from sqlalchemy import select

from assistant.agents.base import ActionOutcome, Remember, SourceItem, StepFailed
from assistant.agents.context import AgentContext
from assistant.agents.sources import EXCERPT_CHARS, CacheReader, SourcePanel
from assistant.core.items import FileItem
from assistant.core.models import DriveFile
from assistant.google.api import GoogleApi, http_status
from assistant.google.resources import EXPORTS, FILE_FIELDS, file_item
from assistant.plan import Operation, PlanStep
from assistant.writes import PendingAction, ProposedAction, SharePayload


def file_source(file: Any, why: dict[str, Any] | None = None, snippet: str | None = None) -> SourceItem:
    return SourceItem(
        service="drive",
        id=file.file_id,
        account_id=str(file.account_id),
        title=file.name,
        url=file.web_view_link,
        when=file.modified_at,
        snippet=snippet or file.preview,
        details={
            "mime_type": file.mime_type,
            "owners": list(file.owner_emails),
            "modified": file.modified_at.isoformat(),
            "shared": file.shared,
            "permissions": [
                {
                    "email": permission.get("emailAddress", ""),
                    "name": permission.get("displayName", ""),
                    "role": permission.get("role", ""),
                    "type": permission.get("type", ""),
                    "domain": permission.get("domain", ""),
                }
                for permission in file.permissions or []
            ],
            "excerpt": file.content_text[:EXCERPT_CHARS],
        },
        why=why,
    )


ROLES = ("reader", "commenter", "writer")
ROLE_WORDS = {"reader": "view", "commenter": "comment on", "writer": "edit"}
STRENGTH = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5, "owner": 6}


class DriveAgent(CacheReader):
    service = "drive"
    cache_service = "gdrive"
    model = DriveFile
    google_id = "file_id"
    editable = {Operation.SHARE: frozenset({"emails", "role", "message"})}

    def source(self, row: Any, why: dict[str, Any] | None = None, snippet: str | None = None) -> SourceItem:
        return file_source(row, why, snippet)

    def panel(self, source: SourceItem, zone: ZoneInfo) -> SourcePanel:
        fields = [("Owner", ", ".join(source.details.get("owners", [])))]
        if source.when:
            fields.append(("Modified", f"{source.when.astimezone(zone):%a %d %b %Y, %H:%M}"))
        return SourcePanel(fields, source.details.get("excerpt") or source.snippet, "Open in Drive")

    def full_text(self, row: Any) -> str:
        return str(row.content_text)

    async def fetch(self, api: GoogleApi, item_id: str, context: AgentContext) -> FileItem:
        file = await api.call(lambda s: s.files().get(fileId=item_id, fields=FILE_FIELDS))
        text = ""
        if (export := EXPORTS.get(file["mimeType"])) is not None:
            data = await api.call(lambda s: s.files().export(fileId=item_id, mimeType=export))
            text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else str(data)
        return file_item(file, text)

    async def propose(self, step: PlanStep, inputs: dict[str, Any], context: AgentContext) -> ProposedAction:
        if step.operation != Operation.SHARE:
            raise StepFailed(f"Drive cannot {step.operation}")
        file: SourceItem | None = inputs.get("file")
        if file is None:
            raise StepFailed("I could not find the file you mean")
        emails = [email.lower() for email in step.params.get("emails") or []]
        if not emails:
            raise StepFailed("I could not tell who to share it with; say their name or address")
        share = SharePayload(
            file_id=file.id,
            file_name=file.title,
            emails=emails,
            role=step.params.get("role") or "reader",
            message=step.params.get("message", ""),
        )
        return ProposedAction(
            service="drive",
            operation=step.operation,
            account_id=file.account_id,
            target_id=file.id,
            fields=share.stored(),
            preview=self.describe(step.operation, share.stored()),
            undoable=True,
        )

    def describe(self, operation: Operation, fields: dict[str, Any]) -> str:
        share = SharePayload.model_validate(fields)
        return (
            f"Share \u201c{share.file_name}\u201d with {', '.join(share.emails)}: "
            f"they can {ROLE_WORDS.get(share.role, share.role)} it"
        )

    def apply_edits(self, operation: Operation, fields: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
        if "role" in edits and edits["role"] not in ROLES:
            raise StepFailed(f"the role must be one of {', '.join(ROLES)}")
        return super().apply_edits(operation, fields, edits)

    async def execute(self, action: PendingAction, context: AgentContext, remember: Remember) -> ActionOutcome:
        api = await context.google(action.account_id, "drive")
        share = SharePayload.model_validate(action.fields)
        existing = await api.call(
            lambda s: s.permissions().list(fileId=share.file_id, fields="permissions(id,type,role,emailAddress)")
        )
        holders = {p.get("emailAddress", "").lower(): p for p in existing.get("permissions", [])}
        created: dict[str, str] = {}
        already: list[str] = []
        for email in share.emails:
            current = holders.get(email)
            if current and STRENGTH.get(current["role"], 0) >= STRENGTH[share.role]:
                already.append(email)
                continue
            body = {"type": "user", "role": share.role, "emailAddress": email}

            # A def, not a lambda: mypy cannot type a lambda's default (python/mypy#15459).
            def create(s: Resource, body: dict[str, str] = body) -> HttpRequest:
                return s.permissions().create(
                    fileId=share.file_id,
                    body=body,
                    sendNotificationEmail=True,
                    emailMessage=share.message or None,
                )

            permission = await api.call(create)
            created[email] = permission["id"]
        await self._write_through(context, action.account_id, share.file_id)
        shared = [email for email in share.emails if email in created]
        summary = f"Shared \u201c{share.file_name}\u201d with {', '.join(shared)}" if shared else ""
        if already:
            summary = (summary + "; " if summary else "") + f"{', '.join(already)} already had access"
        return ActionOutcome(summary, undo={"permissions": created} if created else None)

    async def undo(self, action: PendingAction, context: AgentContext) -> str:
        api = await context.google(action.account_id, "drive")
        share = SharePayload.model_validate(action.fields)
        for permission_id in (action.undo_data or {}).get("permissions", {}).values():

            def delete(s: Resource, pid: str = permission_id) -> HttpRequest:
                return s.permissions().delete(fileId=share.file_id, permissionId=pid)

            try:
                await api.call(delete)
            except HttpError as error:
                if http_status(error) != 404:
                    raise
        await self._write_through(context, action.account_id, share.file_id)
        return f"Stopped sharing \u201c{share.file_name}\u201d"

    async def _write_through(self, context: AgentContext, account_id: uuid.UUID | str, file_id: str) -> None:
        api = await context.google(account_id, "drive")
        file = await api.call(lambda s: s.files().get(fileId=file_id, fields=FILE_FIELDS))
        async with context.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(DriveFile.content_text).where(
                        DriveFile.user_id == context.user_id, DriveFile.file_id == file_id
                    )
                )
            ).first()
        await context.indexer.index(
            context.user_id, uuid.UUID(str(account_id)), [file_item(file, row.content_text if row else "")]
        )
