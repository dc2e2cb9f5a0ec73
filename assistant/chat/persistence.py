"""Where the chat's threads live: Chainlit's SQLAlchemy data layer on our PostgreSQL.

Chainlit's tables sit in the `chainlit` schema (migration 0002), reached with
`search_path=chainlit`. A Chainlit thread *is* a Concierge conversation: the thread id is
the conversation id, so a resumed thread continues the conversation that follow-ups
("reply to the second one") resolve against. Renaming or deleting a thread does the same
to its conversation.

Chainlit persists an element (a source's side panel) only through a storage provider; ours
keeps the bytes in `chainlit.element_blobs` and serves them at `/chat-files/<key>` to
whoever may read the thread (see `assistant.chat.sharing`).

Chainlit's data layer hides every failed statement (a warning, and None), so with
PostgreSQL down its routes answered 404 "User not found"; ours raises `DatabaseUnavailable`
to an HTTP request instead, which the app answers with 503 (assistant/api/errors.py).
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chainlit import config as chainlit_config
from chainlit.context import ChainlitContextException, context
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.storage_clients.base import BaseStorageClient
from chainlit.session import WebsocketSession
from chainlit.user import PersistedUser, User
from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from assistant.core.db import DatabaseUnavailable, asyncpg_url, database_unreachable, retry_if_disconnected
from assistant.core.models import Conversation

log = logging.getLogger(__name__)

FILES_ROUTE = "/chat-files"


def use_private_files_directory(data_dir: Path) -> Path:
    """Give this process a session-files directory of its own.

    Chainlit keeps each chat session's files under `<app root>/.files` and deletes that
    whole directory when the process stops, from under every other process serving the
    same root (a second replica, a test run): their sessions then fail to send elements.
    """
    # deferred: importing chainlit.server builds Chainlit's whole web app, 107 ms on top of this
    # module (timed, median of 7); chat_app.py has built it already, tests/chat need not.
    import chainlit.server

    directory = data_dir / "chat-sessions" / str(os.getpid())
    directory.mkdir(parents=True, exist_ok=True)
    chainlit_config.FILES_DIRECTORY = chainlit.server.FILES_DIRECTORY = directory
    return directory


def file_url(object_key: str) -> str:
    return f"{FILES_ROUTE}/{quote(object_key, safe='/')}"


class DatabaseStorage(BaseStorageClient):
    """Element contents in PostgreSQL, so every app process can serve every thread's."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        body = data.encode() if isinstance(data, str) else data
        conflict = 'DO UPDATE SET "mime" = excluded."mime", "data" = excluded."data"' if overwrite else "DO NOTHING"
        async with self.engine.begin() as connection:
            await connection.execute(
                text(
                    'INSERT INTO chainlit.element_blobs ("objectKey", "mime", "data") '
                    f'VALUES (:key, :mime, :data) ON CONFLICT ("objectKey") {conflict}'
                ),
                {"key": object_key, "mime": mime, "data": body},
            )
        return {"object_key": object_key, "url": file_url(object_key)}

    async def delete_file(self, object_key: str) -> bool:
        async with self.engine.begin() as connection:
            result = await connection.execute(
                text('DELETE FROM chainlit.element_blobs WHERE "objectKey" = :key'), {"key": object_key}
            )
        return bool(result.rowcount)

    async def get_read_url(self, object_key: str) -> str:
        return file_url(object_key)

    async def close(self) -> None:
        """The engine belongs to the app (`assistant.core.runtime`), which disposes of it."""


def _in_chat_session() -> bool:
    """Whether this runs for a chat session (Chainlit's socket), not for an HTTP request."""
    try:
        return isinstance(context.session, WebsocketSession)
    except ChainlitContextException:
        return False


class ChatDataLayer(SQLAlchemyDataLayer):
    """Chainlit's data layer, in its own schema, keeping our conversations in step."""

    def __init__(self, database_url: str, engine: AsyncEngine) -> None:
        super().__init__(
            conninfo=asyncpg_url(database_url),
            connect_args={"server_settings": {"search_path": "chainlit"}},
            storage_provider=DatabaseStorage(engine),
        )
        self.app_engine = engine

    async def execute_sql(self, query: str, parameters: dict[str, Any]) -> list[dict[str, Any]] | int | None:
        """Chainlit's statement runner (one statement, one transaction): the rows, or the
        row count; a failed statement is logged and answers None, as in Chainlit.

        Except that an HTTP request is told when PostgreSQL is unreachable: there it
        raises `DatabaseUnavailable`. A chat session (Chainlit's socket, and the tasks it
        starts) keeps Chainlit's None: it saves steps fire-and-forget, and a closing socket
        whose last save raised would never be cleaned up. A statement that met a dead
        pooled connection runs once more (assistant.core.db).
        """
        try:
            return await retry_if_disconnected(lambda: self._run(query, parameters))
        except Exception as error:  # Chainlit's contract: a failed statement is logged, and answers None
            if database_unreachable(error) and not _in_chat_session():
                raise DatabaseUnavailable("the chat history's database is unreachable") from error
            log.warning("chat history statement failed (%s): %s", type(error).__name__, str(error).split("\n", 1)[0])
            return None

    async def _run(self, query: str, parameters: dict[str, Any]) -> list[dict[str, Any]] | int:
        async with self.async_session() as session, session.begin():
            result = await session.execute(text(query), parameters)
            if not result.returns_rows:
                return result.rowcount
            rows: list[dict[str, Any]] = self.clean_result([dict(row._mapping) for row in result.fetchall()])
            return rows

    async def create_user(self, user: User) -> PersistedUser | None:
        """Chainlit's user, without the sign-in session's id (assistant/web): that lives
        in the signed cookie only, never in the users table or what `/user` shows."""
        metadata = {key: value for key, value in user.metadata.items() if key != "session"}
        return await super().create_user(
            User(identifier=user.identifier, display_name=user.display_name, metadata=metadata)
        )

    async def get_thread_author(self, thread_id: str) -> str:
        """The thread's author, or "" for no such thread (Chainlit's raises ValueError,
        which its routes answer with a 500; "" makes them answer 404)."""
        try:
            return await super().get_thread_author(thread_id)
        except ValueError:
            return ""

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        await super().update_thread(thread_id, name=name, user_id=user_id, metadata=metadata, tags=tags)
        if name is not None:
            async with self.app_engine.begin() as connection:
                await connection.execute(
                    update(Conversation).where(Conversation.id == uuid.UUID(thread_id)).values(title=name[:200])
                )

    async def delete_thread(self, thread_id: str) -> None:
        await super().delete_thread(thread_id)
        async with self.app_engine.begin() as connection:
            await connection.execute(delete(Conversation).where(Conversation.id == uuid.UUID(thread_id)))
