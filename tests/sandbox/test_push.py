"""Push notifications: watch channels and Gmail's Pub/Sub push, received by a real HTTP server."""

from __future__ import annotations

import base64
import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from googleapiclient.errors import HttpError

from tests.sandbox.conftest import ALEX, SARAH, Services


class Receiver:
    """An HTTP server that records every POST it receives."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                received.put(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout: float = 5) -> tuple[dict[str, str], bytes]:
        return self.received.get(timeout=timeout)

    def quiet(self, seconds: float = 0.3) -> bool:
        time.sleep(seconds)
        return self.received.empty()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()


def test_calendar_channel_notifies_changes_until_stopped(alex: Services, receiver: Receiver) -> None:
    channel_id = str(uuid.uuid4())
    channel = (
        alex.calendar.events()
        .watch(
            calendarId="primary",
            body={
                "id": channel_id,
                "type": "web_hook",
                "address": receiver.url,
                "token": "account-42.gcal.signature",
            },
        )
        .execute()
    )
    assert channel["id"] == channel_id and channel["resourceId"]
    headers, _ = receiver.next()
    assert headers["x-goog-resource-state"] == "sync" and headers["x-goog-channel-token"] == "account-42.gcal.signature"
    alex.calendar.events().insert(
        calendarId="primary",
        body={
            "summary": "Push test",
            "start": {"dateTime": "2026-03-19T09:00:00Z"},
            "end": {"dateTime": "2026-03-19T09:30:00Z"},
        },
    ).execute()
    headers, _ = receiver.next()
    assert headers["x-goog-resource-state"] == "exists"
    assert headers["x-goog-channel-id"] == channel_id and headers["x-goog-message-number"] == "2"
    alex.calendar.channels().stop(body={"id": channel_id, "resourceId": channel["resourceId"]}).execute()
    alex.calendar.events().insert(
        calendarId="primary",
        body={
            "summary": "After stop",
            "start": {"dateTime": "2026-03-19T10:00:00Z"},
            "end": {"dateTime": "2026-03-19T10:30:00Z"},
        },
    ).execute()
    assert receiver.quiet()
    with pytest.raises(HttpError) as raised:
        alex.calendar.channels().stop(body={"id": channel_id, "resourceId": channel["resourceId"]}).execute()
    assert raised.value.status_code == 404


def test_drive_channel_hears_about_shared_files_too(
    alex: Services, sarah: Services, receiver: Receiver, control: httpx.Client
) -> None:
    start = sarah.drive.changes().getStartPageToken().execute()["startPageToken"]
    channel = (
        sarah.drive.changes()
        .watch(pageToken=start, body={"id": str(uuid.uuid4()), "type": "web_hook", "address": receiver.url})
        .execute()
    )
    assert receiver.next()[0]["x-goog-resource-state"] == "sync"
    launch_plan = alex.drive.files().list(q="name = 'Launch plan'", fields="files(id)").execute()["files"][0]["id"]
    alex.drive.files().update(fileId=launch_plan, body={"description": "v2"}).execute()  # shared with Sarah
    headers, _ = receiver.next()
    assert headers["x-goog-resource-state"] == "change" and headers["x-goog-resource-id"] == channel["resourceId"]
    control.post(f"/accounts/{ALEX}/files", json={"name": "Alex only", "type": "document", "body": "private"})
    assert receiver.quiet()  # not shared with Sarah: nothing for her channel
    sarah.drive.channels().stop(body={"id": channel["id"], "resourceId": channel["resourceId"]}).execute()


def test_gmail_watch_pushes_pubsub_messages(
    alex: Services, sarah: Services, receiver: Receiver, control: httpx.Client
) -> None:
    topic = "projects/concierge-tests/topics/gmail"
    assert control.post("/pubsub", json={"topic": topic, "endpoint": receiver.url}).status_code == 204
    watch = sarah.gmail.users().watch(userId="me", body={"topicName": topic, "labelIds": ["INBOX"]}).execute()
    assert int(watch["historyId"]) > 0 and int(watch["expiration"]) > time.time() * 1000
    raw = base64.urlsafe_b64encode(f"To: {SARAH}\r\nSubject: push me\r\n\r\nhello".encode()).decode()
    alex.gmail.users().messages().send(userId="me", body={"raw": raw}).execute()
    _, body = receiver.next()
    push = json.loads(body)
    data = json.loads(base64.b64decode(push["message"]["data"]))
    assert data["emailAddress"] == SARAH and int(data["historyId"]) > int(watch["historyId"])
    history = sarah.gmail.users().history().list(userId="me", startHistoryId=watch["historyId"]).execute()
    assert history["history"]
    sarah.gmail.users().stop(userId="me").execute()
    alex.gmail.users().messages().send(userId="me", body={"raw": raw}).execute()
    assert receiver.quiet()
    with pytest.raises(HttpError) as raised:
        sarah.gmail.users().watch(userId="me", body={"topicName": "gmail"}).execute()
    assert raised.value.status_code == 400
