"""Chainlit's routes that act on someone's thread or chat session, with ownership checked.

Chainlit 2.12's own versions of these routes check only that the caller is signed in:

- `PUT /feedback` and `DELETE /feedback` write or delete feedback on any thread (step and
  feedback ids are visible in shared threads), and a feedback `id` from another thread is
  overwritten. The data layer swallows SQL errors, so a failed write (a malformed id, say)
  still answers 200 "success".
- `PUT /project/element` and `DELETE /project/element` answer an unknown session id with
  a plain-text 500 and a traceback in the log; and with one's own session, any element id
  is overwritten or deleted, whatever thread it belongs to.

So the app puts these routes in front of Chainlit's (as `assistant.chat.sharing` does):

- feedback: the step (and the feedback, when its `id` is given) must be in a thread the
  caller is the author of; the thread recorded is the step's own. Then the data layer
  writes it as Chainlit would, the write is read back (200 only if it is there), and
  `on_feedback` runs as in Chainlit, but only within the caller's own chat session.
- custom elements: the session must be the caller's, and the element must be new or
  already in that session's thread. Then Chainlit's own route does the work.

Anything else is 404, as if it did not exist; a malformed body (ids that are not UUIDs) is
422. Errors have the API's shape (assistant/api/errors.py) plus `detail`, the message,
which is what Chainlit's frontend shows.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import chainlit.server
from chainlit.auth import get_current_user
from chainlit.config import config
from chainlit.context import init_ws_context
from chainlit.data import get_data_layer
from chainlit.session import WebsocketSession
from chainlit.types import ElementRequest, Feedback
from chainlit.user import User as ChainlitUser
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Row, text

from assistant.api.errors import ApiError, ApiRoute, with_detail
from assistant.core import runtime
from assistant.routing import include_first

log = logging.getLogger(__name__)


class ChainlitRoute(ApiRoute):
    """`ApiRoute` (body limit, one error shape) whose errors also carry `detail`."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            return with_detail(await handler(request))

        return handle


# --- request bodies: Chainlit's, with the ids that reach the database typed as UUIDs -------


class FeedbackBody(BaseModel):
    forId: uuid.UUID
    id: uuid.UUID | None = None
    value: Literal[0, 1]
    comment: str | None = None
    threadId: str | None = None  # not trusted: the step's own thread is recorded


class UpdateFeedbackBody(BaseModel):
    feedback: FeedbackBody
    sessionId: str


class DeleteFeedbackBody(BaseModel):
    feedbackId: uuid.UUID


class ElementBody(BaseModel):
    model_config = ConfigDict(extra="allow")  # the rest goes to Chainlit's route as sent

    id: uuid.UUID
    type: str
    name: str
    display: str
    threadId: str | None = None


class ElementRequestBody(BaseModel):
    element: ElementBody
    sessionId: str


# --- who owns what ------------------------------------------------------------------------


async def signed_in(user: ChainlitUser | None = Depends(get_current_user)) -> ChainlitUser:
    if user is None:  # only when the app runs without sign-in, which ours never does
        raise ApiError(401, "unauthenticated", "sign in first")
    return user


async def first_row(sql: str, **parameters: object) -> Row[Any] | None:
    async with runtime.engine().connect() as connection:
        return (await connection.execute(text(sql), parameters)).first()


async def thread_of_step(step_id: uuid.UUID, user: ChainlitUser) -> uuid.UUID:
    """The thread of the step, if the user is its author."""
    row = await first_row(
        'SELECT t."id", t."userIdentifier" FROM chainlit.steps s JOIN chainlit.threads t ON t."id" = s."threadId" '
        'WHERE s."id" = :step',
        step=step_id,
    )
    if row is None or row.userIdentifier != user.identifier:
        raise ApiError(404, "not_found", "message not found")
    return row.id


async def check_feedback_owner(feedback_id: uuid.UUID, user: ChainlitUser, *, must_exist: bool) -> None:
    """The feedback must be on a thread of the user's (or, unless `must_exist`, be new)."""
    row = await first_row(
        'SELECT t."userIdentifier" FROM chainlit.feedbacks f JOIN chainlit.threads t ON t."id" = f."threadId" '
        'WHERE f."id" = :feedback',
        feedback=feedback_id,
    )
    if (row is None and must_exist) or (row is not None and row.userIdentifier != user.identifier):
        raise ApiError(404, "not_found", "feedback not found")


def own_session(session_id: str, user: ChainlitUser) -> WebsocketSession | None:
    session = WebsocketSession.get_by_id(session_id)
    if session is None or session.user is None or session.user.identifier != user.identifier:
        return None
    return session


async def check_element_in_session(element: ElementBody, session: WebsocketSession) -> None:
    """An element of this session's thread, or a new one (which will go in that thread)."""
    row = await first_row('SELECT "threadId" FROM chainlit.elements WHERE "id" = :element', element=element.id)
    elsewhere = row is not None and str(row.threadId) != session.thread_id
    if elsewhere or element.threadId not in (None, "", session.thread_id):
        raise ApiError(404, "not_found", "element not found")


# --- what the routes do once the caller is allowed ------------------------------------------


async def save_feedback(feedback: Feedback) -> str:
    """Chainlit's data layer writes the feedback; the write is read back, as it would
    report success even when the database refused it."""
    data_layer = get_data_layer()
    if data_layer is None:
        raise ApiError(503, "unavailable", "chat history is not enabled")
    feedback_id = await data_layer.upsert_feedback(feedback=feedback)
    saved = await first_row(
        (
            'SELECT 1 FROM chainlit.feedbacks WHERE "id" = :id AND "forId" = :step '
            'AND "threadId" = :thread AND "value" = :value'
        ),
        id=uuid.UUID(feedback_id),
        step=uuid.UUID(feedback.forId),
        thread=uuid.UUID(str(feedback.threadId)),
        value=feedback.value,
    )
    if saved is None:
        log.warning("feedback not saved", extra={"feedback_id": feedback_id, "step_id": feedback.forId})
        raise ApiError(500, "internal_error", "the feedback could not be saved; please try again")
    return feedback_id


async def remove_feedback(feedback_id: uuid.UUID) -> None:
    data_layer = get_data_layer()
    if data_layer is None:
        raise ApiError(503, "unavailable", "chat history is not enabled")
    await data_layer.delete_feedback(str(feedback_id))
    if await first_row('SELECT 1 FROM chainlit.feedbacks WHERE "id" = :id', id=feedback_id) is not None:
        log.warning("feedback not deleted", extra={"feedback_id": str(feedback_id)})
        raise ApiError(500, "internal_error", "the feedback could not be deleted; please try again")


async def run_on_feedback(feedback: Feedback, session_id: str, user: ChainlitUser) -> None:
    """The app's `on_feedback`, if any, in the caller's chat session (as Chainlit runs it,
    a failure is logged, not answered); never in someone else's."""
    callback = config.code.on_feedback
    if callback is None:
        return
    session = own_session(session_id, user)
    if session is None:
        log.warning("on_feedback not called: the session is not the caller's", extra={"step_id": feedback.forId})
        return
    try:
        init_ws_context(session)
        await callback(feedback)
    except Exception:
        log.exception("on_feedback failed", extra={"step_id": feedback.forId})


def element_request(body: ElementRequestBody, session: WebsocketSession) -> ElementRequest:
    """Chainlit's request, the element placed in the session's thread."""
    element = body.element.model_dump(mode="json") | {"threadId": session.thread_id}
    return ElementRequest(element=element, sessionId=body.sessionId)


def install(app: FastAPI) -> None:
    """Add the routes, ahead of Chainlit's routes of the same paths."""
    router = APIRouter(route_class=ChainlitRoute)

    @router.put("/feedback")
    async def update_feedback(body: UpdateFeedbackBody, user: ChainlitUser = Depends(signed_in)) -> dict[str, Any]:
        given = body.feedback
        thread_id = await thread_of_step(given.forId, user)
        if given.id is not None:
            await check_feedback_owner(given.id, user, must_exist=False)
        feedback = Feedback(
            forId=str(given.forId),
            value=given.value,
            threadId=str(thread_id),
            id=str(given.id) if given.id else None,
            comment=given.comment,
        )
        feedback_id = await save_feedback(feedback)
        await run_on_feedback(feedback, body.sessionId, user)
        return {"success": True, "feedbackId": feedback_id}

    @router.delete("/feedback")
    async def delete_feedback(body: DeleteFeedbackBody, user: ChainlitUser = Depends(signed_in)) -> dict[str, bool]:
        await check_feedback_owner(body.feedbackId, user, must_exist=True)
        await remove_feedback(body.feedbackId)
        return {"success": True}

    async def allowed_element(body: ElementRequestBody, user: ChainlitUser) -> ElementRequest:
        session = own_session(body.sessionId, user)
        if session is None:
            raise ApiError(404, "not_found", "chat session not found")
        await check_element_in_session(body.element, session)
        return element_request(body, session)

    @router.put("/project/element")
    async def update_element(body: ElementRequestBody, user: ChainlitUser = Depends(signed_in)) -> dict[str, bool]:
        return await chainlit.server.update_thread_element(await allowed_element(body, user), user)

    @router.delete("/project/element")
    async def delete_element(body: ElementRequestBody, user: ChainlitUser = Depends(signed_in)) -> dict[str, bool]:
        return await chainlit.server.delete_thread_element(await allowed_element(body, user), user)

    include_first(app, router)
