"""The HTTP API's endpoints (see docs/api.md).

Every endpoint but the monitoring ones authenticates the caller (auth.py), takes from
their rate-limit buckets (limits.py), and then works only as that user: through
`Concierge.sessions_for` / `as_user`, so PostgreSQL's row-level security holds each query
to the caller's rows on top of its own `WHERE user_id`. Another user's conversation or
action is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Annotated

import redis
import redis.asyncio
from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Security
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from assistant import composition, web
from assistant.actions import ActionError
from assistant.agents.base import StepFailed
from assistant.api import monitoring, sse
from assistant.api.auth import Authenticator, Caller, authenticate, bearer_scheme, unauthenticated
from assistant.api.errors import ERROR_RESPONSES, ApiError, ApiRoute, error_response, server_failure
from assistant.api.idempotency import IdempotencyStore, Recorded, fingerprint
from assistant.api.limits import RateLimiter
from assistant.api.schemas import (
    Action,
    ConfirmRequest,
    ConversationDetail,
    ConversationList,
    ConversationMessage,
    ConversationSummary,
    Health,
    QueryRequest,
    Readiness,
    RevokeRequest,
    SignedOut,
    SyncJob,
    SyncRequest,
    SyncResponse,
    TokenResponse,
)
from assistant.core import runtime
from assistant.core.models import Conversation, GoogleAccount, Message, User
from assistant.core.settings import Settings, get_settings
from assistant.pipeline import Concierge
from assistant.writes import PendingAction
from sync.queues import Priority, enqueue_sync

router = APIRouter(route_class=ApiRoute, responses=ERROR_RESPONSES)


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: AsyncEngine
    redis: redis.Redis
    concierge: Concierge
    auth: Authenticator
    limiter: RateLimiter
    idempotency: IdempotencyStore


@lru_cache(maxsize=1)
def services() -> Services:
    """Made on the first request, from the process-wide connections (assistant.core.runtime)."""
    settings = get_settings()
    async_redis = runtime.async_redis_client()
    concierge = composition.concierge()  # the same one the chat UI uses
    return Services(
        settings=settings,
        engine=runtime.engine(),
        redis=runtime.redis_client(),
        concierge=concierge,
        auth=Authenticator(settings, async_redis, concierge.sessions, web.browser_sessions()),
        limiter=RateLimiter(settings, async_redis),
        idempotency=IdempotencyStore(async_redis),
    )


Svc = Annotated[Services, Depends(services)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key", description="Repeat within 5 minutes = the first request's answer, not a second run."
    ),
]


def limited(endpoint: str | None) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the authenticated caller, after taking from their rate-limit buckets."""

    async def caller(
        request: Request, svc: Svc, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]
    ) -> Caller:
        found = await authenticate(svc.auth, request, credentials)
        await svc.limiter.check(found.user_id, found.tier, endpoint)
        return found

    return caller


async def _json_once(
    svc: Services,
    caller: Caller,
    request: Request,
    key: str | None,
    run: Callable[[], Awaitable[tuple[int, BaseModel]]],
) -> Response:
    """Run a JSON endpoint, or with an Idempotency-Key replay the answer of its first run."""

    async def answer() -> Response:
        try:
            status, model = await run()
        except ApiError as error:
            return error_response(error.status, error.code, error.message, headers=error.headers)
        return JSONResponse(model.model_dump(mode="json"), status_code=status)

    if key is None:
        return await answer()
    request_print = fingerprint(request.method, request.url.path, await request.body())
    key = svc.idempotency.check_key(key)
    earlier = await svc.idempotency.claim(caller.user_id, key, request_print)
    if earlier is not None:
        return Response(
            earlier.body,
            status_code=earlier.status,
            media_type=earlier.media_type,
            headers={"Idempotent-Replay": "true"},
        )
    try:
        response = await answer()
    except BaseException:
        await svc.idempotency.abandon(caller.user_id, key)
        raise
    await svc.idempotency.finish(
        caller.user_id,
        key,
        request_print,
        Recorded(response.status_code, "application/json", bytes(response.body).decode()),
    )
    return response


# --- tokens ----------------------------------------------------------------------------------


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    tags=["auth"],
    summary="Get a bearer token (from the chat UI's session)",
)
async def mint_token(request: Request, svc: Svc) -> TokenResponse:
    """Needs the chat UI's signed-in session (its cookie): a bearer token cannot mint others."""
    caller = await svc.auth.from_session(request)
    if caller is None:
        raise unauthenticated("sign in to Concierge first; tokens are issued to the signed-in session")
    await svc.limiter.check(caller.user_id, caller.tier, "token")
    assert caller.session_id is not None, "from_session names the session"
    issued = svc.auth.mint(caller.user_id, caller.session_id)
    return TokenResponse(access_token=issued.token, token_id=issued.token_id, expires_at=issued.expires_at)


@router.post("/auth/revoke", status_code=204, tags=["auth"], summary="Revoke a bearer token")
async def revoke_token(
    svc: Svc, caller: Annotated[Caller, Depends(limited(None))], body: Annotated[RevokeRequest | None, Body()] = None
) -> Response:
    if body is not None and body.token is not None:
        token_id, expires_at = svc.auth.owned_token(body.token, caller)
    elif caller.token_id is not None and caller.token_expires_at is not None:
        token_id, expires_at = caller.token_id, caller.token_expires_at
    else:
        raise ApiError(422, "validation_error", "token: name the token to revoke (this request carries none)")
    await svc.auth.revoke(token_id, expires_at)
    return Response(status_code=204)


@router.post(
    "/auth/sign-out-everywhere",
    response_model=SignedOut,
    tags=["auth"],
    summary="End every browser session of yours, and the bearer tokens they issued",
)
async def sign_out_everywhere(svc: Svc, caller: Annotated[Caller, Depends(limited("token"))]) -> SignedOut:
    async with svc.concierge.sessions_for(caller.user_id)() as session:
        email = await session.scalar(select(User.email).where(User.id == caller.user_id))
    ended = await web.browser_sessions().end_all(str(email)) if email else 0
    if caller.session_id is not None:
        await web.browser_sessions().end(caller.session_id)  # a token's own session, even if already idle
    return SignedOut(sessions_ended=ended)


# --- asking ------------------------------------------------------------------------------------


@router.post(
    "/query",
    tags=["query"],
    summary="Ask: the answer streams back as server-sent events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {sse.MEDIA_TYPE: {}},
            "description": "intent, plan, step_*, action_required, token... then done (or error).",
        }
    },
)
async def query(
    request: Request,
    body: QueryRequest,
    svc: Svc,
    caller: Annotated[Caller, Depends(limited("query"))],
    key: IdempotencyKey = None,
) -> Response:
    if body.conversation_id is not None:
        async with svc.concierge.sessions_for(caller.user_id)() as session:
            found = await session.scalar(
                select(Conversation.id).where(
                    Conversation.id == body.conversation_id, Conversation.user_id == caller.user_id
                )
            )
        if found is None:
            raise ApiError(404, "not_found", "no such conversation")
    if key is None:
        return StreamingResponse(_stream(svc, caller, body, None), media_type=sse.MEDIA_TYPE)
    key = svc.idempotency.check_key(key)
    request_print = fingerprint(request.method, request.url.path, await request.body())
    earlier = await svc.idempotency.claim(caller.user_id, key, request_print)
    if earlier is not None:
        return Response(
            earlier.body,
            status_code=earlier.status,
            media_type=earlier.media_type,
            headers={"Idempotent-Replay": "true"},
        )
    return StreamingResponse(_stream(svc, caller, body, (key, request_print)), media_type=sse.MEDIA_TYPE)


async def _stream(
    svc: Services, caller: Caller, body: QueryRequest, idempotency: tuple[str, str] | None
) -> AsyncIterator[str]:
    """The pipeline's events as SSE. The pipeline runs in a task of its own: with an
    Idempotency-Key it finishes (and is stored for the repeat) even if this client goes away."""
    chunks: asyncio.Queue[str | None] = asyncio.Queue()
    task = asyncio.create_task(_run_query(svc, caller, body, idempotency, chunks.put_nowait))
    try:
        while (chunk := await chunks.get()) is not None:
            yield chunk
    finally:
        if idempotency is None and not task.done():
            task.cancel()


async def _run_query(
    svc: Services,
    caller: Caller,
    body: QueryRequest,
    idempotency: tuple[str, str] | None,
    send: Callable[[str | None], None],
) -> None:
    sent: list[str] = []
    stages = monitoring.QueryStages()

    def emit(name: str, data: dict[str, object]) -> None:
        chunk = sse.encode(len(sent) + 1, name, data)
        sent.append(chunk)
        send(chunk)

    try:
        async for event in svc.concierge.ask(caller.user_id, body.text, conversation_id=body.conversation_id):
            stages.saw(event)
            emit(*sse.payload(event))
    except Exception as error:  # the boundary: the stream has started, so the failure is its last event
        failure = server_failure(error, {"route": "/query", "user_id": str(caller.user_id)})
        emit("error", sse.error_payload(failure.code, failure.message))
        if idempotency is not None:  # a repeat runs afresh rather than replaying our failure
            await svc.idempotency.abandon(caller.user_id, idempotency[0])
            idempotency = None
    finally:
        send(None)
    if idempotency is not None:
        key, request_print = idempotency
        await svc.idempotency.finish(caller.user_id, key, request_print, Recorded(200, sse.MEDIA_TYPE, "".join(sent)))


# --- actions -----------------------------------------------------------------------------------

ActionId = Annotated[uuid.UUID, Path(description="From an `action_required` or `done` event.")]


def _action(action: PendingAction) -> Action:
    return Action.model_validate(sse.action_json(action))


async def _decide(decide: Callable[[], Awaitable[PendingAction]]) -> tuple[int, Action]:
    try:
        return 200, _action(await decide())
    except ActionError as error:
        if str(error) == "no such action":
            raise ApiError(404, "not_found", "no such action") from error
        raise ApiError(409, "action_conflict", str(error)) from error
    except StepFailed as error:  # an edit the action does not accept
        raise ApiError(422, "validation_error", f"edits: {error}") from error


@router.get("/actions/{action_id}", response_model=Action, tags=["actions"], summary="A proposed action and its state")
async def get_action(action_id: ActionId, svc: Svc, caller: Annotated[Caller, Depends(limited(None))]) -> Action:
    desk = await svc.concierge.actions(caller.user_id)
    return (await _decide(lambda: desk.get(caller.user_id, action_id)))[1]


@router.post(
    "/actions/{action_id}/confirm",
    response_model=Action,
    tags=["actions"],
    summary="Carry out a proposed action (with edits)",
)
async def confirm_action(
    request: Request,
    action_id: ActionId,
    svc: Svc,
    caller: Annotated[Caller, Depends(limited("actions"))],
    body: Annotated[ConfirmRequest | None, Body()] = None,
    key: IdempotencyKey = None,
) -> Response:
    edits = body.edits.model_dump(mode="json", exclude_unset=True) if body is not None else {}

    async def run() -> tuple[int, Action]:
        desk = await svc.concierge.actions(caller.user_id)
        return await _decide(lambda: desk.confirm(caller.user_id, action_id, edits=edits or None))

    return await _json_once(svc, caller, request, key, run)


def _decision_route(verb: str, summary: str) -> None:
    """`POST /actions/{id}/<verb>` for the decisions that take no body (cancel, undo)."""

    async def decide(
        request: Request,
        action_id: ActionId,
        svc: Svc,
        caller: Annotated[Caller, Depends(limited("actions"))],
        key: IdempotencyKey = None,
    ) -> Response:
        async def run() -> tuple[int, Action]:
            desk = await svc.concierge.actions(caller.user_id)
            return await _decide(lambda: getattr(desk, verb)(caller.user_id, action_id))

        return await _json_once(svc, caller, request, key, run)

    router.post(
        f"/actions/{{action_id}}/{verb}",
        response_model=Action,
        tags=["actions"],
        summary=summary,
        name=f"{verb}_action",
    )(decide)


_decision_route("cancel", "Drop a proposed action")
_decision_route("undo", "Reverse a carried-out action within its undo window")


# --- conversations -----------------------------------------------------------------------------


@router.get(
    "/conversations",
    response_model=ConversationList,
    tags=["conversations"],
    summary="Your conversations, most recent first",
)
async def list_conversations(
    svc: Svc,
    caller: Annotated[Caller, Depends(limited(None))],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ConversationList:
    async with svc.concierge.sessions_for(caller.user_id)() as session:
        rows = await session.scalars(
            select(Conversation)
            .where(Conversation.user_id == caller.user_id)
            .order_by(Conversation.updated_at.desc(), Conversation.id)
            .limit(limit)
            .offset(offset)
        )
        return ConversationList(
            conversations=[ConversationSummary.model_validate(row, from_attributes=True) for row in rows]
        )


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationDetail,
    tags=["conversations"],
    summary="A conversation with its messages",
)
async def get_conversation(
    conversation_id: uuid.UUID, svc: Svc, caller: Annotated[Caller, Depends(limited(None))]
) -> ConversationDetail:
    async with svc.concierge.sessions_for(caller.user_id)() as session:
        conversation = await session.scalar(
            select(Conversation).where(Conversation.id == conversation_id, Conversation.user_id == caller.user_id)
        )
        if conversation is None:
            raise ApiError(404, "not_found", "no such conversation")
        messages = await session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.user_id == caller.user_id)
            .order_by(Message.created_at, Message.id)
        )
        return ConversationDetail(
            **ConversationSummary.model_validate(conversation, from_attributes=True).model_dump(),
            messages=[
                ConversationMessage(
                    id=m.id,
                    role=m.role,  # type: ignore[arg-type]
                    content=m.content,
                    created_at=m.created_at,
                    sources=(m.results or {}).get("items", []),
                    actions=(m.actions or {}).get("items", []),
                )
                for m in messages
            ],
        )


# --- sync --------------------------------------------------------------------------------------


@router.post(
    "/sync", status_code=202, response_model=SyncResponse, tags=["sync"], summary="Sync your linked accounts now"
)
async def sync_now(
    request: Request,
    svc: Svc,
    caller: Annotated[Caller, Depends(limited("sync"))],
    body: Annotated[SyncRequest | None, Body()] = None,
    key: IdempotencyKey = None,
) -> Response:
    wanted = body or SyncRequest()

    async def run() -> tuple[int, SyncResponse]:
        async with svc.concierge.sessions_for(caller.user_id)() as session:
            accounts = (
                await session.execute(
                    select(GoogleAccount.id, GoogleAccount.email).where(
                        GoogleAccount.user_id == caller.user_id, GoogleAccount.status == "active"
                    )
                )
            ).all()
        jobs = [
            SyncJob(
                account_id=account.id,
                account_email=account.email,
                service=service,
                queued=(
                    await asyncio.to_thread(
                        partial(
                            enqueue_sync, svc.redis, str(account.id), service, priority=Priority.HIGH, full=wanted.full
                        )
                    )
                )
                is not None,
            )
            for account in accounts
            for service in dict.fromkeys(wanted.services)
        ]
        return 202, SyncResponse(jobs=jobs)

    return await _json_once(svc, caller, request, key, run)


# --- monitoring (no token) -----------------------------------------------------------------------


@router.get("/healthz", response_model=Health, tags=["monitoring"], summary="Liveness")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    tags=["monitoring"],
    summary="Readiness: PostgreSQL, Redis, sync workers and queues",
    responses={503: {"model": Readiness}},
)
async def readyz(svc: Svc) -> Response:
    ready = await monitoring.readiness(svc.engine, runtime.async_redis_client(), svc.settings.worker_liveness_seconds)
    return JSONResponse(ready.model_dump(mode="json"), status_code=200 if ready.status == "ready" else 503)


@router.get(
    "/metrics",
    tags=["monitoring"],
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(svc: Svc) -> Response:
    body, media_type = await monitoring.metrics_text(svc.engine, svc.redis)
    return Response(body, media_type=media_type)
