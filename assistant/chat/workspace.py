"""What the chat reads about a user's workspace besides answers: sync progress, suggested
prompts drawn from their own data, their preferences, and actions still awaiting them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.core.models import (
    CalendarEvent,
    DriveFile,
    GoogleAccount,
    PendingActionRow,
    SyncStatus,
    User,
)
from assistant.core.services import by_cache_name
from sync.queues import SERVICES

# The person the user deals with most (mail they sent, meetings), never themselves.
_CLOSEST_CONTACT = text(
    """
    SELECT c.name FROM search_contacts c
    WHERE c.user_id = :user_id AND c.name <> '' AND c.exchanges > 0
      AND c.email NOT IN (SELECT a.email FROM google_accounts a WHERE a.user_id = :user_id)
    ORDER BY c.exchanges DESC, c.occurrences DESC
    LIMIT 1
    """
)


@dataclass(frozen=True)
class SyncProgress:
    """The first sync of each service of a user's accounts, summed over accounts."""

    done: dict[str, int]
    total: dict[str, int | None]
    finished: set[str]
    failed: dict[str, str]

    @property
    def complete(self) -> bool:
        return self.finished >= set(SERVICES)

    def describe(self) -> str:
        parts = []
        for service in SERVICES:
            name, noun = by_cache_name(service).display_name, by_cache_name(service).plural
            count = f"{self.done.get(service, 0):,}"
            if service in self.failed:
                parts.append(f"{name}: stopped ({self.failed[service]})")
            elif service in self.finished:
                parts.append(f"{name}: {count} {noun} \u2713")
            elif self.total.get(service):
                parts.append(f"{name}: {count} of about {self.total[service]:,} {noun}")
            else:
                parts.append(f"{name}: {count} {noun} so far")
        return " \u00b7 ".join(parts)


async def sync_progress(session: AsyncSession, user_id: uuid.UUID) -> SyncProgress:
    rows = (await session.execute(select(SyncStatus).where(SyncStatus.user_id == user_id))).scalars().all()
    done: dict[str, int] = {}
    total: dict[str, int | None] = {}
    by_service: dict[str, list[SyncStatus]] = {}
    for row in rows:
        by_service.setdefault(row.service, []).append(row)
        done[row.service] = done.get(row.service, 0) + row.items_synced
        if row.items_total_estimate:
            total[row.service] = (total.get(row.service) or 0) + row.items_total_estimate
    # An account linked a moment ago has no rows until a worker takes its first sync.
    accounts = (await session.execute(select(func.count()).where(GoogleAccount.user_id == user_id))).scalar_one()
    finished = {
        service
        for service, group in by_service.items()
        if len(group) >= accounts and all(row.last_success_at for row in group)
    }
    failed = {
        service: group[0].last_error or "error"
        for service, group in by_service.items()
        if service not in finished and any(row.status == "failed" and row.consecutive_failures >= 3 for row in group)
    }
    return SyncProgress(done, total, finished, failed)


async def starter_prompts(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> list[tuple[str, str]]:
    """(label, message) pairs drawn from the user's own mail, calendar and files."""
    contact = (await session.execute(_CLOSEST_CONTACT, {"user_id": user_id})).scalar_one_or_none()
    upcoming = (
        await session.execute(
            select(CalendarEvent.summary)
            .where(
                CalendarEvent.user_id == user_id,
                CalendarEvent.start_at > now,
                CalendarEvent.status != "cancelled",
                CalendarEvent.summary != "",
            )
            .order_by(CalendarEvent.start_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    document = (
        await session.execute(
            select(DriveFile.name)
            .where(DriveFile.user_id == user_id, DriveFile.mime_type != "application/vnd.google-apps.folder")
            .order_by(DriveFile.modified_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    starters = [("Today", "What's on my calendar today?")]
    if contact:
        first = contact.split()[0]
        starters.append((f"Mail from {first}", f"Emails from {contact} this week"))
        starters.append((f"Meet {first}", f"Find a free hour with {first} next week"))
    if upcoming:
        starters.append(("Next meeting", f"When is {upcoming} and who is coming?"))
    if document:
        starters.append(("Latest document", f"Show me {document}"))
    return starters[:4]


async def save_preferences(session: AsyncSession, user_id: uuid.UUID, timezone: str, sync_minutes: int) -> None:
    await session.execute(update(User).where(User.id == user_id).values(timezone=timezone))
    await session.execute(
        update(GoogleAccount).where(GoogleAccount.user_id == user_id).values(sync_interval_minutes=sync_minutes)
    )


async def preferences(session: AsyncSession, user_id: uuid.UUID) -> tuple[str, int]:
    """The user's time zone and auto-sync interval (minutes; the shortest over their accounts)."""
    zone = (await session.execute(select(User.timezone).where(User.id == user_id))).scalar_one()
    minutes = (
        await session.execute(
            select(func.min(GoogleAccount.sync_interval_minutes)).where(GoogleAccount.user_id == user_id)
        )
    ).scalar_one()
    return zone, minutes or 15


async def waiting_actions(session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID) -> list[uuid.UUID]:
    """Actions of this conversation still awaiting a decision, oldest first."""
    rows = await session.execute(
        select(PendingActionRow.id)
        .where(
            PendingActionRow.user_id == user_id,
            PendingActionRow.conversation_id == conversation_id,
            PendingActionRow.status == "pending",
            PendingActionRow.expires_at > func.now(),
        )
        .order_by(PendingActionRow.created_at)
    )
    return list(rows.scalars())
