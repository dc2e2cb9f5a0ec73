"""Who may read a thread, and the routes that enforce it.

Chainlit 2.12's own share endpoint has known defects (../shared/notes/chainlit.md): it
serves an already-shared thread to anonymous visitors whatever our callback says, and it
returns the thread's metadata, i.e. every key of the author's chat session. So the app
puts its own routes in front of Chainlit's:

- `GET /project/share/{thread_id}`: a signed-in viewer gets a thread its author has
  shared (the author always gets their own), with the metadata cut down to the sharing
  flags. Anyone else gets 404, an anonymous visitor 401.
- `GET /chat-files/{key}`: an element's contents, for the same readers as its thread.

Viewers cannot act: action buttons are not part of a persisted thread, and every
confirm / cancel / undo is checked against the signed-in user's own actions.
"""

from __future__ import annotations

import json
from typing import Any

from chainlit.auth import get_current_user
from chainlit.data import get_data_layer
from chainlit.user import User as ChainlitUser
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from assistant.chat.persistence import FILES_ROUTE
from assistant.core import runtime
from assistant.routing import include_first

#: Session keys that follow a thread into its metadata and must not go back into it.
SHARING_KEYS = ("is_shared", "shared_at")


def metadata_of(thread: dict[str, Any]) -> dict[str, Any]:
    metadata = thread.get("metadata") or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError:
            return {}
    return metadata if isinstance(metadata, dict) else {}


def may_read(thread: dict[str, Any], viewer: ChainlitUser | None) -> bool:
    """The author, or any signed-in person once the author has shared the thread."""
    if viewer is None:
        return False
    return thread.get("userIdentifier") == viewer.identifier or bool(metadata_of(thread).get("is_shared"))


def install(app: FastAPI) -> None:
    """Add the routes, ahead of Chainlit's (its catch-all GET would shadow them)."""
    router = APIRouter()

    @router.get("/project/share/{thread_id}")
    async def shared_thread(thread_id: str, viewer: ChainlitUser = Depends(get_current_user)) -> JSONResponse:
        data_layer = get_data_layer()
        thread = await data_layer.get_thread(thread_id) if data_layer else None
        if thread is None or not may_read(thread, viewer):
            raise HTTPException(status_code=404, detail="Thread not found")
        metadata = metadata_of(thread)
        thread["metadata"] = {key: metadata[key] for key in SHARING_KEYS if key in metadata}
        return JSONResponse(content=thread)

    @router.get(FILES_ROUTE + "/{object_key:path}")
    async def element_file(object_key: str, viewer: ChainlitUser = Depends(get_current_user)) -> Response:
        async with runtime.engine().connect() as connection:
            row = (
                await connection.execute(
                    text(
                        'SELECT b."mime", b."data", t."userIdentifier", t."metadata" '
                        "FROM chainlit.element_blobs b "
                        'JOIN chainlit.elements e ON e."objectKey" = b."objectKey" '
                        'JOIN chainlit.threads t ON t."id" = e."threadId" '
                        'WHERE b."objectKey" = :key'
                    ),
                    {"key": object_key},
                )
            ).first()
        if row is None or not may_read({"userIdentifier": row.userIdentifier, "metadata": row.metadata}, viewer):
            raise HTTPException(status_code=404, detail="Not found")
        return Response(content=row.data, media_type=row.mime, headers={"Cache-Control": "private, max-age=300"})

    include_first(app, router)
