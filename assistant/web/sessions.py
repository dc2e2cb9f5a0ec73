"""Browser sessions that the server can end: one record per sign-in, in Redis.

Chainlit's session cookie is a JWT naming the user; on its own it stays valid until it
expires, whatever the user does. So each sign-in also starts a session here, and its id
travels inside that JWT (`metadata.session`) and inside every API token the session
mints (`sid`). A request is served only while its session is live:

    sign-in ─▶ start(email) ─▶ id in the cookie's JWT
    each request ─▶ live(id, email)?  (the guard, assistant/web/guard.py)
    renewal ─▶ touch(id): another idle period, never past the absolute limit
    logout ─▶ end(id); "sign out everywhere" ─▶ end_all(email)

An ended session's id is remembered as revoked for as long as a token minted by it could
live, so that those tokens die with it (`revoked`). A session that merely went idle
revokes nothing: its API tokens keep their own expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import redis.asyncio

_SESSION = "concierge:session:{}"
_REVOKED = "concierge:session:revoked:{}"
_OF_USER = "concierge:sessions:{}"


@dataclass(frozen=True)
class BrowserSession:
    id: str
    email: str
    started_at: float


class BrowserSessions:
    def __init__(
        self, redis: redis.asyncio.Redis, *, idle_seconds: int, max_age_seconds: int, token_ttl_seconds: int
    ) -> None:
        self.redis = redis
        self.idle_seconds = idle_seconds
        self.max_age_seconds = max_age_seconds
        # Long enough that no bearer token minted by an ended session outlives the mark.
        self.revoked_seconds = token_ttl_seconds + 60

    async def start(self, email: str) -> str:
        session_id = secrets.token_urlsafe(24)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(_SESSION.format(session_id), mapping={"email": email, "started_at": f"{time.time():.3f}"})
            pipe.expire(_SESSION.format(session_id), self.idle_seconds)
            pipe.sadd(_OF_USER.format(email), session_id)
            pipe.expire(_OF_USER.format(email), self.max_age_seconds)
            await pipe.execute()
        return session_id

    async def live(self, session_id: str, email: str) -> BrowserSession | None:
        """The session, if it is live and belongs to `email`; else None."""
        stored = await self.redis.hgetall(_SESSION.format(session_id))
        if not stored or stored.get(b"email", b"").decode() != email:
            return None
        started_at = float(stored[b"started_at"])
        if time.time() - started_at > self.max_age_seconds:
            return None
        return BrowserSession(session_id, email, started_at)

    async def touch(self, session: BrowserSession) -> None:
        """Another idle period from now, never past the session's absolute end."""
        left = int(session.started_at + self.max_age_seconds - time.time())
        await self.redis.expire(_SESSION.format(session.id), max(1, min(self.idle_seconds, left)))

    async def end(self, session_id: str) -> None:
        email = await self.redis.hget(_SESSION.format(session_id), "email")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(_SESSION.format(session_id))
            pipe.set(_REVOKED.format(session_id), 1, ex=self.revoked_seconds)
            if email is not None:
                pipe.srem(_OF_USER.format(email.decode()), session_id)
            await pipe.execute()

    async def end_all(self, email: str) -> int:
        """End every session of this user (sign out everywhere); how many were live."""
        ids = [raw.decode() for raw in await self.redis.smembers(_OF_USER.format(email))]
        for session_id in ids:
            await self.end(session_id)
        return len(ids)

    async def revoked(self, session_id: str) -> bool:
        return bool(await self.redis.exists(_REVOKED.format(session_id)))


def csrf_token(key: bytes, session_id: str) -> str:
    """The session's CSRF token: bound to it, and unforgeable without the server's key."""
    return hmac.new(key, b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()
