"""Push notifications queue a high-priority sync, once, and only when they are genuine."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest
from fastapi import FastAPI
from rq import Queue

from assistant.core.runtime import redis_client, sessions
from assistant.google.accounts import link_google_account
from sync.queues import sync_job_ids
from sync.webhooks import channel_token, gmail_push_token, router


@pytest.fixture
async def client(app_env: None):
    app = FastAPI()
    app.include_router(router)
    redis_client().flushdb()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        yield client


async def linked_account(email: str) -> uuid.UUID:
    async with sessions()() as session:
        _, account = await link_google_account(
            session,
            user_email=email,
            account_email=email,
            access_token=None,
            refresh_token="r",
            expires_at=None,
            scopes=[],
        )
        await session.commit()
        return account.id


def high_queue_ids() -> list[str]:
    return Queue("high", connection=redis_client()).job_ids


def pubsub(email: str) -> dict:
    data = base64.b64encode(json.dumps({"emailAddress": email, "historyId": "9876"}).encode()).decode()
    return {"message": {"data": data, "messageId": "1"}, "subscription": "projects/p/subscriptions/s"}


async def test_gmail_push_queues_one_high_priority_sync(client: httpx.AsyncClient) -> None:
    account_id = await linked_account("ada@example.com")
    for _ in range(2):  # Pub/Sub delivers at least once: a duplicate must not queue twice
        answer = await client.post(f"/webhooks/gmail?token={gmail_push_token()}", json=pubsub("Ada@Example.com"))
        assert answer.status_code == 204
    assert high_queue_ids() == [sync_job_ids(str(account_id), "gmail")[0]]


async def test_gmail_push_with_a_wrong_token_or_body_is_refused(client: httpx.AsyncClient) -> None:
    await linked_account("ada@example.com")
    assert (await client.post("/webhooks/gmail?token=guess", json=pubsub("ada@example.com"))).status_code == 403
    bad = await client.post(f"/webhooks/gmail?token={gmail_push_token()}", json={"message": {"data": "%%%"}})
    assert bad.status_code == 400
    assert high_queue_ids() == []


@pytest.mark.parametrize(("api", "service"), [("calendar", "gcal"), ("drive", "gdrive")])
async def test_watch_notifications_are_verified_and_queue_a_sync(
    client: httpx.AsyncClient, api: str, service: str
) -> None:
    account_id = await linked_account("ada@example.com")
    token = channel_token(account_id, service)
    handshake = await client.post(
        f"/webhooks/{api}", headers={"X-Goog-Channel-Token": token, "X-Goog-Resource-State": "sync"}
    )
    assert handshake.status_code == 204 and high_queue_ids() == []

    change = await client.post(
        f"/webhooks/{api}", headers={"X-Goog-Channel-Token": token, "X-Goog-Resource-State": "exists"}
    )
    assert change.status_code == 204
    assert high_queue_ids() == [sync_job_ids(str(account_id), service)[0]]

    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    other_service = channel_token(account_id, "gmail")
    for bad in (forged, other_service, "nonsense"):
        answer = await client.post(
            f"/webhooks/{api}", headers={"X-Goog-Channel-Token": bad, "X-Goog-Resource-State": "exists"}
        )
        assert answer.status_code == 403
