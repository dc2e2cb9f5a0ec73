"""Gmail v1 endpoints (`/gmail/v1/users/{userId}/...`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.utils import format_datetime, make_msgid
from typing import Any

from starlette.routing import Route

from sandbox.api import Call, endpoint, write_endpoint
from sandbox.errors import ApiError, bad_request, not_found
from sandbox.gmail_query import compile_query
from sandbox.mailbox import Mailbox, deliver, new_id
from sandbox.mime import (
    attachment_id,
    b64url,
    b64url_decode,
    parse,
    part_by_id,
    payload,
)
from sandbox.store import Item, Store
from sandbox.uploads import Media, upload_routes

FORMATS = ("full", "metadata", "minimal", "raw")
HISTORY_TYPES = {"messageAdded", "messageDeleted", "labelAdded", "labelRemoved"}
# history.list names the change record lists after the type
HISTORY_LISTS = {
    "messageAdded": "messagesAdded",
    "messageDeleted": "messagesDeleted",
    "labelAdded": "labelsAdded",
    "labelRemoved": "labelsRemoved",
}


def mailbox(call: Call) -> Mailbox:
    call.user_id()
    return Mailbox(call.store, call.account)


def page(call: Call, items: list[Any], default: int, maximum: int) -> tuple[list[Any], str | None]:
    """One page of `items` by `pageToken` (an offset) and `maxResults`."""
    size = call.integer("maxResults", default, maximum) or default
    token = call.params.get("pageToken") or "0"
    if not token.isdigit():
        raise bad_request("Invalid pageToken.")
    start = int(token)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def message_resource(box: Mailbox, message: Item, fmt: str, headers: list[str] | None = None) -> dict[str, Any]:
    if fmt not in FORMATS:
        raise bad_request(f"Invalid value for format: {fmt}")
    resource = {
        key: message[key]
        for key in ("id", "threadId", "labelIds", "snippet", "historyId", "internalDate", "sizeEstimate")
    }
    raw = box.raw(message["id"])
    if fmt == "raw":
        resource["raw"] = b64url(raw)
    elif fmt == "full":
        resource["payload"] = payload(raw, message["id"])
    elif fmt == "metadata":
        tree = payload(raw, message["id"])
        wanted = {name.lower() for name in headers or []}
        resource["payload"] = {
            "partId": "",
            "mimeType": tree["mimeType"],
            "filename": "",
            "body": {"size": 0},
            "headers": [h for h in tree["headers"] if not wanted or h["name"].lower() in wanted],
        }
    return resource


def format_of(call: Call) -> tuple[str, list[str]]:
    return call.params.get("format", "full"), call.params.getlist("metadataHeaders")


async def get_profile(call: Call) -> dict[str, Any]:
    return mailbox(call).profile()


async def list_labels(call: Call) -> dict[str, Any]:
    return {"labels": mailbox(call).labels()}


def matching_messages(call: Call, box: Mailbox) -> list[Item]:
    """The mailbox's messages that match `q`, `labelIds` and `includeSpamTrash`, newest first."""
    label_ids = call.params.getlist("labelIds")
    box.check_labels(label_ids)
    query = call.params.get("q", "")
    matches = compile_query(query, call.store.now()) if query else None
    include_spam_trash = (
        call.flag("includeSpamTrash")
        or bool({"SPAM", "TRASH"} & set(label_ids))
        or re.search(r"(?i)\b(?:in|label):(?:trash|spam|anywhere)\b", query) is not None
    )
    names = box.label_names()
    found = []
    for message in box.messages():
        labels = message["labelIds"]
        if not include_spam_trash and {"SPAM", "TRASH"} & set(labels):
            continue
        if any(label not in labels for label in label_ids):
            continue
        if matches is not None and not matches(box.searchable(message, names)):
            continue
        found.append(message)
    found.sort(key=lambda m: int(m["internalDate"]), reverse=True)
    return found


def listing(call: Call, key: str, items: list[Item], shape: Callable[[Item], dict[str, Any]]) -> dict[str, Any]:
    """A Gmail list answer: `resultSizeEstimate`, one page under `key` (absent when
    empty, as Gmail does) and `nextPageToken` unless it is the last page."""
    selected, next_token = page(call, items, 100, 500)
    result: dict[str, Any] = {"resultSizeEstimate": len(items)}
    if selected:
        result[key] = [shape(item) for item in selected]
    if next_token:
        result["nextPageToken"] = next_token
    return result


async def list_messages(call: Call) -> dict[str, Any]:
    found = matching_messages(call, mailbox(call))
    return listing(call, "messages", found, lambda m: {"id": m["id"], "threadId": m["threadId"]})


async def get_message(call: Call) -> dict[str, Any]:
    box = mailbox(call)
    fmt, headers = format_of(call)
    return message_resource(box, box.get(call.path("id")), fmt, headers)


async def get_attachment(call: Call) -> dict[str, Any]:
    box = mailbox(call)
    message_id = call.path("message_id")
    box.get(message_id)
    wanted = call.path("id")
    try:
        owner_id, _, part_id = b64url_decode(wanted).decode().partition("/")
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request("Invalid attachment id.") from exc
    part = part_by_id(box.raw(message_id), part_id) if owner_id == message_id else None
    if part is None or attachment_id(message_id, part_id) != wanted:
        raise not_found("Invalid attachment token")
    data = part.get_payload(decode=True) or b""
    return {"attachmentId": wanted, "size": len(data), "data": b64url(data)}


async def modify_message(call: Call) -> dict[str, Any]:
    box = mailbox(call)
    body = call.json()
    message = box.modify(call.path("id"), body.get("addLabelIds", []), body.get("removeLabelIds", []))
    return message_resource(box, message, "minimal")


async def trash_message(call: Call) -> dict[str, Any]:
    box = mailbox(call)
    return message_resource(box, box.trash(call.path("id")), "minimal")


async def untrash_message(call: Call) -> dict[str, Any]:
    box = mailbox(call)
    return message_resource(box, box.untrash(call.path("id")), "minimal")


async def delete_message(call: Call) -> None:
    mailbox(call).delete(call.path("id"))


def outgoing(store: Store, account: str, raw: bytes) -> bytes:
    """The message as Gmail sends it: From, Date and Message-ID filled in when missing."""
    message = parse(raw)
    if not message.get("to") and not message.get("cc") and not message.get("bcc"):
        raise bad_request("Invalid To header", "invalidArgument")
    if not message.get("from"):
        message["From"] = account
    if not message.get("date"):
        message["Date"] = format_datetime(store.now())
    if not message.get("message-id"):
        message["Message-ID"] = make_msgid(domain="sandbox.local")
    return message.as_bytes()


def raw_from(body: dict[str, Any], media: Media | None) -> bytes:
    if media is not None and media.data:
        return media.data
    raw = (body.get("message") or body).get("raw")
    if not raw:
        raise bad_request(
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required", "invalidArgument"
        )
    try:
        return b64url_decode(raw)
    except ValueError as exc:
        raise bad_request("Invalid raw message: not base64url.") from exc


def send(call: Call, media: Media | None) -> dict[str, Any]:
    call.user_id()
    body = media.metadata if media is not None else call.json()
    raw = outgoing(call.store, call.account, raw_from(body, media))
    sent = deliver(call.store, call.account, raw, thread_id=body.get("threadId"))
    return {"id": sent["id"], "threadId": sent["threadId"], "labelIds": sent["labelIds"]}


async def send_message(call: Call) -> dict[str, Any]:
    return send(call, None)


async def upload_send_message(call: Call, media: Media) -> dict[str, Any]:
    return send(call, media)


async def list_threads(call: Call) -> dict[str, Any]:
    latest: dict[str, Item] = {}
    for message in matching_messages(call, mailbox(call)):
        latest.setdefault(message["threadId"], message)
    return listing(
        call,
        "threads",
        list(latest.values()),
        lambda m: {"id": m["threadId"], "snippet": m["snippet"], "historyId": m["historyId"]},
    )


async def batch_modify(call: Call) -> None:
    box = mailbox(call)
    body = call.json()
    ids = body.get("ids") or []
    if not isinstance(ids, list) or len(ids) > 1000:
        raise bad_request("ids must be a list of at most 1000 message ids.")
    for message_id in ids:
        box.modify(str(message_id), body.get("addLabelIds", []), body.get("removeLabelIds", []))


async def get_label(call: Call) -> dict[str, Any]:
    box = mailbox(call)
    for label in box.labels():
        if label["id"] == call.path("id"):
            total = [m for m in box.messages() if label["id"] in m["labelIds"]]
            unread = [m for m in total if "UNREAD" in m["labelIds"]]
            return {
                **label,
                "messagesTotal": len(total),
                "messagesUnread": len(unread),
                "threadsTotal": len({m["threadId"] for m in total}),
                "threadsUnread": len({m["threadId"] for m in unread}),
            }
    raise not_found()


async def create_label(call: Call) -> dict[str, Any]:
    box = mailbox(call)
    name = str(call.json().get("name", "")).strip()
    if not name:
        raise bad_request("Invalid label name", "invalidArgument")
    if any(label["name"].lower() == name.lower() for label in box.labels()):
        raise ApiError(409, "Label name exists or conflicts", "failedPrecondition")
    label_id = box.label_id(name)
    return next(label for label in box.labels() if label["id"] == label_id)


async def get_thread(call: Call) -> dict[str, Any]:
    box = mailbox(call)
    thread_id = call.path("id")
    messages = sorted((m for m in box.messages() if m["threadId"] == thread_id), key=lambda m: int(m["internalDate"]))
    if not messages:
        raise not_found()
    fmt, headers = format_of(call)
    return {
        "id": thread_id,
        "historyId": max((m["historyId"] for m in messages), key=int),
        "messages": [message_resource(box, m, fmt, headers) for m in messages],
    }


async def list_history(call: Call) -> dict[str, Any]:
    call.user_id()
    start = call.params.get("startHistoryId", "")
    if not start.isdigit():
        raise bad_request("Invalid startHistoryId", "invalidArgument")
    if int(start) < call.store.floor("gmail", call.account):
        raise not_found()
    types = set(call.params.getlist("historyTypes")) or HISTORY_TYPES
    if types - HISTORY_TYPES:
        raise bad_request(f"Invalid historyTypes: {sorted(types - HISTORY_TYPES)}")
    label_id = call.params.get("labelId")
    records = []
    for change in call.store.changes_after(call.account, "gmail", int(start)):
        kind = change.detail["type"]
        if kind not in types:
            continue
        current = call.store.get("message", call.account, change.id)
        labels = current["labelIds"] if current else []
        if label_id and label_id not in labels and label_id not in change.detail.get("labelIds", []):
            continue
        reference = {"id": change.id, "threadId": change.detail["threadId"]}
        entry: dict[str, Any] = {"message": {**reference, "labelIds": labels}}
        if "labelIds" in change.detail:
            entry["labelIds"] = change.detail["labelIds"]
        records.append({"id": str(change.seq), "messages": [reference], HISTORY_LISTS[kind]: [entry]})
    selected, next_token = page(call, records, 100, 500)
    result: dict[str, Any] = {"historyId": str(call.store.seq)}
    if selected:
        result["history"] = selected
    if next_token:
        result["nextPageToken"] = next_token
    return result


# --- drafts ----------------------------------------------------------------------------
def draft_resource(box: Mailbox, draft: Item, fmt: str = "minimal") -> dict[str, Any]:
    message = box.get(draft["messageId"])
    return {"id": draft["id"], "message": message_resource(box, message, fmt)}


def create_draft(call: Call, media: Media | None) -> dict[str, Any]:
    box = mailbox(call)
    body = media.metadata if media is not None else call.json()
    raw = raw_from(body, media)
    thread_id = (body.get("message") or {}).get("threadId")
    message = box.insert(raw, ["DRAFT"], thread_id=thread_id, internal_date=call.store.now())
    draft = {"id": "r" + new_id(), "messageId": message["id"]}
    call.store.put("draft", call.account, draft["id"], draft)
    return draft_resource(box, draft)


async def create_draft_json(call: Call) -> dict[str, Any]:
    return create_draft(call, None)


async def upload_create_draft(call: Call, media: Media) -> dict[str, Any]:
    return create_draft(call, media)


def find_draft(call: Call, draft_id: str) -> Item:
    draft = call.store.get("draft", call.account, draft_id)
    if draft is None:
        raise not_found()
    return draft


async def list_drafts(call: Call) -> dict[str, Any]:
    box = mailbox(call)
    drafts = call.store.all("draft", call.account)
    drafts.sort(key=lambda d: int(box.get(d["messageId"])["internalDate"]), reverse=True)
    return listing(
        call,
        "drafts",
        drafts,
        lambda d: {"id": d["id"], "message": {"id": d["messageId"], "threadId": box.get(d["messageId"])["threadId"]}},
    )


async def get_draft(call: Call) -> dict[str, Any]:
    box = mailbox(call)
    return draft_resource(box, find_draft(call, call.path("id")), call.params.get("format", "full"))


async def delete_draft(call: Call) -> None:
    box = mailbox(call)
    draft = find_draft(call, call.path("id"))
    box.delete(draft["messageId"])
    call.store.delete("draft", call.account, draft["id"])


async def send_draft(call: Call) -> dict[str, Any]:
    box = mailbox(call)
    draft = find_draft(call, str(call.json().get("id", "")))
    message = box.get(draft["messageId"])
    raw = outgoing(call.store, call.account, box.raw(message["id"]))
    box.delete(message["id"])
    call.store.delete("draft", call.account, draft["id"])
    sent = deliver(call.store, call.account, raw, thread_id=message["threadId"], message_id=message["id"])
    return {"id": sent["id"], "threadId": sent["threadId"], "labelIds": sent["labelIds"]}


PREFIX = "/gmail/v1/users/{user_id}"
UPLOAD = "/upload/gmail/v1/users/{user_id}"


routes = [
    Route(f"{PREFIX}/profile", endpoint("gmail.users.getProfile", get_profile)),
    Route(f"{PREFIX}/labels", endpoint("gmail.users.labels.list", list_labels)),
    Route(f"{PREFIX}/labels", write_endpoint("gmail.users.labels.create", create_label), methods=["POST"]),
    Route(f"{PREFIX}/labels/{{id}}", endpoint("gmail.users.labels.get", get_label)),
    Route(
        f"{PREFIX}/messages/batchModify",
        write_endpoint("gmail.users.messages.batchModify", batch_modify),
        methods=["POST"],
    ),
    Route(f"{PREFIX}/messages", endpoint("gmail.users.messages.list", list_messages)),
    Route(f"{PREFIX}/messages/send", write_endpoint("gmail.users.messages.send", send_message), methods=["POST"]),
    Route(f"{PREFIX}/messages/{{id}}", endpoint("gmail.users.messages.get", get_message)),
    Route(
        f"{PREFIX}/messages/{{id}}", write_endpoint("gmail.users.messages.delete", delete_message), methods=["DELETE"]
    ),
    Route(
        f"{PREFIX}/messages/{{id}}/modify",
        write_endpoint("gmail.users.messages.modify", modify_message),
        methods=["POST"],
    ),
    Route(
        f"{PREFIX}/messages/{{id}}/trash", write_endpoint("gmail.users.messages.trash", trash_message), methods=["POST"]
    ),
    Route(
        f"{PREFIX}/messages/{{id}}/untrash",
        write_endpoint("gmail.users.messages.untrash", untrash_message),
        methods=["POST"],
    ),
    Route(
        f"{PREFIX}/messages/{{message_id}}/attachments/{{id}}",
        endpoint("gmail.users.messages.attachments.get", get_attachment),
    ),
    Route(f"{PREFIX}/threads", endpoint("gmail.users.threads.list", list_threads)),
    Route(f"{PREFIX}/threads/{{id}}", endpoint("gmail.users.threads.get", get_thread)),
    Route(f"{PREFIX}/history", endpoint("gmail.users.history.list", list_history)),
    Route(f"{PREFIX}/drafts", endpoint("gmail.users.drafts.list", list_drafts)),
    Route(f"{PREFIX}/drafts", write_endpoint("gmail.users.drafts.create", create_draft_json), methods=["POST"]),
    Route(f"{PREFIX}/drafts/send", write_endpoint("gmail.users.drafts.send", send_draft), methods=["POST"]),
    Route(f"{PREFIX}/drafts/{{id}}", endpoint("gmail.users.drafts.get", get_draft)),
    Route(f"{PREFIX}/drafts/{{id}}", write_endpoint("gmail.users.drafts.delete", delete_draft), methods=["DELETE"]),
    *upload_routes(f"{UPLOAD}/messages/send", "gmail.users.messages.send", upload_send_message),
    *upload_routes(f"{UPLOAD}/drafts", "gmail.users.drafts.create", upload_create_draft),
]
