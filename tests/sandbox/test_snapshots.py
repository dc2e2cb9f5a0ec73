"""Snapshots through the control API: the changes since one, and a restore that clients
see as ordinary changes (Gmail history, Calendar sync tokens, Drive changes), down to
the product's caches kept fresh by incremental sync only.

Timings on the demo store (5,624 messages, 639 events, 235 files; 2 cores):
snapshot 0.03 ms (copy-on-write: nothing is copied); after 250 writes (trash, delete,
send, event patch/delete, file rename/share) the changes list takes 27 ms and the
restore 26 ms; keeping an item's prior version costs 4 µs on its first write.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import redis
from google.oauth2.credentials import Credentials
from sqlalchemy import text

from sandbox.calendar_api import BASE32HEX
from sandbox.snapshots import MAX_SNAPSHOTS
from sync.jobs import SyncOutcome, sync_every_service
from tests.sandbox.conftest import ALEX, SARAH, Services
from tests.support import pages
from tests.sync.conftest import LinkedAccount, linker

DRIVE_FIELDS = "id,name,trashed,modifiedTime,description,permissions(id,role,emailAddress)"


# --- clients' views ------------------------------------------------------------------------
def client_view(services: Services) -> dict[str, Any]:
    """What an account's client sees of its mail, calendar and files (less positions)."""
    gmail = services.gmail.users()
    listed, _ = pages(lambda t: gmail.messages().list(userId="me", includeSpamTrash=True, pageToken=t), "messages")
    messages = {}
    for message in listed:
        got = gmail.messages().get(userId="me", id=message["id"], format="minimal").execute()
        messages[got["id"]] = (
            got["threadId"],
            sorted(got["labelIds"]),
            got["snippet"],
            got["internalDate"],
            got["sizeEstimate"],
        )
    events, _ = pages(
        lambda t: services.calendar.events().list(calendarId="primary", singleEvents=True, pageToken=t), "items"
    )
    files, _ = pages(
        lambda t: services.drive.files().list(fields=f"nextPageToken,files({DRIVE_FIELDS})", pageToken=t), "files"
    )
    return {
        "messages": messages,
        "labels": sorted(
            (label["id"], label["name"]) for label in gmail.labels().list(userId="me").execute()["labels"]
        ),
        "drafts": sorted(d["id"] for d in gmail.drafts().list(userId="me").execute().get("drafts", [])),
        "events": {e["id"]: (e["status"], e.get("summary"), e["start"], e["end"], e.get("attendees")) for e in events},
        "files": {f["id"]: f for f in files},
    }


@dataclass(frozen=True)
class Positions:
    """Where a client's incremental syncs of each service resume."""

    history_id: str
    sync_token: str
    page_token: str


def positions(services: Services) -> Positions:
    _, last = pages(
        lambda t: services.calendar.events().list(calendarId="primary", singleEvents=True, pageToken=t), "items"
    )
    return Positions(
        services.gmail.users().getProfile(userId="me").execute()["historyId"],
        last["nextSyncToken"],
        services.drive.changes().getStartPageToken().execute()["startPageToken"],
    )


def history_since(services: Services, start: str) -> dict[str, dict[str, set[str]]]:
    """Gmail history after `start`: message id -> change type -> labels named (or {""})."""
    records, _ = pages(
        lambda t: services.gmail.users().history().list(userId="me", startHistoryId=start, pageToken=t), "history"
    )
    found: dict[str, dict[str, set[str]]] = {}
    for record in records:
        for kind in ("messagesAdded", "messagesDeleted", "labelsAdded", "labelsRemoved"):
            for entry in record.get(kind, []):
                found.setdefault(entry["message"]["id"], {}).setdefault(kind, set()).update(entry.get("labelIds", [""]))
    return found


def events_since(services: Services, sync_token: str) -> dict[str, dict[str, Any]]:
    items, _ = pages(
        lambda t: services.calendar.events().list(
            calendarId="primary", singleEvents=True, syncToken=sync_token, pageToken=t
        ),
        "items",
    )
    return {event["id"]: event for event in items}


def files_since(services: Services, page_token: str) -> dict[str, dict[str, Any]]:
    changes, _ = pages(
        lambda t: services.drive.changes().list(
            pageToken=t or page_token,
            includeRemoved=True,
            fields=f"nextPageToken,newStartPageToken,changes(fileId,removed,file({DRIVE_FIELDS}))",
        ),
        "changes",
    )
    return {change["fileId"]: change for change in changes}


# --- the control API -----------------------------------------------------------------------
def call(control: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
    answer = control.request(method, path, json=body)
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


def changes(control: httpx.Client, snapshot: str, account: str | None = None) -> list[dict[str, Any]]:
    params = {"account": account} if account else {}
    answer = control.get(f"/snapshots/{snapshot}/changes", params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["changes"])


def keys(found: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(change["kind"], change["owner"], change["id"]) for change in found}


def by_key(found: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(change["kind"], change["owner"], change["id"]): change for change in found}


@pytest.fixture
def snapshots(control: httpx.Client) -> Iterator[list[str]]:
    """Snapshots a test takes; dropped afterwards, so later tests write without journals."""
    taken: list[str] = []
    yield taken
    for snapshot in taken:
        control.delete(f"/snapshots/{snapshot}")


def take(control: httpx.Client, taken: list[str]) -> str:
    snapshot = str(call(control, "POST", "/snapshots", status=201)["id"])
    taken.append(snapshot)
    return snapshot


# --- writes --------------------------------------------------------------------------------
def raw_message(to: str, subject: str, body: str) -> str:
    message = EmailMessage()
    message["To"], message["From"], message["Subject"] = to, ALEX, subject
    message.set_content(body)
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def event_id() -> str:
    return "".join(secrets.choice(BASE32HEX) for _ in range(20))


def timed(start: str, end: str) -> dict[str, Any]:
    return {"start": {"dateTime": start}, "end": {"dateTime": end}}


@dataclass
class Scene:
    """Alex's items made for one test before its snapshot (the sandbox is shared)."""

    tag: str
    messages: list[str]
    singles: list[str]
    weekly: str
    weekly_instances: list[str]
    files: list[str]


def set_scene(alex: Services, control: httpx.Client) -> Scene:
    tag = uuid.uuid4().hex[:8]
    messages = [
        call(
            control,
            "POST",
            f"/accounts/{ALEX}/messages",
            {"from": "dana@partner.test", "subject": f"Scene {tag} {n}", "text": "Terms."},
        )["id"]
        for n in range(3)
    ]
    events = alex.calendar.events()
    singles = []
    for n in range(2):
        chosen = event_id()
        events.insert(
            calendarId="primary",
            body={
                "id": chosen,
                "summary": f"Scene {tag} single {n}",
                **timed(f"2026-04-2{n}T10:00:00Z", f"2026-04-2{n}T11:00:00Z"),
            },
        ).execute()
        singles.append(chosen)
    weekly = event_id()
    events.insert(
        calendarId="primary",
        body={
            "id": weekly,
            "summary": f"Scene {tag} weekly",
            "attendees": [{"email": ALEX}, {"email": SARAH}],
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
            **timed("2026-04-06T09:00:00Z", "2026-04-06T09:30:00Z"),
        },
    ).execute()
    instances = [i["id"] for i in events.instances(calendarId="primary", eventId=weekly).execute()["items"]]
    files = [
        call(
            control,
            "POST",
            f"/accounts/{ALEX}/files",
            {"name": f"Scene {tag} file {n}", "type": "text", "body": "Draft."},
        )["id"]
        for n in range(4)
    ]
    return Scene(tag, messages, singles, weekly, instances, files)


@dataclass
class Written:
    """What `write_everything` made, by id."""

    sent: str
    label: str
    draft: str
    draft_message: str
    event: str
    file: str


def write_everything(alex: Services, control: httpx.Client, scene: Scene) -> Written:
    """A write of every kind a task may make, through the Google client (the product's
    way); the permanent delete, which the product never makes, as another client would."""
    gmail = alex.gmail.users()
    sent = (
        gmail.messages().send(userId="me", body={"raw": raw_message(SARAH, f"Reply {scene.tag}", "Agreed.")}).execute()
    )
    gmail.messages().trash(userId="me", id=scene.messages[0]).execute()
    label = gmail.labels().create(userId="me", body={"name": f"Scene {scene.tag}"}).execute()
    gmail.messages().modify(
        userId="me", id=scene.messages[1], body={"addLabelIds": ["STARRED", label["id"]], "removeLabelIds": ["UNREAD"]}
    ).execute()
    call(control, "DELETE", f"/accounts/{ALEX}/messages/{scene.messages[2]}", status=204)
    draft = (
        gmail.drafts()
        .create(userId="me", body={"message": {"raw": raw_message(SARAH, f"Draft {scene.tag}", "Later.")}})
        .execute()
    )

    events = alex.calendar.events()
    new_event = event_id()
    events.insert(
        calendarId="primary",
        body={
            "id": new_event,
            "summary": f"New {scene.tag}",
            "attendees": [{"email": SARAH}],
            **timed("2026-04-24T15:00:00Z", "2026-04-24T15:30:00Z"),
        },
    ).execute()
    events.patch(
        calendarId="primary",
        eventId=scene.singles[0],
        body={"summary": f"Moved {scene.tag}", **timed("2026-04-20T14:00:00Z", "2026-04-20T15:00:00Z")},
    ).execute()
    events.delete(calendarId="primary", eventId=scene.singles[1]).execute()
    events.patch(
        calendarId="primary", eventId=scene.weekly_instances[1], body={"summary": f"Moved once {scene.tag}"}
    ).execute()
    events.delete(calendarId="primary", eventId=scene.weekly_instances[2]).execute()

    files = alex.drive.files()
    files.update(fileId=scene.files[0], body={"name": f"Renamed {scene.tag}"}).execute()
    alex.drive.permissions().create(
        fileId=scene.files[1], body={"type": "user", "role": "reader", "emailAddress": SARAH}
    ).execute()
    files.update(fileId=scene.files[2], body={"trashed": True}).execute()
    files.delete(fileId=scene.files[3]).execute()
    created = files.create(body={"name": f"New {scene.tag}", "mimeType": "text/plain"}, fields="id").execute()
    return Written(sent["id"], label["id"], draft["id"], draft["message"]["id"], new_event, created["id"])


# --- the tests -----------------------------------------------------------------------------
def test_changes_list_every_write_and_restore_reverses_them_as_incremental_changes(
    alex: Services, sarah: Services, control: httpx.Client, snapshots: list[str]
) -> None:
    scene = set_scene(alex, control)
    alex_before, sarah_before = client_view(alex), client_view(sarah)
    snapshot = take(control, snapshots)
    assert changes(control, snapshot) == []

    written = write_everything(alex, control, scene)
    sarah_new = sorted(set(client_view(sarah)["messages"]) - set(sarah_before["messages"]))
    assert len(sarah_new) == 2  # the reply, and Drive's "shared with you" mail

    found = changes(control, snapshot)
    alex_calendar, sarah_calendar = f"{ALEX}/{ALEX}", f"{SARAH}/{SARAH}"
    instance_moved, instance_cancelled = scene.weekly_instances[1], scene.weekly_instances[2]
    expected = {
        ("label", ALEX, written.label),
        ("draft", ALEX, written.draft),
        *{("message", ALEX, m) for m in [written.sent, written.draft_message, *scene.messages]},
        *{("message", SARAH, m) for m in sarah_new},
        *{("event", alex_calendar, e) for e in [written.event, *scene.singles, instance_moved, instance_cancelled]},
        *{("event", sarah_calendar, e) for e in [written.event, instance_moved, instance_cancelled]},  # invitations
        *{("file", "", f) for f in [*scene.files, written.file]},
    }
    assert keys(found) == expected
    assert [c["kind"] for c in found] == sorted(
        (c["kind"] for c in found), key=["label", "draft", "message", "event", "file"].index
    )
    change = by_key(found)
    trashed = change[("message", ALEX, scene.messages[0])]
    assert "TRASH" not in trashed["before"]["labelIds"] and "TRASH" in trashed["after"]["labelIds"]
    assert change[("message", ALEX, written.sent)]["before"] is None
    assert change[("message", ALEX, scene.messages[2])]["after"] is None
    assert change[("event", alex_calendar, scene.singles[1])]["after"]["event"]["status"] == "cancelled"
    assert change[("event", alex_calendar, instance_moved)]["before"] is None
    assert change[("event", alex_calendar, instance_moved)]["after"]["event"]["summary"] == f"Moved once {scene.tag}"
    shared = change[("file", "", scene.files[1])]
    assert [p["emailAddress"] for p in shared["after"]["file"]["permissions"]] == [ALEX, SARAH]
    assert (
        change[("file", "", scene.files[3])]["after"] is None and change[("file", "", written.file)]["before"] is None
    )
    # one account's view: its own mail and calendar, and the files it can open
    assert keys(changes(control, snapshot, SARAH)) == {key for key in expected if key[1] in (SARAH, sarah_calendar)} | {
        ("file", "", scene.files[1])
    }

    alex_at, sarah_at = positions(alex), positions(sarah)
    assert call(control, "POST", f"/snapshots/{snapshot}/restore") == {"restored": len(expected)}
    assert changes(control, snapshot) == []

    # (a) every item as it was
    assert client_view(alex) == alex_before
    assert client_view(sarah) == sarah_before

    # (b) Gmail history tells of the reversal, and of nothing else
    history = history_since(alex, alex_at.history_id)
    assert history == {
        written.sent: {"messagesDeleted": {""}},
        written.draft_message: {"messagesDeleted": {""}},
        scene.messages[2]: {"messagesAdded": {""}},
        scene.messages[0]: {"labelsRemoved": {"TRASH"}, "labelsAdded": {"INBOX"}},
        scene.messages[1]: {"labelsRemoved": {"STARRED", written.label}, "labelsAdded": {"UNREAD"}},
    }
    assert history_since(sarah, sarah_at.history_id) == {m: {"messagesDeleted": {""}} for m in sarah_new}

    # Calendar sync tokens: events back with their content and a higher sequence, new ones cancelled
    events = events_since(alex, alex_at.sync_token)
    assert events[written.event]["status"] == "cancelled"
    assert events[scene.singles[0]]["summary"] == f"Scene {scene.tag} single 0"
    assert events[scene.singles[0]]["start"] == alex_before["events"][scene.singles[0]][2]
    assert events[scene.singles[0]]["sequence"] == 2  # inserted 0, patched 1, restored 2
    assert events[scene.singles[1]]["status"] == "confirmed"
    for instance in (instance_moved, instance_cancelled):
        assert (events[instance]["status"], events[instance]["summary"]) == ("confirmed", f"Scene {scene.tag} weekly")
    theirs = events_since(sarah, sarah_at.sync_token)
    assert theirs[written.event]["status"] == "cancelled"
    assert all(theirs[i]["summary"] == f"Scene {scene.tag} weekly" for i in (instance_moved, instance_cancelled))

    # Drive changes: the files renamed back, unshared, untrashed, back, and removed
    files = files_since(alex, alex_at.page_token)
    assert set(files) == {*scene.files, written.file}
    assert files[scene.files[0]]["file"]["name"] == f"Scene {scene.tag} file 0"
    assert [p["emailAddress"] for p in files[scene.files[1]]["file"]["permissions"]] == [ALEX]
    assert files[scene.files[2]]["file"]["trashed"] is False
    assert files[scene.files[3]]["file"] == alex_before["files"][scene.files[3]]
    assert files[written.file]["removed"] is True
    assert files_since(sarah, sarah_at.page_token)[scene.files[1]]["removed"] is True

    # the snapshot stays: nothing left to restore, and the next task's writes go back too
    assert call(control, "POST", f"/snapshots/{snapshot}/restore") == {"restored": 0}
    alex.gmail.users().messages().trash(userId="me", id=scene.messages[1]).execute()
    assert keys(changes(control, snapshot)) == {("message", ALEX, scene.messages[1])}
    assert call(control, "POST", f"/snapshots/{snapshot}/restore") == {"restored": 1}
    assert client_view(alex) == alex_before


def test_a_sent_draft_comes_back_with_its_own_content(
    alex: Services, control: httpx.Client, snapshots: list[str]
) -> None:
    gmail = alex.gmail.users()
    draft = (
        gmail.drafts()
        .create(userId="me", body={"message": {"raw": raw_message(SARAH, "Draft to send", "v1")}})
        .execute()
    )
    raw_before = gmail.messages().get(userId="me", id=draft["message"]["id"], format="raw").execute()["raw"]
    start = gmail.getProfile(userId="me").execute()["historyId"]
    snapshot = take(control, snapshots)

    sent = gmail.drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert sent["id"] == draft["message"]["id"]  # Gmail keeps the id, the content changes
    assert ("draft", ALEX, draft["id"]) in keys(changes(control, snapshot))
    call(control, "POST", f"/snapshots/{snapshot}/restore")

    again = gmail.drafts().get(userId="me", id=draft["id"]).execute()
    assert again["message"]["labelIds"] == ["DRAFT"]
    assert gmail.messages().get(userId="me", id=sent["id"], format="raw").execute()["raw"] == raw_before
    assert "messagesAdded" in history_since(alex, start)[sent["id"]]


def test_unknown_snapshots_are_404_and_only_the_latest_are_kept(control: httpx.Client, snapshots: list[str]) -> None:
    for method, path in (
        ("GET", "/snapshots/nope/changes"),
        ("POST", "/snapshots/nope/restore"),
        ("DELETE", "/snapshots/nope"),
    ):
        error = call(control, method, path, status=404)["error"]
        assert (error["code"], error["status"], error["errors"][0]["reason"]) == (404, "NOT_FOUND", "notFound")
    taken = [take(control, snapshots) for _ in range(MAX_SNAPSHOTS + 1)]
    call(control, "GET", f"/snapshots/{taken[0]}/changes", status=404)  # the oldest was dropped
    call(control, "DELETE", f"/snapshots/{taken[1]}", status=204)
    call(control, "GET", f"/snapshots/{taken[1]}/changes", status=404)
    assert changes(control, taken[-1]) == []


# --- the product: its caches come back by incremental sync alone -----------------------------
async def cache_rows(linked: LinkedAccount) -> dict[str, dict[str, Any]]:
    """The product's cache tables for the account, in the fields a task's outcome reads."""
    queries = {
        "gmail": "SELECT message_id AS id, subject, labels, is_unread FROM gmail_cache",
        "gcal": "SELECT event_id AS id, summary, start_at, end_at, status, all_day, attendee_emails FROM gcal_cache",
        "gdrive": "SELECT file_id AS id, name, description, permissions, shared, owner_emails FROM gdrive_cache",
    }
    rows: dict[str, dict[str, Any]] = {}
    async with linked.engine.connect() as connection:
        for service, query in queries.items():
            result = await connection.execute(text(query + " WHERE account_id = :a"), {"a": linked.account_id})
            rows[service] = {row.id: {k: v for k, v in row._mapping.items() if k != "id"} for row in result}
    for row in rows["gmail"].values():
        row["labels"] = sorted(row["labels"])
    return rows


async def sync_all(linked: LinkedAccount) -> dict[str, SyncOutcome]:
    return await sync_every_service(linked.engine, linked.redis, linked.account_id, settings=linked.settings)


async def test_restore_brings_the_product_caches_back_by_incremental_sync(
    database_url: str,
    redis_url: str,
    base_url: str,
    authorize: Callable[[str], Credentials],
    alex: Services,
    control: httpx.Client,
    snapshots: list[str],
) -> None:
    client = redis.Redis.from_url(redis_url)
    async with linker(database_url, client, base_url, authorize) as link:
        linked = await link(ALEX)
        scene = set_scene(alex, control)
        first = await sync_all(linked)
        assert all(outcome.full for outcome in first.values())
        synced = await cache_rows(linked)
        snapshot = take(control, snapshots)

        written = write_everything(alex, control, scene)
        during = await sync_all(linked)
        assert not any(outcome.full for outcome in during.values())
        changed = await cache_rows(linked)
        assert written.event in changed["gcal"] and written.file in changed["gdrive"]
        assert scene.messages[0] not in changed["gmail"]  # trashed: not mirrored
        assert changed != synced

        call(control, "POST", f"/snapshots/{snapshot}/restore")
        after = await sync_all(linked)
        assert not any(outcome.full for outcome in after.values())  # no 404 / 410 fallback
        assert await cache_rows(linked) == synced
    client.close()
