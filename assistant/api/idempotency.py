"""`Idempotency-Key`: a request repeated within five minutes gets the first one's answer.

The first request with a key claims it in Redis (`SET NX`), runs, and stores its answer
(status, media type, body: for `/query`, the whole event stream as sent). A repeat with
the same key and the same request gets that answer replayed; while the first is still
running, the repeat waits for it. The same key with a different request is refused
(422), as is a repeat after the first failed on our side (the claim is dropped, so the
next repeat runs afresh). Keys are per user: one user's key never touches another's.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
import uuid
from dataclasses import asdict, dataclass

import redis.asyncio

from assistant.api.errors import ApiError

TTL_SECONDS = 300
#: How long a repeat waits for the first request before giving up with 409.
WAIT_SECONDS = 120.0
_POLL_SECONDS = 0.1
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class Recorded:
    status: int
    media_type: str
    body: str


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


class IdempotencyStore:
    def __init__(self, redis: redis.asyncio.Redis) -> None:
        self.redis = redis

    @staticmethod
    def check_key(key: str) -> str:
        if not _KEY.match(key):
            raise ApiError(422, "validation_error", "Idempotency-Key must be 1-255 visible ASCII characters")
        return key

    async def claim(self, user_id: uuid.UUID, key: str, request_print: str) -> Recorded | None:
        """None if this request is the first with the key (run it, then `finish` or `abandon`);
        otherwise the first one's answer, waited for if it is still running."""
        name = _name(user_id, key)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            if await self.redis.set(name, json.dumps({"print": request_print}), nx=True, ex=TTL_SECONDS):
                return None
            raw = await self.redis.get(name)
            if raw is None:
                continue  # the first one failed and let go between our two calls: claim it
            stored = json.loads(raw)
            if stored["print"] != request_print:
                raise ApiError(
                    422, "idempotency_key_reused", "this Idempotency-Key was used for a different request in the last 5 minutes"
                )
            if "answer" in stored:
                return Recorded(**stored["answer"])
            if time.monotonic() > deadline:
                raise ApiError(409, "request_in_progress", "the first request with this Idempotency-Key is still running")
            await asyncio.sleep(_POLL_SECONDS)

    async def finish(self, user_id: uuid.UUID, key: str, request_print: str, answer: Recorded) -> None:
        await self.redis.set(_name(user_id, key), json.dumps({"print": request_print, "answer": asdict(answer)}), ex=TTL_SECONDS)

    async def abandon(self, user_id: uuid.UUID, key: str) -> None:
        await self.redis.delete(_name(user_id, key))


def _name(user_id: uuid.UUID, key: str) -> str:
    return f"concierge:api:idempotency:{user_id}:{hashlib.sha256(key.encode()).hexdigest()}"
