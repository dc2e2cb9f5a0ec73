"""Google Drive: files with their text, kept fresh with the changes feed.

The cursor is a changes page token, taken *before* a full listing so that changes made
while listing are replayed. Google Docs are exported as plain text and Sheets as CSV;
PDF, DOCX and text files are downloaded and read. Trashed or removed files leave the cache.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from googleapiclient.errors import HttpError

from assistant.core.items import FileItem
from assistant.google.api import http_status
from assistant.google.content import extract_document_text
from assistant.google.resources import EXPORTS, FILE_FIELDS, file_item
from search.indexing import GDRIVE
from sync.base import SyncContext, begin_full_sync, sweep_unseen

log = logging.getLogger(__name__)

PAGE_SIZE = 100
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


class DriveSync:
    service = "gdrive"

    async def full(self, context: SyncContext, checkpoint: dict[str, Any] | None) -> str:
        async def start_page_token() -> str:
            return (await context.api.call(lambda s: s.changes().getStartPageToken()))["startPageToken"]

        progress = await begin_full_sync(context, checkpoint, start_page_token)
        while True:
            page = await context.api.call(
                lambda s, token=progress.page_token: s.files().list(
                    q="trashed = false",
                    pageSize=PAGE_SIZE,
                    pageToken=token,
                    fields=f"nextPageToken,files({FILE_FIELDS})",
                )
            )
            progress.done += await self._mirror(context, page.get("files", []))
            progress.page_token = page.get("nextPageToken")
            if not progress.page_token:
                break
            await progress.save(context)
        removed = await sweep_unseen(context.sessions, GDRIVE, context.account_id, progress.started_at)
        log.info("drive full sync", extra={"files": progress.done, "swept": removed})
        assert progress.baseline is not None
        return progress.baseline

    async def incremental(self, context: SyncContext, cursor: str) -> str:
        page_token = cursor
        changed = 0
        while True:
            page = await context.api.call(
                lambda s, token=page_token: s.changes().list(
                    pageToken=token,
                    includeRemoved=True,
                    pageSize=PAGE_SIZE,
                    fields=f"nextPageToken,newStartPageToken,changes(fileId,removed,file({FILE_FIELDS}))",
                )
            )
            changes = page.get("changes", [])
            removed = [(c["fileId"],) for c in changes if c.get("removed") or c.get("file", {}).get("trashed")]
            await context.indexer.remove(context.account_id, GDRIVE, removed)
            files = [
                c["file"] for c in changes if not c.get("removed") and "file" in c and not c["file"].get("trashed")
            ]
            changed += await self._mirror(context, files)
            if "newStartPageToken" in page:
                log.info("drive incremental sync", extra={"changed": changed, "removed": len(removed)})
                return page["newStartPageToken"]
            page_token = page["nextPageToken"]

    async def _mirror(self, context: SyncContext, files: list[dict[str, Any]]) -> int:
        limit = asyncio.Semaphore(context.concurrency)

        async def with_text(file: dict[str, Any]) -> FileItem:
            async with limit:
                return file_item(file, await self._content(context, file))

        items = await asyncio.gather(*(with_text(file) for file in files))
        if items:
            await context.indexer.index(context.user_id, context.account_id, items)
            context.items_synced += len(items)
        return len(items)

    async def _content(self, context: SyncContext, file: dict[str, Any]) -> str:
        mime_type = file.get("mimeType", "")
        try:
            if mime_type in EXPORTS:
                data = await context.api.call(
                    lambda s: s.files().export(fileId=file["id"], mimeType=EXPORTS[mime_type])
                )
                return data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else str(data)
            if mime_type.startswith("application/vnd.google-apps."):
                return ""  # forms, folders, shortcuts: no text to read
            if int(file.get("size", 0)) > MAX_DOWNLOAD_BYTES:
                return ""
            data = await context.api.call(lambda s: s.files().get_media(fileId=file["id"]))
        except HttpError as error:
            if http_status(error) in (403, 404):
                return ""  # not downloadable (owner forbids it) or deleted meanwhile
            raise
        return await asyncio.to_thread(extract_document_text, data, mime_type, file.get("name", ""))
