"""A user with a linked account and a few cached emails, events and files: contacts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.core.db import create_engine, session_factory
from assistant.core.models import CalendarEvent, Conversation, DriveFile, GmailMessage, GoogleAccount, User


@dataclass
class Workspace:
    user_id: uuid.UUID
    account_id: uuid.UUID
    conversation_id: uuid.UUID


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        yield session
    await engine.dispose()


async def add_rows(session: AsyncSession, model: type, *rows: dict[str, Any]) -> None:
    """Insert cache rows naming only the given columns (the ORM would also send NULL for
    the generated `search_tsv`, which PostgreSQL refuses)."""
    for row in rows:
        await session.execute(insert(model).values(**row))


def email(user_id: uuid.UUID, account_id: uuid.UUID, n: int, name: str, address: str, to: list[str]) -> dict[str, Any]:
    return dict(
        user_id=user_id,
        account_id=account_id,
        message_id=f"m{n}",
        thread_id=f"t{n}",
        subject=f"message {n}",
        sender_name=name,
        sender_email=address,
        to_emails=to,
        internal_date=datetime.now(UTC) - timedelta(days=n),
    )


@pytest.fixture
async def workspace(session: AsyncSession) -> Workspace:
    user = User(email="me@example.com", display_name="Me", timezone="Europe/Paris")
    session.add(user)
    await session.flush()
    account = GoogleAccount(user_id=user.id, email="me@example.com", is_primary=True)
    session.add(account)
    await session.flush()
    now = datetime.now(UTC)
    owner = {"user_id": user.id, "account_id": account.id}
    await add_rows(
        session,
        GmailMessage,
        email(user.id, account.id, 1, "Sarah Chen", "sarah.chen@acme.com", ["me@example.com"]),
        email(user.id, account.id, 2, "Sarah Chen", "sarah.chen@acme.com", ["me@example.com"]),
        email(user.id, account.id, 3, "Me", "me@example.com", ["priya@acme.com", "sarah.chen@acme.com"]),
    )
    await add_rows(
        session,
        CalendarEvent,
        dict(
            **owner,
            calendar_id="primary",
            event_id="e1",
            summary="Weekly sync",
            organizer_email="tom.baker@acme.com",
            organizer_name="Tom Baker",
            attendees=[{"email": "tom.baker@acme.com", "displayName": "Tom Baker"}],
            start_at=now + timedelta(days=1),
            end_at=now + timedelta(days=1, hours=1),
        ),
        dict(
            **owner,
            calendar_id="primary",
            event_id="e2",
            summary="Flight to Lisbon",
            start_at=now + timedelta(days=3),
            end_at=now + timedelta(days=3, hours=3),
        ),
    )
    await add_rows(
        session,
        DriveFile,
        dict(
            **owner,
            file_id="f1",
            name="Budget 2027",
            mime_type="application/vnd.google-apps.spreadsheet",
            modified_at=now,
            owners=[{"displayName": "Olivia Park", "emailAddress": "olivia@acme.com"}],
        ),
    )
    conversation = Conversation(user_id=user.id, title="test")
    session.add(conversation)
    await session.commit()
    return Workspace(user.id, account.id, conversation.id)
