"""Full and incremental sync: afterwards the cache matches the sandbox exactly."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from sync.jobs import SyncOutcome, sync_every_service, sync_lock_key, sync_service
from tests.sandbox.conftest import ALEX, Services, connect  # noqa: F401  (fixture)
from tests.support import pages
from tests.sync.conftest import LinkedAccount

SERVICES = ("gmail", "gcal", "gdrive")


def sandbox_state(services: Services) -> dict[str, dict[str, tuple]]:
    """What Google (the sandbox) says the account holds, in the fields we compare."""
    gmail = services.gmail.users()
    message_ids = [m["id"] for m in pages(lambda t: gmail.messages().list(userId="me", pageToken=t), "messages")[0]]
    # The cache keeps user labels by name, system labels by id (which is their name).
    label_names = {label["id"]: label["name"] for label in gmail.labels().list(userId="me").execute()["labels"]}
    messages = {}
    for message_id in message_ids:
        message = gmail.messages().get(userId="me", id=message_id, format="metadata").execute()
        if "DRAFT" in message.get("labelIds", []):
            continue
        subject = next((h["value"] for h in message["payload"]["headers"] if h["name"] == "Subject"), "")
        messages[message_id] = (subject, tuple(sorted(label_names[label] for label in message.get("labelIds", []))))
    events = {
        e["id"]: (e.get("summary", ""),)
        for e in pages(
            lambda t: services.calendar.events().list(calendarId="primary", singleEvents=True, pageToken=t), "items"
        )[0]
        if e.get("status") != "cancelled"
    }
    files = {
        f["id"]: (f["name"],)
        for f in pages(
            lambda t: services.drive.files().list(
                q="trashed = false", fields="nextPageToken,files(id,name)", pageToken=t
            ),
            "files",
        )[0]
    }
    return {"gmail": messages, "gcal": events, "gdrive": files}


async def cache_state(linked: LinkedAccount) -> dict[str, dict[str, tuple]]:
    async with linked.engine.connect() as connection:
        gmail = await connection.execute(
            text("SELECT message_id, subject, labels FROM gmail_cache WHERE account_id = :a"), {"a": linked.account_id}
        )
        gcal = await connection.execute(
            text("SELECT event_id, summary FROM gcal_cache WHERE account_id = :a"), {"a": linked.account_id}
        )
        gdrive = await connection.execute(
            text("SELECT file_id, name FROM gdrive_cache WHERE account_id = :a"), {"a": linked.account_id}
        )
        return {
            "gmail": {r.message_id: (r.subject, tuple(sorted(r.labels))) for r in gmail},
            "gcal": {r.event_id: (r.summary,) for r in gcal},
            "gdrive": {r.file_id: (r.name,) for r in gdrive},
        }


async def counts(linked: LinkedAccount) -> dict[str, int]:
    async with linked.engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM gmail_cache) AS gmail, (SELECT count(*) FROM gcal_cache) AS gcal, "
                    "(SELECT count(*) FROM gdrive_cache) AS gdrive, (SELECT count(*) FROM search_chunks) AS chunks"
                )
            )
        ).one()
    return dict(row._mapping)


async def sync_all(linked: LinkedAccount, *, full: bool = False) -> dict[str, SyncOutcome]:
    return await sync_every_service(linked.engine, linked.redis, linked.account_id, full=full, settings=linked.settings)


async def sync_status(linked: LinkedAccount) -> dict[str, Any]:
    async with linked.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT service, status, cursor, items_synced, last_success_at, checkpoint FROM sync_status")
        )
        return {r.service: r for r in rows}


def control_call(control: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = control.request(method, path, json=body)
    assert answer.status_code in (200, 204), answer.text
    return answer.json() if answer.status_code == 200 and answer.content else {}


def top_up_mailbox(control: httpx.Client, connect: Any) -> int:
    """Earlier tests may have trashed much of the small mailbox: add four; the total."""
    for number in range(4):
        control_call(
            control,
            "POST",
            f"/accounts/{ALEX}/messages",
            {"from": "x@partner.test", "subject": f"Filler {number}", "text": "."},
        )
    return len(sandbox_state(connect(ALEX))["gmail"])


async def full_gmail_sync_at_its_first_checkpoint(linked: LinkedAccount) -> tuple[asyncio.Task[Any], Any]:
    """A full Gmail sync started in a task, once it has saved a checkpoint; the task and
    its status row (slow the fetches down first, or it may finish before)."""
    running = asyncio.create_task(
        sync_service(linked.engine, linked.redis, linked.account_id, "gmail", settings=linked.settings)
    )
    while (row := (await sync_status(linked)).get("gmail")) is None or not (row.checkpoint or {}).get("done"):
        assert not running.done(), "finished before a checkpoint could be seen"
        await asyncio.sleep(0.05)
    return running, row


def owned_files(services: Services) -> list[str]:
    files = services.drive.files().list(q="trashed = false", fields="files(id,owners(emailAddress))").execute()
    return sorted(f["id"] for f in files["files"] if any(o["emailAddress"] == ALEX for o in f["owners"]))


def ensure_owned_files(control: httpx.Client, services: Services, count: int) -> None:
    """Earlier tests in the session changed the shared sandbox: top up Alex's own files."""
    for index in range(len(owned_files(services)), count):
        control_call(
            control, "POST", f"/accounts/{ALEX}/files", {"name": f"Seed file {index}", "type": "text", "body": "Seed."}
        )


def change_everything(
    control: httpx.Client, services: Services, state: dict[str, dict[str, tuple]], tag: str
) -> dict[str, str]:
    """Add, modify, trash and delete an item of each service as another client would."""
    account = f"/accounts/{ALEX}"
    existing_messages = sorted(state["gmail"])
    files = owned_files(services)
    added = control_call(
        control,
        "POST",
        f"{account}/messages",
        {
            "from": "Dana Quinn <dana@partner.test>",
            "subject": f"Contract renewal {tag}",
            "text": "Renewal terms attached.",
        },
    )
    control_call(
        control,
        "PATCH",
        f"{account}/messages/{existing_messages[0]}",
        {"addLabelIds": ["STARRED"], "removeLabelIds": ["UNREAD"]},
    )
    control_call(control, "PATCH", f"{account}/messages/{existing_messages[1]}", {"addLabelIds": ["TRASH"]})
    control_call(control, "DELETE", f"{account}/messages/{existing_messages[2]}")

    event = control_call(
        control,
        "POST",
        f"{account}/events",
        {
            "summary": f"Vendor call {tag}",
            "start": {"dateTime": "2026-03-12T15:00:00Z"},
            "end": {"dateTime": "2026-03-12T15:30:00Z"},
        },
    )
    single_events = [event_id for event_id in sorted(state["gcal"]) if "_" not in event_id]
    control_call(control, "PATCH", f"{account}/events/{single_events[0]}", {"summary": f"Moved {tag}"})
    control_call(control, "DELETE", f"{account}/events/{single_events[1]}")

    file = control_call(
        control, "POST", f"{account}/files", {"name": f"Notes {tag}", "type": "document", "body": "Quarter notes."}
    )
    control_call(control, "PATCH", f"{account}/files/{files[0]}", {"name": f"Renamed {tag}"})
    control_call(control, "PATCH", f"{account}/files/{files[1]}", {"trashed": True})
    control_call(control, "DELETE", f"{account}/files/{files[2]}")
    return {"message": added["id"], "event": event["id"], "file": file["id"]}


async def test_full_then_incremental_sync_mirrors_the_sandbox(link, connect, control: httpx.Client) -> None:
    linked: LinkedAccount = await link(ALEX)
    services = connect(ALEX)
    ensure_owned_files(control, services, 3)

    first = await sync_all(linked)
    assert all(outcome.full for outcome in first.values())  # no cursor yet: full syncs
    before = sandbox_state(services)
    assert before["gmail"] and before["gcal"] and before["gdrive"]
    assert await cache_state(linked) == before

    added = change_everything(control, services, before, "incremental")
    second = await sync_all(linked)
    assert not any(outcome.full for outcome in second.values())
    after = sandbox_state(services)
    assert after != before
    assert added["message"] in after["gmail"] and added["file"] in after["gdrive"]
    assert await cache_state(linked) == after

    # The same cursors again: nothing changes, nothing is duplicated.
    totals = await counts(linked)
    await sync_all(linked)
    assert await counts(linked) == totals
    assert await cache_state(linked) == after

    async with linked.engine.connect() as connection:
        zone = (
            await connection.execute(text("SELECT timezone FROM users WHERE id = :u"), {"u": linked.user_id})
        ).scalar_one()
    assert zone == "Europe/London"  # the primary calendar's zone, adopted on the first sync

    status = await sync_status(linked)
    assert {s.status for s in status.values()} == {"ok"}
    assert all(s.cursor and s.last_success_at and s.checkpoint is None for s in status.values())


async def test_expired_cursors_resync_without_duplicates_and_reconcile_deletions(
    link, connect, control: httpx.Client
) -> None:
    linked: LinkedAccount = await link(ALEX)
    services = connect(ALEX)
    ensure_owned_files(control, services, 3)
    await sync_all(linked)
    before = sandbox_state(services)
    assert await cache_state(linked) == before

    change_everything(control, services, before, "gap")
    for service in ("gmail", "calendar"):
        control_call(control, "POST", "/expire", {"service": service, "account": ALEX})
    outcomes = await sync_all(linked)
    assert outcomes["gmail"].full and outcomes["gcal"].full  # 404 and 410 forced full syncs
    assert not outcomes["gdrive"].full
    after = sandbox_state(services)
    assert await cache_state(linked) == after  # deletions during the gap are gone too
    totals = await counts(linked)
    assert totals["gmail"] == len(after["gmail"]) and totals["gcal"] == len(after["gcal"])


async def test_a_revoked_grant_marks_the_account_and_stops(link, control: httpx.Client) -> None:
    linked: LinkedAccount = await link(ALEX)
    control_call(control, "POST", "/tokens/revoke", {"token": linked.credentials.refresh_token})
    control_call(control, "POST", "/tokens/expire", {"token": linked.credentials.token})
    outcome = await sync_service(linked.engine, linked.redis, linked.account_id, "gmail", settings=linked.settings)
    assert outcome.status == "needs_reconsent"
    async with linked.engine.connect() as connection:
        account_status = (await connection.execute(text("SELECT status FROM google_accounts"))).scalar_one()
        sync_row = (await connection.execute(text("SELECT status, last_error FROM sync_status"))).one()
    assert account_status == "needs_reconsent"
    assert sync_row.status == "needs_reconsent" and "invalid_grant" in sync_row.last_error
    # Later triggers skip the account instead of hammering Google with a dead grant.
    again = await sync_service(linked.engine, linked.redis, linked.account_id, "gcal", settings=linked.settings)
    assert again.status == "skipped"


@pytest.mark.parametrize("service", SERVICES)
async def test_an_expired_access_token_is_refreshed_and_saved(link, control: httpx.Client, service: str) -> None:
    linked: LinkedAccount = await link(ALEX)
    control_call(control, "POST", "/tokens/expire", {"token": linked.credentials.token})
    outcome = await sync_service(linked.engine, linked.redis, linked.account_id, service, settings=linked.settings)
    assert outcome.status == "ok"
    async with linked.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT access_token FROM google_accounts"))).scalar_one()
    assert linked.credentials.token.encode() not in bytes(stored)  # a new token, stored encrypted


async def test_a_second_sync_of_the_same_account_and_service_waits_for_the_first(link) -> None:
    linked: LinkedAccount = await link(ALEX)
    held = linked.redis.lock(sync_lock_key(linked.account_id, "gmail"), timeout=30)
    assert held.acquire(blocking=False)
    waiting = asyncio.create_task(
        sync_service(linked.engine, linked.redis, linked.account_id, "gmail", settings=linked.settings)
    )
    await asyncio.sleep(1.0)
    assert not waiting.done()  # blocked on the lock, without blocking the event loop
    assert await sync_status(linked) == {}  # it has not started: nothing recorded
    held.release()
    outcome = await asyncio.wait_for(waiting, timeout=60)
    assert outcome.status == "ok"


async def test_an_interrupted_full_sync_resumes_from_its_checkpoint(
    link, connect, control: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.gmail

    monkeypatch.setattr(sync.gmail, "PAGE_SIZE", 1)  # a page per message
    linked: LinkedAccount = await link(ALEX)
    total = top_up_mailbox(control, connect)
    control_call(
        control,
        "POST",
        "/faults",
        {"method": "gmail.users.messages.get", "kind": "latency", "latency_seconds": 0.3, "count": 100},
    )
    try:
        running, row = await full_gmail_sync_at_its_first_checkpoint(linked)
        running.cancel()  # the worker dies here
        with pytest.raises(asyncio.CancelledError):
            await running
    finally:
        control_call(control, "DELETE", "/faults")
    saved = row.checkpoint["done"]
    assert 0 < saved < total

    outcome = await sync_service(linked.engine, linked.redis, linked.account_id, "gmail", settings=linked.settings)
    assert outcome.status == "ok" and outcome.full
    resumed = (await sync_status(linked))["gmail"]
    assert resumed.items_synced <= total - saved + 1  # at most one page read again
    assert (await cache_state(linked))["gmail"] == sandbox_state(connect(ALEX))["gmail"]


async def test_user_labels_are_cached_by_name(link, connect) -> None:
    linked: LinkedAccount = await link(ALEX)
    gmail = connect(ALEX).gmail.users()
    await sync_all(linked)
    label = gmail.labels().create(userId="me", body={"name": f"Receipts {uuid.uuid4().hex[:6]}"}).execute()
    message_id = gmail.messages().list(userId="me", maxResults=1).execute()["messages"][0]["id"]
    gmail.messages().modify(userId="me", id=message_id, body={"addLabelIds": [label["id"]]}).execute()

    await sync_all(linked)  # incremental: the label change is replayed
    async with linked.engine.connect() as connection:
        labels = (
            await connection.execute(
                text("SELECT labels FROM gmail_cache WHERE account_id = :a AND message_id = :m"),
                {"a": linked.account_id, "m": message_id},
            )
        ).scalar_one()
    assert label["name"] in labels and label["id"] not in labels
