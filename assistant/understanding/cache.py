"""Intents cached in Redis for five minutes, keyed by user, normalised request and a hash
of the conversation context: asking again (or reloading) costs no model call.

Only the provider's draft is cached; resolution against contacts and the clock runs every
time, so "tomorrow" is always today's tomorrow. Redis is an optimisation here: when it
fails the request is understood anyway and the failure is logged.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid

import redis.asyncio
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError

from assistant.metrics import count_cache
from assistant.understanding.features import normalise
from assistant.understanding.schema import IntentDraft

log = logging.getLogger(__name__)

INTENT_CACHE_TTL_SECONDS = 300


class CachedIntent(BaseModel):
    provider: str
    draft: IntentDraft


def cache_key(user_id: uuid.UUID, text: str, context_digest: str) -> str:
    query = re.sub(r"[\s?!.]+$", "", normalise(text))
    digest = hashlib.sha256(f"{query}\x00{context_digest}".encode()).hexdigest()[:32]
    return f"concierge:intent:{user_id}:{digest}"


class IntentCache:
    def __init__(self, client: redis.asyncio.Redis, ttl_seconds: int = INTENT_CACHE_TTL_SECONDS) -> None:
        self._client = client
        self._ttl = ttl_seconds

    async def get(self, key: str) -> CachedIntent | None:
        try:
            raw = await self._client.get(key)
        except RedisError as exc:
            log.warning("intent cache unavailable: %s", exc)
            return None
        count_cache("intent", raw is not None)
        if raw is None:
            return None
        try:
            return CachedIntent.model_validate_json(raw)
        except ValidationError:
            log.warning("dropping an unreadable cached intent %s", key)
            return None

    async def put(self, key: str, value: CachedIntent) -> None:
        try:
            await self._client.set(key, value.model_dump_json(), ex=self._ttl)
        except RedisError as exc:
            log.warning("intent cache unavailable: %s", exc)
