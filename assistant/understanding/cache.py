"""Intents cached in Redis for five minutes, keyed by user, normalised request and a hash
of the conversation context: asking again (or reloading) costs no model call.

Only the provider's frame is cached; resolution against contacts and the clock runs every
time, so "tomorrow" is always today's tomorrow. The key holds a fingerprint of the
understanding's own code and models, so a new release never answers with a frame an older
reader made. Redis is an optimisation here: when it
fails the request is understood anyway and the failure is logged.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from pathlib import Path

import redis.asyncio
from pydantic import BaseModel

from assistant.model_cache import ModelCache
from assistant.understanding.features import normalise
from assistant.understanding.frame import Frame

INTENT_CACHE_TTL_SECONDS = 300


class CachedIntent(BaseModel):
    provider: str
    frame: Frame


#: Frames cached per user under this prefix ("frame": entries of the intents before it do not fit).
KEY_PREFIX = "concierge:frame"


def user_keys(user_id: uuid.UUID) -> str:
    """The pattern of one user's cached frames (to clear them)."""
    return f"{KEY_PREFIX}:{user_id}:*"


def cache_key(user_id: uuid.UUID, text: str, context_digest: str) -> str:
    query = re.sub(r"[\s?!.]+$", "", normalise(text))
    digest = hashlib.sha256(f"{reader_fingerprint()}\x00{query}\x00{context_digest}".encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{user_id}:{digest}"


@functools.cache
def reader_fingerprint() -> str:
    """A digest of the understanding package's code and data (read once per process)."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*package.glob("*.py"), *package.glob("data/*")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def intent_cache(client: redis.asyncio.Redis) -> ModelCache[CachedIntent]:
    return ModelCache(client, "intent", CachedIntent, INTENT_CACHE_TTL_SECONDS)
