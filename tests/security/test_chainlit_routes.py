"""Chainlit's own routes that act on a thread or a chat session, probed by another user.

Chainlit 2.12 lets any signed-in user `PUT`/`DELETE /feedback` on any thread (step and
feedback ids are visible in shared threads), answers 200 "success" while the database
refuses the write, and answers an unknown session id on `/project/element` with a
plain-text 500. The app guards these routes (assistant/chat/guards.py).

Alex and Sarah chat over the real socket, as the chat page does, so that their threads,
steps and elements are the ones the app itself persists.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests.api.conftest import ApiUser, browser_headers
from tests.execution.conftest import World
from tests.support import connect

CHAT_SECONDS = 180


@dataclass
class Chat:
    """A user's live chat session (a socket, as the chat page holds) and its thread."""

    socket: socketio.AsyncClient
    session_id: str
    thread_id: str


def cookie_header(session: httpx.Client) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies.jar)


async def query(world: World, sql: str, *args: object) -> list[dict[str, Any]]:
    conn = await connect(world.database_url)
    try:
        return [dict(row) for row in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


async def wait_for(world: World, sql: str, *args: object) -> list[dict[str, Any]]:
    """The rows of `sql` once there are some (Chainlit persists in the background)."""
    deadline = time.monotonic() + CHAT_SECONDS
    while time.monotonic() < deadline:
        if rows := await query(world, sql, *args):
            return rows
        await asyncio.sleep(0.5)
    pytest.fail(f"nothing persisted for {sql} {args}")


async def start_chat(api_url: str, user: ApiUser, text: str) -> Chat:
    """Open the chat as the page does and send one message; the thread it starts."""
    socket = socketio.AsyncClient(reconnection=False)
    first_interaction: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    @socket.on("first_interaction")
    async def started(data: dict[str, Any]) -> None:
        if not first_interaction.done():
            first_interaction.set_result(str(data["thread_id"]))

    session_id = str(uuid.uuid4())
    await socket.connect(
        api_url,
        headers={"Cookie": cookie_header(user.session), "Origin": api_url},
        auth={"sessionId": session_id, "clientType": "webapp", "threadId": None},
        socketio_path="/ws/socket.io",
        transports=["websocket"],
    )
    await socket.emit("connection_successful")
    message = {
        "id": str(uuid.uuid4()),
        "name": user.email,
        "type": "user_message",
        "output": text,
        "createdAt": datetime.now(UTC).isoformat(),
    }
    await socket.emit("client_message", {"message": message, "fileReferences": []})
    thread_id = await asyncio.wait_for(first_interaction, CHAT_SECONDS)
    return Chat(socket, session_id, thread_id)


@pytest.fixture(scope="module")
async def alex_chat(api_url: str, alex: ApiUser, world: World) -> AsyncIterator[Chat]:
    chat = await start_chat(api_url, alex, "emails from Tom Becker")
    yield chat
    await chat.socket.disconnect()


@pytest.fixture(scope="module")
async def sarah_chat(api_url: str, sarah: ApiUser, world: World) -> AsyncIterator[Chat]:
    chat = await start_chat(api_url, sarah, "emails about the budget")
    yield chat
    await chat.socket.disconnect()


async def answer_of(world: World, chat: Chat) -> str:
    """The id of the assistant's answer in the chat's thread (what feedback is given on)."""
    rows = await wait_for(
        world,
        'SELECT id FROM chainlit.steps WHERE "threadId" = $1 AND type = \'assistant_message\' ORDER BY "createdAt"',
        uuid.UUID(chat.thread_id),
    )
    return str(rows[0]["id"])


async def feedbacks_for(world: World, step_id: str) -> list[dict[str, Any]]:
    return await query(world, 'SELECT * FROM chainlit.feedbacks WHERE "forId" = $1', uuid.UUID(step_id))


def assert_error(response: httpx.Response, status: int) -> None:
    """The documented error shape, plus `detail` (what Chainlit's frontend shows)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert body["detail"] == body["error"]["message"]


def put_feedback(user: ApiUser, chat: Chat, feedback: dict[str, Any]) -> httpx.Response:
    return user.session.put(
        "/feedback", json={"feedback": feedback, "sessionId": chat.session_id}, headers=browser_headers(user.session)
    )


def delete_feedback(user: ApiUser, feedback_id: str) -> httpx.Response:
    return user.session.request(
        "DELETE", "/feedback", json={"feedbackId": feedback_id}, headers=browser_headers(user.session)
    )


def element_request(user: ApiUser, method: str, session_id: str, element: dict[str, Any]) -> httpx.Response:
    return user.session.request(
        method,
        "/project/element",
        json={"element": element, "sessionId": session_id},
        headers=browser_headers(user.session),
    )


def custom_element(element_id: str, thread_id: str | None = None) -> dict[str, Any]:
    return {
        "id": element_id,
        "type": "custom",
        "name": "Sources",
        "display": "inline",
        "props": {"sources": []},
        "threadId": thread_id,
    }


# --- feedback ---------------------------------------------------------------------------


async def test_feedback_on_another_users_thread_is_not_found_and_not_written(
    alex: ApiUser, sarah: ApiUser, alex_chat: Chat, sarah_chat: Chat, world: World
) -> None:
    step_id = await answer_of(world, alex_chat)
    attack = {"forId": step_id, "threadId": alex_chat.thread_id, "value": 0, "comment": "from Sarah"}

    assert_error(put_feedback(sarah, sarah_chat, attack), 404)
    assert await feedbacks_for(world, step_id) == []

    own = put_feedback(
        alex, alex_chat, {"forId": step_id, "threadId": alex_chat.thread_id, "value": 1, "comment": "spot on"}
    )
    assert own.status_code == 200, own.text
    assert own.json()["success"] is True
    [written] = await feedbacks_for(world, step_id)
    assert str(written["id"]) == own.json()["feedbackId"]
    assert (written["value"], written["comment"], str(written["threadId"])) == (1, "spot on", alex_chat.thread_id)

    # Sarah's feedback on her own answer, claiming the id of Alex's: it would overwrite his.
    hijack = {"id": str(written["id"]), "forId": await answer_of(world, sarah_chat), "value": 0, "comment": "mine now"}
    assert_error(put_feedback(sarah, sarah_chat, hijack), 404)

    assert_error(delete_feedback(sarah, str(written["id"])), 404)
    assert await feedbacks_for(world, step_id) == [written]

    assert delete_feedback(alex, str(written["id"])).status_code == 200
    assert await feedbacks_for(world, step_id) == []


async def test_malformed_feedback_ids_are_refused_not_reported_saved(alex: ApiUser, alex_chat: Chat) -> None:
    response = put_feedback(alex, alex_chat, {"forId": "not-a-uuid", "value": 1})
    assert_error(response, 422)
    assert response.json()["error"]["details"][0]["field"] == "feedback.forId"

    assert_error(put_feedback(alex, alex_chat, {"forId": str(uuid.uuid4()), "id": "not-a-uuid", "value": 1}), 422)
    assert_error(delete_feedback(alex, "not-a-uuid"), 422)


async def test_feedback_on_a_step_that_does_not_exist_is_not_found(alex: ApiUser, alex_chat: Chat) -> None:
    assert_error(put_feedback(alex, alex_chat, {"forId": str(uuid.uuid4()), "value": 1}), 404)
    assert_error(delete_feedback(alex, str(uuid.uuid4())), 404)


# --- custom elements ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_elements_of_an_unknown_session_are_not_found(alex: ApiUser, data_dir: Path, method: str) -> None:
    log = data_dir / "api.log"  # tests/app_process.py
    logged_before = log.stat().st_size
    response = element_request(alex, method, str(uuid.uuid4()), custom_element(str(uuid.uuid4())))
    assert_error(response, 404)
    with log.open() as lines:
        lines.seek(logged_before)
        assert [line for line in lines if "/project/element" in line and "Traceback" in line] == []


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_malformed_element_requests_are_refused(alex: ApiUser, alex_chat: Chat, method: str) -> None:
    response = alex.session.request(
        method, "/project/element", json={"element": {"type": "custom"}}, headers=browser_headers(alex.session)
    )
    assert_error(response, 422)


async def test_elements_of_another_users_session_or_thread_are_not_found(
    alex: ApiUser, sarah: ApiUser, alex_chat: Chat, sarah_chat: Chat, world: World
) -> None:
    await answer_of(world, alex_chat)
    [sources] = (
        await wait_for(
            world,
            'SELECT id, "forId", props FROM chainlit.elements WHERE "threadId" = $1 AND name = \'Sources\'',
            uuid.UUID(alex_chat.thread_id),
        )
    )[:1]
    element_id = str(sources["id"])

    for method in ("PUT", "DELETE"):
        # Alex's live session, named by Sarah.
        assert_error(element_request(sarah, method, alex_chat.session_id, custom_element(element_id)), 404)
        # Sarah's own session, with the id of an element of Alex's thread.
        assert_error(
            element_request(sarah, method, sarah_chat.session_id, custom_element(element_id, alex_chat.thread_id)), 404
        )

    await asyncio.sleep(1)  # the data layer writes in the background
    [after] = await query(world, 'SELECT id, "forId", props FROM chainlit.elements WHERE id = $1', sources["id"])
    assert after == sources

    own = custom_element(element_id, alex_chat.thread_id) | {
        "forId": str(sources["forId"]),
        "props": json.loads(sources["props"]),
    }
    response = element_request(alex, "PUT", alex_chat.session_id, own)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
