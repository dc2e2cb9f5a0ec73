"""The periodic sweep: which accounts are due, in what order, on which queue."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from rq import Queue
from sqlalchemy import text

from assistant.core.runtime import engine, redis_client, sessions
from assistant.google.accounts import link_google_account
from sync.schedule import due_syncs, enqueue_due_syncs

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def link(email: str, **columns: object):
    async with sessions()() as session:
        user, account = await link_google_account(
            session,
            user_email=email,
            account_email=email,
            access_token=None,
            refresh_token="r",
            expires_at=None,
            scopes=[],
        )
        for name, value in columns.items():
            setattr(account, name, value)
        await session.commit()
        return user, account


async def attempted(account_id, service: str, ago: timedelta) -> None:
    async with engine().begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO sync_status (user_id, account_id, service, last_attempt_at, last_success_at) "
                "SELECT user_id, id, :service, :at, :at FROM google_accounts WHERE id = :id"
            ),
            {"service": service, "at": NOW - ago, "id": account_id},
        )


async def test_due_accounts_active_users_first(app_env: None) -> None:
    idle_user, idle = await link("idle@example.com")
    active_user, active = await link("active@example.com")
    _, paused = await link("paused@example.com", autosync_enabled=False)
    _, revoked = await link("revoked@example.com", status="needs_reconsent")
    async with engine().begin() as connection:
        await connection.execute(
            text("UPDATE users SET last_active_at = :at WHERE id = :id"),
            {"at": NOW - timedelta(minutes=5), "id": active_user.id},
        )
    # The idle account synced its mail 5 minutes ago (interval 15): not due yet for Gmail.
    await attempted(idle.id, "gmail", timedelta(minutes=5))
    await attempted(active.id, "gmail", timedelta(minutes=20))

    async with sessions()() as session:
        due = await due_syncs(session, NOW)
    pairs = [(d.account_id, d.service) for d in due]
    assert (idle.id, "gmail") not in pairs
    assert (active.id, "gmail") in pairs and (idle.id, "gcal") in pairs
    assert not {paused.id, revoked.id} & {d.account_id for d in due}
    assert [d.active for d in due] == sorted((d.active for d in due), reverse=True)  # active first
    assert {d.account_id for d in due if d.active} == {active.id}


async def test_the_sweep_queues_by_activity_and_never_twice(app_env: None) -> None:
    redis_client().flushdb()
    active_user, active = await link("active@example.com")
    async with engine().begin() as connection:
        await connection.execute(text("UPDATE users SET last_active_at = now() WHERE id = :id"), {"id": active_user.id})
    _, idle = await link("idle@example.com")

    assert await asyncio.to_thread(enqueue_due_syncs) == 6
    assert await asyncio.to_thread(enqueue_due_syncs) == 0  # all still waiting: nothing added
    default_jobs = Queue("default", connection=redis_client()).job_ids
    low_jobs = Queue("low", connection=redis_client()).job_ids
    assert len(default_jobs) == 3 and all(str(active.id) in job for job in default_jobs)
    assert len(low_jobs) == 3 and all(str(idle.id) in job for job in low_jobs)
