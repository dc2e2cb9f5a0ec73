"""Watch endpoints: Calendar `events.watch`, Drive `changes.watch`, Gmail `users.watch`,
and `channels.stop` / `users.stop` (see sandbox/push.py for the notifications)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.routing import Route

from sandbox.api import Call, endpoint
from sandbox.calendars import Calendars
from sandbox.errors import bad_request, not_found

GMAIL_WATCH_DAYS = 7


def _open(call: Call, resource: str) -> dict[str, Any]:
    try:
        return call.sandbox.push.open_channel(call.json(), call.account, resource, str(call.request.url))
    except ValueError as error:
        raise bad_request(str(error)) from error


async def watch_events(call: Call) -> dict[str, Any]:
    calendar = Calendars(call.store, call.account).calendar(call.path("calendar_id"))
    return _open(call, f"calendar:{calendar['id']}")


async def watch_changes(call: Call) -> dict[str, Any]:
    if not call.params.get("pageToken", "").isdigit():
        raise bad_request("Required parameter: pageToken", "required")
    return _open(call, "drive")


async def stop_channel(call: Call) -> None:
    body = call.json()
    if not call.sandbox.push.stop_channel(str(body.get("id", "")), str(body.get("resourceId", ""))):
        raise not_found(f"Channel '{body.get('id')}' not found for project")


async def watch_mailbox(call: Call) -> dict[str, Any]:
    call.user_id()
    topic = str(call.json().get("topicName", ""))
    if not topic.startswith("projects/") or "/topics/" not in topic:
        raise bad_request("Invalid topicName: expected projects/PROJECT/topics/TOPIC", "invalidArgument")
    call.sandbox.push.watch_mailbox(call.account, topic)
    expiration = datetime.now(UTC) + timedelta(days=GMAIL_WATCH_DAYS)
    return {"historyId": str(call.store.seq), "expiration": str(int(expiration.timestamp() * 1000))}


async def stop_mailbox(call: Call) -> None:
    call.user_id()
    call.sandbox.push.stop_mailbox(call.account)


routes = [
    Route(
        "/calendar/v3/calendars/{calendar_id}/events/watch",
        endpoint("calendar.events.watch", watch_events),
        methods=["POST"],
    ),
    Route("/calendar/v3/channels/stop", endpoint("calendar.channels.stop", stop_channel), methods=["POST"]),
    Route("/drive/v3/changes/watch", endpoint("drive.changes.watch", watch_changes), methods=["POST"]),
    Route("/drive/v3/channels/stop", endpoint("drive.channels.stop", stop_channel), methods=["POST"]),
    Route("/gmail/v1/users/{user_id}/watch", endpoint("gmail.users.watch", watch_mailbox), methods=["POST"]),
    Route("/gmail/v1/users/{user_id}/stop", endpoint("gmail.users.stop", stop_mailbox), methods=["POST"]),
]
