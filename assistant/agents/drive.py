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
from pydantic import BaseModel
from sqlalchemy import select

from assistant.agents.base import ActionOutcome, Remember, SourceItem, StepFailed, Unchanged
from assistant.agents.context import AgentContext
from assistant.agents.sources import EXCERPT_CHARS, CacheReader, SourcePanel
from assistant.core.items import FileItem
from assistant.core.models import DriveFile
from assistant.google.api import GoogleApi, http_status
from assistant.google.resources import EXPORTS, FILE_FIELDS, file_item
from assistant.plan import Operation, PlanStep
from assistant.writes import PendingAction, ProposedAction, RenamePayload, SharePayload, UnsharePayload


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
ROLE_WORDS = {"reader": "view", "commenter": "comment on", "writer": "edit", "owner": "edit"}
ROLE_NAMES = {"reader": "viewer", "commenter": "commenter", "writer": "editor", "owner": "owner"}
STRENGTH = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5, "owner": 6}


class Holder(BaseModel):
    """Someone with access to a file, as its cached permissions say."""

    email: str
    name: str
    role: str

    def said(self) -> str:
        return self.name if self.name and self.name.lower() != self.email else self.email


def holders(file: SourceItem) -> dict[str, Holder]:
    """Who has access to the file, by address (people and groups; not links or domains)."""
    found: dict[str, Holder] = {}
    for permission in file.details.get("permissions") or []:
        email = str(permission.get("email") or "").lower()
        if email and permission.get("type") in ("user", "group", ""):
            found[email] = Holder(email=email, name=str(permission.get("name") or ""), role=str(permission["role"]))
    return found


def access_list(found: dict[str, Holder]) -> str:
    """ "Sarah Chen (owner) and Alex Rivera (editor)" """
    parts = [f"{h.said()} ({ROLE_NAMES.get(h.role, h.role)})" for h in found.values()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1] if parts else "no one"


class DriveAgent(CacheReader):
    service = "drive"
    cache_service = "gdrive"
    model = DriveFile
    google_id = "file_id"
    editable = {
        Operation.SHARE: frozenset({"emails", "role", "message"}),
        Operation.UNSHARE: frozenset({"emails"}),
        Operation.RENAME: frozenset({"name"}),
    }

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

    # --- proposing ----------------------------------------------------------------------

    async def propose(self, step: PlanStep, inputs: dict[str, Any], context: AgentContext) -> ProposedAction:
        if step.operation not in self.editable:
            raise StepFailed(f"Drive cannot {step.operation}")
        file: SourceItem | None = inputs.get("file")
        if file is None:
            raise StepFailed("I could not find the file you mean")
        found = holders(file)
        await self._may_change(file, found, context, step.operation)
        payload: SharePayload | UnsharePayload | RenamePayload
        if step.operation == Operation.RENAME:
            name = str(step.params.get("name") or "").strip()
            if not name:
                raise StepFailed("I could not tell the new name; say it after 'to'")
            if name == file.title:
                raise Unchanged(f"\u201c{file.title}\u201d is already called that.")
            payload = RenamePayload(file_id=file.id, old_name=file.title, name=name)
        elif step.operation == Operation.UNSHARE:
            payload = UnsharePayload(file_id=file.id, file_name=file.title, emails=_whose_access(step, file, found))
        else:
            payload = _share_payload(step, file, found)
        return ProposedAction(
            service="drive",
            operation=step.operation,
            account_id=file.account_id,
            target_id=file.id,
            fields=payload.stored(),
            preview=self.describe(step.operation, payload.stored()),
            undoable=True,
        )

    async def _may_change(
        self, file: SourceItem, found: dict[str, Holder], context: AgentContext, operation: Operation
    ) -> None:
        """Who may do it: an editor renames a file; only its owner changes who has access
        (Google lets editors share too, but a file someone else owns is theirs to share:
        the assistant asks them to, it does not do it behind their back). Anyone else is
        told who can, before anything is proposed."""
        accounts = await context.accounts()
        me = next((a.email.lower() for a in accounts if str(a.id) == str(file.account_id)), None)
        mine = found.get(me or "")
        needed = "writer" if operation == Operation.RENAME else "owner"
        if me is None or mine is None or STRENGTH.get(mine.role, 0) >= STRENGTH[needed]:
            return  # unknown permissions (not cached): Google decides
        owners = [h for h in found.values() if h.role == "owner"]
        owner = f"{owners[0].said()} ({owners[0].email})" if owners else "its owner"
        if operation == Operation.RENAME:
            raise StepFailed(
                f"you can only {ROLE_WORDS.get(mine.role, 'view')} \u201c{file.title}\u201d, so you can't rename it; "
                f"{owner} can"
            )
        raise StepFailed(
            f"\u201c{file.title}\u201d belongs to {owner}, and only its owner changes who has access; "
            f"ask {owners[0].said().split(' ')[0] if owners else 'them'} to share it"
        )

    def describe(self, operation: Operation, fields: dict[str, Any]) -> str:
        if operation == Operation.RENAME:
            rename = RenamePayload.model_validate(fields)
            return f"Rename \u201c{rename.old_name}\u201d to \u201c{rename.name}\u201d"
        if operation == Operation.UNSHARE:
            unshare = UnsharePayload.model_validate(fields)
            return f"Stop sharing \u201c{unshare.file_name}\u201d with {', '.join(unshare.emails)}: they lose access"
        share = SharePayload.model_validate(fields)
        only = "only " if share.exact else ""
        return (
            f"Share \u201c{share.file_name}\u201d with {', '.join(share.emails)}: "
            f"they can {only}{ROLE_WORDS.get(share.role, share.role)} it"
        )

    def apply_edits(self, operation: Operation, fields: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
        if "role" in edits and edits["role"] not in ROLES:
            raise StepFailed(f"the role must be one of {', '.join(ROLES)}")
        return super().apply_edits(operation, fields, edits)

    # --- carrying out -------------------------------------------------------------------

    async def execute(self, action: PendingAction, context: AgentContext, remember: Remember) -> ActionOutcome:
        api = await context.google(action.account_id, "drive")
        if action.operation == Operation.RENAME:
            rename = RenamePayload.model_validate(action.fields)
            await api.call(lambda s: s.files().update(fileId=rename.file_id, body={"name": rename.name}))
            await self._write_through(context, action.account_id, rename.file_id)
            return ActionOutcome(
                f"Renamed \u201c{rename.old_name}\u201d to \u201c{rename.name}\u201d", undo={"name": rename.old_name}
            )
        if action.operation == Operation.UNSHARE:
            return await self._unshare(api, action, context, remember)
        return await self._share(api, action, context)

    async def _permissions(self, api: GoogleApi, file_id: str) -> dict[str, dict[str, Any]]:
        listed = await api.call(
            lambda s: s.permissions().list(fileId=file_id, fields="permissions(id,type,role,emailAddress)")
        )
        return {p.get("emailAddress", "").lower(): p for p in listed.get("permissions", []) if p.get("emailAddress")}

    async def _share(self, api: GoogleApi, action: PendingAction, context: AgentContext) -> ActionOutcome:
        """Each person gets the role: a new permission, or their own one changed (upwards,
        or to exactly the role when `exact`); someone who has it already is left alone, so
        a retried confirmation adds no second permission and no second email."""
        share = SharePayload.model_validate(action.fields)
        current = await self._permissions(api, share.file_id)
        created: dict[str, str] = {}
        changed: dict[str, dict[str, str]] = {}
        already: list[str] = []
        for email in share.emails:
            held = current.get(email)
            if held and (
                held["role"] == share.role
                or (not share.exact and STRENGTH.get(held["role"], 0) >= STRENGTH[share.role])
            ):
                already.append(email)
                continue
            if held is not None:
                held_id, body = str(held["id"]), {"role": share.role}

                def update(s: Resource, pid: str = held_id, body: dict[str, str] = body) -> HttpRequest:
                    return s.permissions().update(fileId=share.file_id, permissionId=pid, body=body)

                await api.call(update)
                changed[email] = {"id": held_id, "role": held["role"]}
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
        done = [email for email in share.emails if email in created or email in changed]
        verb = ROLE_WORDS.get(share.role, share.role)
        summary = f"\u201c{share.file_name}\u201d: {', '.join(done)} can now {verb} it" if done else ""
        if already:
            summary = (summary + "; " if summary else "") + f"{', '.join(already)} already had access"
        undo = {"permissions": created, "roles": changed} if created or changed else None
        return ActionOutcome(summary, undo=undo)

    async def _unshare(
        self, api: GoogleApi, action: PendingAction, context: AgentContext, remember: Remember
    ) -> ActionOutcome:
        """Each person's permission is deleted; their role is remembered first, so that a
        retry after a crash still knows what undo gives back."""
        unshare = UnsharePayload.model_validate(action.fields)
        current = await self._permissions(api, unshare.file_id)
        roles: dict[str, str] = dict(action.fields.get("previous_roles") or {})
        roles |= {email: current[email]["role"] for email in unshare.emails if email in current}
        await remember({"previous_roles": roles})
        for email in unshare.emails:
            if email not in current:
                continue  # gone already (a retry, or removed elsewhere)

            def delete(s: Resource, pid: str = current[email]["id"]) -> HttpRequest:
                return s.permissions().delete(fileId=unshare.file_id, permissionId=pid)

            await api.call(delete)
        await self._write_through(context, action.account_id, unshare.file_id)
        return ActionOutcome(
            f"Stopped sharing \u201c{unshare.file_name}\u201d with {', '.join(unshare.emails)}", undo={"roles": roles}
        )

    async def undo(self, action: PendingAction, context: AgentContext) -> str:
        api = await context.google(action.account_id, "drive")
        undo = action.undo_data or {}
        if action.operation == Operation.RENAME:
            rename = RenamePayload.model_validate(action.fields)
            await api.call(lambda s: s.files().update(fileId=rename.file_id, body={"name": rename.old_name}))
            await self._write_through(context, action.account_id, rename.file_id)
            return f"Renamed it back to \u201c{rename.old_name}\u201d"
        if action.operation == Operation.UNSHARE:
            unshare = UnsharePayload.model_validate(action.fields)
            for email, role in (undo.get("roles") or {}).items():
                body = {"type": "user", "role": role, "emailAddress": email}

                def give_back(s: Resource, body: dict[str, str] = body) -> HttpRequest:
                    return s.permissions().create(fileId=unshare.file_id, body=body, sendNotificationEmail=False)

                await api.call(give_back)
            await self._write_through(context, action.account_id, unshare.file_id)
            return f"Shared \u201c{unshare.file_name}\u201d again with {', '.join(undo.get('roles') or {})}"
        share = SharePayload.model_validate(action.fields)
        for permission_id in (undo.get("permissions") or {}).values():

            def delete(s: Resource, pid: str = permission_id) -> HttpRequest:
                return s.permissions().delete(fileId=share.file_id, permissionId=pid)

            try:
                await api.call(delete)
            except HttpError as error:
                if http_status(error) != 404:
                    raise
        for before in (undo.get("roles") or {}).values():

            def restore(s: Resource, pid: str = before["id"], role: str = before["role"]) -> HttpRequest:
                return s.permissions().update(fileId=share.file_id, permissionId=pid, body={"role": role})

            await api.call(restore)
        await self._write_through(context, action.account_id, share.file_id)
        return f"Put back who had access to \u201c{share.file_name}\u201d"

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


def _named(step: PlanStep, found: dict[str, Holder], *, among_holders: bool) -> list[str]:
    """The addresses the step names; a name that may mean several people is whichever of
    them has access to the file (`among_holders`), and asked about when that is not one."""
    emails = [email.lower() for email in step.params.get("emails") or []]
    for name, candidates in (step.params.get("candidates") or {}).items():
        meant = [c.lower() for c in candidates if not among_holders or c.lower() in found]
        if len(meant) == 1:
            emails.append(meant[0])
        elif not meant:
            raise Unchanged(f"No {name} I know of has access to this file; it is shared with {access_list(found)}.")
        else:
            raise StepFailed(f"which {name} do you mean: {' or '.join(meant)}?")
    if not emails:
        raise StepFailed("I could not tell whose access to change; say their name or address")
    return list(dict.fromkeys(emails))


def _whose_access(step: PlanStep, file: SourceItem, found: dict[str, Holder]) -> list[str]:
    """Who loses access: the people named who have it; an owner cannot lose it."""
    emails = _named(step, found, among_holders=True)
    owners = [found[e].said() for e in emails if e in found and found[e].role == "owner"]
    if owners:
        raise StepFailed(f"{owners[0]} owns \u201c{file.title}\u201d; an owner's access cannot be removed")
    having = [email for email in emails if email in found]
    if not having:
        raise Unchanged(
            f"{', '.join(emails)} doesn't have access to \u201c{file.title}\u201d: it is shared with "
            f"{access_list(found)}."
        )
    return having


def _share_payload(step: PlanStep, file: SourceItem, found: dict[str, Holder]) -> SharePayload:
    """The people to give the role who do not have it already; when all do, nothing is
    proposed and the answer says so."""
    role = step.params.get("role") or "reader"
    exact = bool(step.params.get("exact"))
    emails = _named(step, found, among_holders=exact)
    pending = []
    for email in emails:
        held = found.get(email)
        enough = held is not None and (
            held.role == role or (not exact and STRENGTH.get(held.role, 0) >= STRENGTH.get(role, 1))
        )
        if not enough:
            pending.append(email)
    if not pending:
        who = ", ".join(found[e].said() for e in emails)
        can = {found[e].role for e in emails}
        verb = ROLE_WORDS.get(can.pop(), "open") if len(can) == 1 else "open"
        raise Unchanged(f"{who} can already {verb} \u201c{file.title}\u201d; nothing to change.")
    return SharePayload(
        file_id=file.id,
        file_name=file.title,
        emails=pending,
        role=role,
        message=step.params.get("message", ""),
        exact=exact,
    )
