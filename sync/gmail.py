"""Gmail: full sync by listing the mailbox, incremental sync from the history id.

The cursor is a history id. A full sync takes the mailbox's current history id *before*
listing, so whatever changes while it lists is replayed by the next incremental sync.
Spam, trash and drafts are not mirrored: a message that moves there leaves the cache.
A user label is cached by its name ("Receipts"), not its id ("Label_12"): names are what
people see and filter by; system labels' ids are their names. A renamed label reaches
a message's cached labels when the message changes or at the next full sync.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from googleapiclient.errors import HttpError

from assistant.core.items import EmailItem
from assistant.google.api import http_status
from assistant.google.content import AttachmentRef, decode_base64url, extract_document_text, parse_gmail_message
from search.indexing import GMAIL
from sync.base import CursorExpired, SyncContext, begin_full_sync, sweep_unseen

log = logging.getLogger(__name__)

PAGE_SIZE = 200
NOT_MIRRORED = {"SPAM", "TRASH", "DRAFT"}
#: Attachments larger than this keep their name but are not downloaded for their text.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]


class GmailSync:
    service = "gmail"

    async def full(self, context: SyncContext, checkpoint: dict[str, Any] | None) -> str:
        async def current_history_id() -> str:
            profile = await context.api.call(lambda s: s.users().getProfile(userId="me"))
            await context.status.progress(items_synced=0, items_total_estimate=profile.get("messagesTotal"))
            return str(profile["historyId"])

        progress = await begin_full_sync(context, checkpoint, current_history_id)
        label_names = await self._label_names(context)
        # Fetching a page (network, quota waits) overlaps storing the previous one
        # (embedding, CPU). The checkpoint only ever names a page whose predecessors
        # are all stored, so a resumed run re-reads at most one page.
        storing: asyncio.Task[int] | None = None
        while True:
            page = await context.api.call(
                lambda s, token=progress.page_token: (
                    s.users().messages().list(userId="me", maxResults=PAGE_SIZE, pageToken=token)
                )
            )
            fetched = await self._fetch_all(context, [m["id"] for m in page.get("messages", [])], label_names)
            if storing is not None:
                progress.done += await storing
                await progress.save(context)
            storing = asyncio.create_task(self._store(context, *fetched))
            progress.page_token = page.get("nextPageToken")
            if not progress.page_token:
                progress.done += await storing
                break
        removed = await sweep_unseen(context.sessions, GMAIL, context.account_id, progress.started_at)
        log.info("gmail full sync", extra={"messages": progress.done, "swept": removed})
        assert progress.baseline is not None
        return progress.baseline

    async def incremental(self, context: SyncContext, cursor: str) -> str:
        changed: set[str] = set()
        deleted: set[str] = set()
        page_token: str | None = None
        latest = cursor
        while True:
            try:
                page = await context.api.call(
                    lambda s, token=page_token: (
                        s.users()
                        .history()
                        .list(userId="me", startHistoryId=cursor, historyTypes=HISTORY_TYPES, pageToken=token)
                    )
                )
            except HttpError as error:
                if http_status(error) == 404:
                    raise CursorExpired(f"history id {cursor} is no longer available") from error
                raise
            for record in page.get("history", []):
                for entry in record.get("messagesDeleted", []):
                    deleted.add(entry["message"]["id"])
                    changed.discard(entry["message"]["id"])
                for key in ("messagesAdded", "labelsAdded", "labelsRemoved"):
                    for entry in record.get(key, []):
                        if entry["message"]["id"] not in deleted:
                            changed.add(entry["message"]["id"])
            latest = page.get("historyId", latest)
            page_token = page.get("nextPageToken")
            if not page_token:
                break
        await context.indexer.remove(context.account_id, GMAIL, [(message_id,) for message_id in deleted])
        mirrored = await self._mirror(context, sorted(changed))
        log.info("gmail incremental sync", extra={"changed": mirrored, "deleted": len(deleted)})
        return str(latest)

    async def _mirror(self, context: SyncContext, message_ids: list[str]) -> int:
        """Fetch the messages and index them; those gone or in spam/trash leave the cache."""
        if not message_ids:
            return 0
        label_names = await self._label_names(context)
        return await self._store(context, *await self._fetch_all(context, message_ids, label_names))

    async def _label_names(self, context: SyncContext) -> dict[str, str]:
        """The account's user labels, name by id (one call per sync run)."""
        response = await context.api.call(lambda s: s.users().labels().list(userId="me"))
        return {label["id"]: label["name"] for label in response.get("labels", []) if label.get("type") == "user"}

    async def _fetch_all(
        self, context: SyncContext, message_ids: list[str], label_names: dict[str, str]
    ) -> tuple[list[EmailItem], list[str]]:
        """The messages to keep, and the ids of those deleted or not mirrored."""
        limit = asyncio.Semaphore(context.concurrency)

        async def fetch(message_id: str) -> EmailItem | None:
            async with limit:
                return await self._fetch(context, message_id, label_names)

        fetched = await asyncio.gather(*(fetch(message_id) for message_id in message_ids))
        gone = [message_id for message_id, item in zip(message_ids, fetched, strict=True) if item is None]
        return [item for item in fetched if item is not None], gone

    async def _store(self, context: SyncContext, keep: list[EmailItem], gone: list[str]) -> int:
        if keep:
            await context.indexer.index(context.user_id, context.account_id, keep)
            context.items_synced += len(keep)
        if gone:
            await context.indexer.remove(context.account_id, GMAIL, [(message_id,) for message_id in gone])
        return len(keep)

    async def _fetch(self, context: SyncContext, message_id: str, label_names: dict[str, str]) -> EmailItem | None:
        try:
            message = await context.api.call(
                lambda s: s.users().messages().get(userId="me", id=message_id, format="full")
            )
        except HttpError as error:
            if http_status(error) == 404:
                return None  # deleted between the listing and now
            raise
        item, attachments = parse_gmail_message(message)
        if NOT_MIRRORED & set(item.labels):
            return None
        item = dataclasses.replace(item, labels=tuple(label_names.get(label, label) for label in item.labels))
        texts = [await self._attachment_text(context, message_id, ref) for ref in attachments]
        attachment_text = "\n\n".join(
            f"{ref.filename}\n{text}" for ref, text in zip(attachments, texts, strict=True) if text
        )
        return dataclasses.replace(item, attachment_text=attachment_text) if attachment_text else item

    async def _attachment_text(self, context: SyncContext, message_id: str, ref: AttachmentRef) -> str:
        if not ref.readable or ref.size > MAX_ATTACHMENT_BYTES:
            return ""
        data = ref.inline_data
        if data is None and ref.attachment_id:
            body = await context.api.call(
                lambda s: (
                    s.users().messages().attachments().get(userId="me", messageId=message_id, id=ref.attachment_id)
                )
            )
            data = decode_base64url(body.get("data", ""))
        return await asyncio.to_thread(extract_document_text, data or b"", ref.mime_type, ref.filename)
