"""Who is calling: an API bearer token, or the chat UI's own Chainlit session.

Bearer tokens are HS256 JWTs (PyJWT) signed with `api_token_secret` and carrying only
`sub` (our user id), `jti`, `iat`, `exp`, `iss`, `aud` and `sid` (the browser session that
minted it): no email, no Google token. A signed-in user mints one with `POST /auth/token`
from the UI's session; a token cannot mint tokens, so revoking one (`POST /auth/revoke`)
really ends that access. Revoked ids are kept in Redis until the token would have expired
anyway. Ending the browser session (logout, sign out everywhere) ends its tokens too.

The chat UI's calls carry Chainlit's `access_token` cookie (a JWT Chainlit signs with
`CHAINLIT_AUTH_SECRET`, naming the user's email): it is accepted for every endpoint once
assistant/web's guard has found its session live (and, for changes, the CSRF token).
"""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
import redis.asyncio
from chainlit.auth import get_token_from_cookies
from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assistant.api.errors import ApiError
from assistant.core.crypto import secret_file
from assistant.core.db import retry_if_disconnected
from assistant.core.models import User
from assistant.core.settings import Settings
from assistant.web.sessions import BrowserSession, BrowserSessions

TOKEN_SECRET_FILE = "api-token-secret"
ISSUER = "concierge"
AUDIENCE = "concierge-api"
_REVOKED = "concierge:api:revoked:{}"

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token from `POST /auth/token`. The chat UI's session cookie is accepted too.",
)


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    tier: str
    #: The bearer token's id, or None for the chat UI's session.
    token_id: str | None
    token_expires_at: datetime | None = None
    #: The browser session: the caller's own, or the one that minted the bearer token.
    session_id: str | None = None


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: datetime


def token_secret(settings: Settings) -> str:
    if settings.api_token_secret is not None:
        return settings.api_token_secret.get_secret_value()
    return secret_file(
        settings.data_dir / TOKEN_SECRET_FILE, lambda: base64.urlsafe_b64encode(secrets.token_bytes(48)).decode()
    )


class Authenticator:
    def __init__(
        self,
        settings: Settings,
        redis: redis.asyncio.Redis,
        sessions: async_sessionmaker[AsyncSession],
        browser_sessions: BrowserSessions,
    ) -> None:
        self.secret = token_secret(settings)
        self.ttl_seconds = settings.api_token_ttl_seconds
        self.redis = redis
        self.sessions = sessions  # the owner's: finding the caller comes before acting as them
        self.browser_sessions = browser_sessions

    def mint(self, user_id: uuid.UUID, session_id: str | None) -> IssuedToken:
        """A token for `user_id`, bound to the browser session that asked for it (None only
        for tokens the server makes for itself, such as the pipeline bench's)."""
        now = int(time.time())
        token_id = uuid.uuid4().hex
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "jti": token_id,
            "iat": now,
            "exp": now + self.ttl_seconds,
        }
        if session_id is not None:
            claims["sid"] = session_id
        return IssuedToken(
            jwt.encode(claims, self.secret, algorithm="HS256"),
            token_id,
            datetime.fromtimestamp(now + self.ttl_seconds, UTC),
        )

    def claims(self, token: str) -> dict[str, object]:
        try:
            return jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise unauthenticated("the token has expired; get a new one") from error
        except jwt.PyJWTError as error:
            raise unauthenticated("the token is not valid") from error

    async def revoke(self, token_id: str, expires_at: datetime) -> None:
        remaining = max(1, int(expires_at.timestamp() - time.time()))
        await self.redis.set(_REVOKED.format(token_id), 1, ex=remaining + 60)

    def owned_token(self, token: str, caller: Caller) -> tuple[str, datetime]:
        """The id and expiry of `token`, which must be the caller's (else 404, as for anything not theirs)."""
        try:
            claims = self.claims(token)
        except ApiError as error:
            if "expired" in error.message:
                raise ApiError(409, "already_expired", "that token has expired already") from error
            raise ApiError(422, "validation_error", "token: not a valid Concierge token") from error
        if claims["sub"] != str(caller.user_id):
            raise ApiError(404, "not_found", "no such token")
        return str(claims["jti"]), datetime.fromtimestamp(int(claims["exp"]), UTC)  # type: ignore[call-overload]

    async def from_token(self, token: str) -> Caller:
        claims = self.claims(token)
        if await self.redis.exists(_REVOKED.format(claims["jti"])):
            raise unauthenticated("the token has been revoked")
        session_id = claims.get("sid")
        if isinstance(session_id, str) and await self.browser_sessions.revoked(session_id):
            raise unauthenticated("the session that issued this token has signed out")
        try:
            user_id = uuid.UUID(str(claims["sub"]))
        except ValueError as error:
            raise unauthenticated("the token is not valid") from error
        row = await self._user(select(User.id, User.tier).where(User.id == user_id))
        if row is None:
            raise unauthenticated("the token's user no longer exists")
        expires = datetime.fromtimestamp(int(claims["exp"]), UTC)  # type: ignore[call-overload]
        return Caller(
            user_id, row.tier, str(claims["jti"]), expires, session_id if isinstance(session_id, str) else None
        )

    async def from_session(self, request: Request) -> Caller | None:
        """The chat UI's signed-in user, from the session the guard found live for its
        cookie (assistant/web/guard.py); None without a session cookie."""
        if not get_token_from_cookies(request.cookies):
            return None
        session: BrowserSession | None = getattr(request.state, "browser_session", None)
        if session is None:
            raise unauthenticated("the session has ended; sign in again")
        row = await self._user(select(User.id, User.tier).where(User.email == session.email.lower()))
        if row is None:
            raise unauthenticated("no Concierge user for this session; sign in again")
        return Caller(row.id, row.tier, None, session_id=session.id)

    async def _user(self, statement: Select[tuple[uuid.UUID, str]]) -> Row[tuple[uuid.UUID, str]] | None:
        """The caller's id and tier. A request's first transaction: the one that meets a
        restart's dead connections, hence the retry."""

        async def read() -> Row[tuple[uuid.UUID, str]] | None:
            async with self.sessions() as session:
                return (await session.execute(statement)).one_or_none()

        return await retry_if_disconnected(read)


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, "unauthenticated", message, headers={"WWW-Authenticate": 'Bearer realm="concierge"'})


async def authenticate(
    authenticator: Authenticator, request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Caller:
    """A bearer token if one is sent (a bad one is never excused by a cookie), else the session."""
    if credentials is not None:
        return await authenticator.from_token(credentials.credentials)
    if request.headers.get("authorization"):
        raise unauthenticated("use 'Authorization: Bearer <token>'")
    caller = await authenticator.from_session(request)
    if caller is None:
        raise unauthenticated("sign in: send 'Authorization: Bearer <token>' (from POST /auth/token)")
    return caller
