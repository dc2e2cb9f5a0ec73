"""Push notifications from Google: each one queues a high-priority incremental sync.

- Gmail push arrives through a Cloud Pub/Sub push subscription whose endpoint URL carries
  `?token=<gmail_push_token>`; the message data names the mailbox (`emailAddress`).
- Calendar (`events.watch`) and Drive (`changes.watch`) channels echo the token we gave
  them when we opened the channel in `X-Goog-Channel-Token`; ours names the account and
  service and is signed, so a forged notification cannot trigger syncs.

A notification carries no changes itself: the sync that follows reads them, so a lost or
duplicated notification costs nothing (the periodic sweep catches up, the queue
de-duplicates).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import uuid

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import select

from assistant.core.crypto import load_key
from assistant.core.models import GoogleAccount
from assistant.core.runtime import redis_client, sessions
from assistant.core.services import SPECS
from assistant.core.settings import get_settings
from sync.queues import Priority, enqueue_sync

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
#: The services that notify through watch channels (Gmail pushes through Pub/Sub).
WATCH_SERVICES = {spec.service.value: spec.cache_name for spec in SPECS.values() if spec.watch_channel}


def _signing_key() -> bytes:
    # Derived from the token key, so there is no second secret to manage.
    return hmac.new(load_key(get_settings()), b"concierge webhooks v1", hashlib.sha256).digest()


def _sign(message: str) -> str:
    return hmac.new(_signing_key(), message.encode(), hashlib.sha256).hexdigest()[:32]


def gmail_push_token() -> str:
    """The `token` query parameter to put in the Pub/Sub push endpoint URL."""
    return _sign("gmail-push")


def channel_token(account_id: uuid.UUID, service: str) -> str:
    """The token to give `events.watch` / `changes.watch` for one account."""
    return f"{account_id}.{service}.{_sign(f'{account_id}.{service}')}"


def _verify_channel_token(token: str, service: str) -> uuid.UUID:
    try:
        account, token_service, signature = token.split(".")
        account_id = uuid.UUID(account)
    except ValueError as error:
        raise HTTPException(status_code=403, detail="unknown channel") from error
    expected = _sign(f"{account_id}.{token_service}")
    if token_service != service or not hmac.compare_digest(signature, expected):
        raise HTTPException(status_code=403, detail="unknown channel")
    return account_id


async def _enqueue(account_ids: list[uuid.UUID], service: str) -> int:
    def enqueue_all() -> int:
        queued = [enqueue_sync(redis_client(), str(a), service, priority=Priority.HIGH) for a in account_ids]
        return sum(job is not None for job in queued)

    return await asyncio.to_thread(enqueue_all)


@router.post("/gmail", status_code=204)
async def gmail_push(request: Request, token: str = "") -> Response:
    if not hmac.compare_digest(token, gmail_push_token()):
        raise HTTPException(status_code=403, detail="bad push token")
    try:
        envelope = await request.json()
        data = json.loads(base64.b64decode(envelope["message"]["data"]))
        email = str(data["emailAddress"]).lower()
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise HTTPException(status_code=400, detail="not a Gmail push notification") from error

    async with sessions()() as session:
        account_ids = list(
            (
                await session.execute(
                    select(GoogleAccount.id).where(GoogleAccount.email == email, GoogleAccount.status == "active")
                )
            ).scalars()
        )
    queued = await _enqueue(account_ids, "gmail")
    log.info("gmail push", extra={"accounts": len(account_ids), "queued": queued})
    return Response(status_code=204)


@router.post("/{api}", status_code=204)
async def watch_notification(api: str, request: Request) -> Response:
    """Calendar and Drive channel notifications (`X-Goog-*` headers, empty body)."""
    service = WATCH_SERVICES.get(api)
    if service is None:
        raise HTTPException(status_code=404, detail="unknown webhook")
    account_id = _verify_channel_token(request.headers.get("x-goog-channel-token", ""), service)
    state = request.headers.get("x-goog-resource-state", "")
    if state == "sync":
        return Response(status_code=204)  # the handshake sent when a channel opens
    queued = await _enqueue([account_id], service)
    log.info("watch notification", extra={"service": service, "state": state, "queued": queued})
    return Response(status_code=204)
