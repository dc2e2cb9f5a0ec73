"""The control API (`/_control/...`), served only with `--control`: tests and demos use
it to make the sandbox misbehave and to change data as another client would.

    POST   /_control/faults                 {"method", "kind": 429|403|500|503|latency, "count", "latency_seconds",
                                             "retry_after"}
    DELETE /_control/faults
    POST   /_control/expire                 {"service": "gmail"|"calendar", "account"}
                                            old history ids 404, sync tokens 410
    POST   /_control/pubsub                 {"topic", "endpoint"}  a Pub/Sub push subscription for Gmail watch
    POST   /_control/tokens/revoke          {"token"}   (refresh or access token)
    POST   /_control/tokens/expire          {"token"}   (an access token)
    POST   /_control/accounts/{email}/messages           {"from", "to", "subject", "text", "html", "labels"}
                                                         -> delivered
    PATCH  /_control/accounts/{email}/messages/{id}      {"addLabelIds", "removeLabelIds"}
    DELETE /_control/accounts/{email}/messages/{id}
    POST   /_control/accounts/{email}/events             a Calendar event resource (+ "calendarId")
    PATCH  /_control/accounts/{email}/events/{id}        changes
    DELETE /_control/accounts/{email}/events/{id}
    POST   /_control/accounts/{email}/files              a workspace-format file (docs/workspace-format.md)
    PATCH  /_control/accounts/{email}/files/{id}         {"name", "description", "starred", "trashed"}
    DELETE /_control/accounts/{email}/files/{id}
    POST   /_control/snapshots                           -> 201 {"id"}  (copy-on-write, in memory, the last 8 kept)
    GET    /_control/snapshots/{id}/changes[?account=EMAIL]
                                                         -> {"changes": [{"kind", "owner", "id", "before", "after"}]}
    POST   /_control/snapshots/{id}/restore              -> {"restored": n}
                                                         (as changes moving forward: see sandbox/snapshots.py)
    DELETE /_control/snapshots/{id}
An unknown snapshot id answers 404 with Google's error body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.api import Sandbox
from sandbox.calendar_api import new_event_id
from sandbox.calendars import Calendars
from sandbox.drive import Drive
from sandbox.errors import ApiError, bad_request, not_found
from sandbox.faults import Fault
from sandbox.mailbox import Mailbox
from sandbox.mime import Draft, build_message
from sandbox.workspace import file_content

ControlHandler = Callable[[Sandbox, Request, dict[str, Any]], Awaitable[dict[str, Any] | None]]


def control(handler: ControlHandler, status: int = 200) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        sandbox: Sandbox = request.app.state.sandbox
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise bad_request("The body must be a JSON object.")
            if (
                "email" in request.path_params
                and sandbox.store.get("account", "", request.path_params["email"]) is None
            ):
                raise not_found(f"No sandbox account {request.path_params['email']}.")
            with sandbox.store.transaction():
                result = await handler(sandbox, request, body)
            sandbox.push.schedule()
        except ValueError as error:
            return bad_request(str(error)).response()
        except (ApiError, KeyError) as error:
            if isinstance(error, KeyError):
                error = bad_request(f"Missing field {error}.")
            return error.response()
        return Response(status_code=204) if result is None else JSONResponse(result, status_code=status)

    return run


async def add_fault(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    sandbox.faults.add(
        Fault(
            method=str(body.get("method", "*")),
            kind=str(body["kind"]),
            remaining=int(body.get("count", 1)),
            latency_seconds=float(body.get("latency_seconds", 0)),
            retry_after=body.get("retry_after"),
        )
    )
    return {"pending": len(sandbox.faults.pending)}


async def clear_faults(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> None:
    sandbox.faults.clear()


async def expire_positions(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    service = body["service"]
    if service not in ("gmail", "calendar"):
        raise bad_request("service must be gmail or calendar")
    floor = sandbox.store.next_seq()
    sandbox.store.set_floor(service, str(body["account"]).lower(), floor)
    return {"floor": floor}


async def add_pubsub_push(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> None:
    topic, endpoint = str(body["topic"]), str(body["endpoint"])
    if not endpoint.startswith(("http://", "https://")):
        raise bad_request("endpoint must be an http(s) URL")
    sandbox.push.pubsub_push[topic] = endpoint


async def revoke_token(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> None:
    if not sandbox.store.revoke_token(body["token"]):
        raise not_found("Unknown token.")


async def expire_token(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> None:
    sandbox.store.expire_token(body["token"])


def _email(request: Request) -> str:
    return str(request.path_params["email"])


async def add_message(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    box = Mailbox(sandbox.store, _email(request))
    raw = build_message(
        Draft(
            sender=body["from"],
            to=body.get("to") or [_email(request)],
            subject=body.get("subject", ""),
            date=sandbox.store.now(),
            text=body.get("text"),
            html=body.get("html"),
        )
    )
    labels = ["INBOX", "UNREAD"] + [box.label_id(name) for name in body.get("labels", [])]
    message = box.insert(raw, labels, internal_date=sandbox.store.now())
    return {"id": message["id"], "threadId": message["threadId"], "labelIds": message["labelIds"]}


async def modify_message(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    box = Mailbox(sandbox.store, _email(request))
    message = box.modify(request.path_params["id"], body.get("addLabelIds", []), body.get("removeLabelIds", []))
    return {"id": message["id"], "labelIds": message["labelIds"]}


async def delete_message(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> None:
    Mailbox(sandbox.store, _email(request)).delete(request.path_params["id"])


async def add_event(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    calendar_id = body.pop("calendarId", "primary")
    return Calendars(sandbox.store, _email(request)).insert(calendar_id, body, str(body.get("id") or new_event_id()))


async def patch_event(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    calendar_id = body.pop("calendarId", "primary")
    return Calendars(sandbox.store, _email(request)).patch(calendar_id, request.path_params["id"], body)


async def delete_event(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> None:
    Calendars(sandbox.store, _email(request)).delete(body.get("calendarId", "primary"), request.path_params["id"])


async def add_file(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    data, mime_type, text = file_content(body)
    metadata = {"name": body["name"], "mimeType": mime_type, "description": body.get("description", "")}
    return Drive(sandbox.store, _email(request)).create(metadata, data, text)


async def update_file(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return Drive(sandbox.store, _email(request)).update(request.path_params["id"], body)


async def delete_file(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> None:
    Drive(sandbox.store, _email(request)).delete(request.path_params["id"])


async def take_snapshot(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {"id": sandbox.snapshots.snapshot()}


async def snapshot_changes(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    changes = sandbox.snapshots.changes_since_snapshot(request.path_params["id"], request.query_params.get("account"))
    return {"changes": [change.as_json() for change in changes]}


async def restore_snapshot(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> dict[str, Any]:
    return {"restored": sandbox.snapshots.restore(request.path_params["id"])}


async def drop_snapshot(sandbox: Sandbox, request: Request, body: dict[str, Any]) -> None:
    sandbox.snapshots.drop(request.path_params["id"])


ACCOUNT = "/_control/accounts/{email}"
SNAPSHOT = "/_control/snapshots/{id}"
routes = [
    Route("/_control/faults", control(add_fault), methods=["POST"]),
    Route("/_control/faults", control(clear_faults), methods=["DELETE"]),
    Route("/_control/expire", control(expire_positions), methods=["POST"]),
    Route("/_control/pubsub", control(add_pubsub_push), methods=["POST"]),
    Route("/_control/tokens/revoke", control(revoke_token), methods=["POST"]),
    Route("/_control/tokens/expire", control(expire_token), methods=["POST"]),
    Route(ACCOUNT + "/messages", control(add_message), methods=["POST"]),
    Route(ACCOUNT + "/messages/{id}", control(modify_message), methods=["PATCH"]),
    Route(ACCOUNT + "/messages/{id}", control(delete_message), methods=["DELETE"]),
    Route(ACCOUNT + "/events", control(add_event), methods=["POST"]),
    Route(ACCOUNT + "/events/{id}", control(patch_event), methods=["PATCH"]),
    Route(ACCOUNT + "/events/{id}", control(delete_event), methods=["DELETE"]),
    Route(ACCOUNT + "/files", control(add_file), methods=["POST"]),
    Route(ACCOUNT + "/files/{id}", control(update_file), methods=["PATCH"]),
    Route(ACCOUNT + "/files/{id}", control(delete_file), methods=["DELETE"]),
    Route("/_control/snapshots", control(take_snapshot, status=201), methods=["POST"]),
    Route(SNAPSHOT + "/changes", control(snapshot_changes), methods=["GET"]),
    Route(SNAPSHOT + "/restore", control(restore_snapshot), methods=["POST"]),
    Route(SNAPSHOT, control(drop_snapshot), methods=["DELETE"]),
]
