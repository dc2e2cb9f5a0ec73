"""The demo workspace: its size, its stories as a client finds them, and its clock."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials

from assistant.google.client import build_service
from sandbox.api import Sandbox
from sandbox.demo.generator import generate
from sandbox.mailbox import Mailbox
from sandbox.oauth import ALL_SCOPES, issue_access_token
from sandbox.server import (
    DEMO_WORKSPACE,
    RunningSandbox,
    open_store,
    parse_now,
    start_in_thread,
)
from sandbox.workspace import read
from tests.sandbox.conftest import WORKSPACE

ALEX = "alex.rivera@northwindlabs.com"
SARAH = "sarah.chen@northwindlabs.com"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    store = open_store(tmp_path_factory.mktemp("demo-state"), DEMO_WORKSPACE, now=parse_now("2026-11-18T12:00:00Z"))
    running = start_in_thread(Sandbox(store))
    yield running
    running.stop()
    store.close()


@pytest.fixture(scope="module")
def services(demo: RunningSandbox) -> dict[str, object]:
    token = issue_access_token(demo.sandbox.store, ALEX, "tests", ALL_SCOPES, 3600)
    credentials = Credentials(token)
    return {api: build_service(api, credentials, demo.base_url) for api in ("gmail", "calendar", "drive")}  # type: ignore[arg-type]


def all_ids(gmail, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    found, token = [], None
    while True:
        page = gmail.users().messages().list(userId="me", q=q, maxResults=500, pageToken=token).execute()
        found += [m["id"] for m in page.get("messages", [])]
        token = page.get("nextPageToken")
        if not token:
            return found


def text_of(part: dict) -> str:
    if part.get("body", {}).get("data"):
        return base64.urlsafe_b64decode(part["body"]["data"]).decode()
    return "".join(text_of(p) for p in part.get("parts", []))


def test_size_of_a_real_mailbox(services: dict) -> None:
    gmail, calendar, drive = services["gmail"], services["calendar"], services["drive"]
    assert gmail.users().getProfile(userId="me").execute()["messagesTotal"] >= 4900
    events, token = [], None
    while True:
        page = calendar.events().list(calendarId="primary", maxResults=2500, pageToken=token).execute()
        events += page["items"]
        token = page.get("nextPageToken")
        if not token:
            break
    assert len(events) >= 480
    files = drive.files().list(pageSize=1000, fields="files(id)").execute()["files"]
    assert len(files) >= 190


def test_q4_financial_review_never_says_budget(services: dict) -> None:
    gmail = services["gmail"]
    thread = all_ids(gmail, 'subject:"Q4 Financial Review"')
    assert len(thread) == 5
    for message_id in thread:
        payload = gmail.users().messages().get(userId="me", id=message_id).execute()["payload"]
        assert "budget" not in text_of(payload).lower()
    assert not set(thread) & set(all_ids(gmail, "budget"))
    assert all_ids(gmail, "budget")  # the word exists elsewhere, as distractors
    from_sarah = set(all_ids(gmail, "from:sarah.chen@northwindlabs.com"))
    assert from_sarah and not from_sarah & set(all_ids(gmail, "from:sarah.cheng@brightwave.io"))


def test_turkish_airlines_booking_and_its_calendar_entry(services: dict) -> None:
    gmail, calendar = services["gmail"], services["calendar"]
    (booking,) = all_ids(gmail, "TK7QXM from:noreply@thy.com subject:confirmed")
    text = text_of(gmail.users().messages().get(userId="me", id=booking).execute()["payload"])
    assert "cancellation fee of GBP 110" in text
    assert "TK1980  Wednesday 2 December 2026" in text
    assert all_ids(gmail, 'from:thy.com "fly to Istanbul"')  # marketing near-misses exist too
    flights = calendar.events().list(calendarId="primary", q="TK1980", singleEvents=True).execute()["items"]
    (flight,) = flights
    assert flight["start"] == {"dateTime": "2026-12-02T10:25:00+00:00", "timeZone": "Europe/London"}
    assert flight["end"] == {"dateTime": "2026-12-02T16:15:00+03:00", "timeZone": "Europe/Istanbul"}


def test_next_week_has_meetings(services: dict) -> None:
    items = (
        services["calendar"]
        .events()
        .list(
            calendarId="primary",
            singleEvents=True,
            orderBy="startTime",
            timeMin="2026-11-23T00:00:00Z",
            timeMax="2026-11-28T00:00:00Z",
        )
        .execute()["items"]
    )
    summaries = [e["summary"] for e in items]
    assert "Q4 Financial Review" in summaries
    assert summaries.count("1:1 Priya / Alex") == 1 and summaries.count("Product standup") == 5


def test_attachments_are_real_pdfs(services: dict) -> None:
    gmail = services["gmail"]
    invoices = all_ids(gmail, "has:attachment filename:pdf invoice")
    assert len(invoices) >= 12
    message = gmail.users().messages().get(userId="me", id=invoices[0]).execute()
    part = next(p for p in message["payload"]["parts"] if p["filename"].endswith(".pdf"))
    data = (
        gmail.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=invoices[0], id=part["body"]["attachmentId"])
        .execute()
    )
    assert base64.urlsafe_b64decode(data["data"]).startswith(b"%PDF-")


def test_no_placeholder_text() -> None:
    workspace = read(DEMO_WORKSPACE)
    generated = generate(workspace)
    corpus = repr(workspace) + repr(generated)
    assert not re.search(r"(?i)lorem|ipsum|dolor sit", corpus)


def test_every_date_token_is_rendered(demo: RunningSandbox) -> None:
    store = demo.sandbox.store
    for message in store.all("message"):
        assert "{{" not in message["index"]["text"] + message["index"]["subject"]
    for record in store.all("file", ""):
        assert "{{" not in record["file"]["name"] + record["text"]
    for record in store.all("event"):
        assert "{{" not in record["event"]["summary"] + record["event"].get("description", "")


def test_nothing_arrives_from_the_future(demo: RunningSandbox) -> None:
    now_ms = int(parse_now("2026-11-18T12:00:00Z").timestamp() * 1000)
    assert max(int(m["internalDate"]) for m in demo.sandbox.store.all("message")) <= now_ms


def test_generation_is_deterministic() -> None:
    workspace = read(DEMO_WORKSPACE)
    assert generate(workspace) == generate(workspace)


def lunch_text(store) -> str:  # type: ignore[no-untyped-def]
    box = Mailbox(store, "alex@northwind.test")
    (message,) = [m for m in box.messages() if m["index"]["subject"] == "Lunch next week?"]
    return str(message["index"]["text"])


def test_loading_shifts_today_and_keeps_weekly_rules(tmp_path: Path) -> None:
    # The test workspace's today is Tuesday 10 March; load it so today is Thursday 12 March.
    store = open_store(tmp_path, WORKSPACE, now=parse_now("2026-03-12T09:00:00Z"))
    try:
        assert store.meta("workspace_today") == "2026-03-12"
        assert "lunch on Friday 13 March?" in lunch_text(store)  # dates in text move too
        events = {
            record["event"]["summary"]: record["event"]
            for record in store.all("event", "alex@northwind.test/alex@northwind.test")
        }
        one_on_one = events["1:1 Alex / Sarah"]
        assert one_on_one["start"]["dateTime"].startswith("2026-03-05T10:00")
        assert one_on_one["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TH"]
        assert events["Company offsite"]["start"] == {"date": "2026-03-18"}
        assert date.fromisoformat(events["Company offsite"]["end"]["date"]) == date(2026, 3, 20)
    finally:
        store.close()


def test_week_shift_keeps_weekdays(tmp_path: Path) -> None:
    weekly = tmp_path / "weekly.json"
    weekly.write_text(
        WORKSPACE.read_text().replace('"timezone": "Europe/London",', '"timezone": "Europe/London", "shift": "weeks",')
    )
    # 12 days later: shifted by one whole week, so today is Tuesday 17 March
    store = open_store(tmp_path / "state", weekly, now=parse_now("2026-03-22T09:00:00Z"))
    try:
        assert store.meta("workspace_today") == "2026-03-17"
        assert "lunch on Wednesday 18 March?" in lunch_text(store)
        events = {
            r["event"]["summary"]: r["event"] for r in store.all("event", "alex@northwind.test/alex@northwind.test")
        }
        assert events["1:1 Alex / Sarah"]["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU"]
        assert events["1:1 Alex / Sarah"]["start"]["dateTime"].startswith("2026-03-10T10:00")
    finally:
        store.close()
