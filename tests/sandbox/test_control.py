"""The control API: injected faults as the real client sees them, and outside changes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from assistant.google.client import build_service
from sandbox.oauth import ALL_SCOPES, issue_access_token
from sandbox.quota import Quota
from tests.sandbox.conftest import ALEX, Services, own_sandbox


@pytest.fixture(autouse=True)
def no_leftover_faults(control: httpx.Client) -> Iterator[None]:
    yield
    control.request("DELETE", "/faults")


def inject(control: httpx.Client, method: str, kind: str, count: int = 1, **extra: object) -> None:
    answer = control.post("/faults", json={"method": method, "kind": kind, "count": count, **extra})
    assert answer.status_code == 200, answer.text


def test_injected_429_then_success_with_client_retries(alex: Services, control: httpx.Client) -> None:
    inject(control, "gmail.users.getProfile", "429", count=2, retry_after=7)
    with pytest.raises(HttpError) as raised:
        alex.gmail.users().getProfile(userId="me").execute()
    assert raised.value.status_code == 429
    assert raised.value.resp["retry-after"] == "7"
    assert raised.value.error_details[0]["reason"] == "rateLimitExceeded"
    # one fault left: the library's own retry gets past it
    alex.gmail.users().getProfile(userId="me").execute(num_retries=1)


def test_injected_403_rate_limit_has_google_shape(alex: Services, control: httpx.Client) -> None:
    inject(control, "drive.files.list", "403")
    with pytest.raises(HttpError) as raised:
        alex.drive.files().list().execute()
    assert raised.value.status_code == 403
    assert raised.value.error_details[0] == {
        "message": "Rate Limit Exceeded",
        "domain": "usageLimits",
        "reason": "rateLimitExceeded",
    }
    assert alex.drive.files().list().execute()["files"]


def test_injected_500s_only_hit_the_named_method(alex: Services, control: httpx.Client) -> None:
    inject(control, "calendar.events.list", "500", count=2)
    assert alex.calendar.calendarList().list().execute()["items"]  # another method is untouched
    for _ in range(2):
        with pytest.raises(HttpError) as raised:
            alex.calendar.events().list(calendarId="primary").execute()
        assert raised.value.status_code == 500
    assert alex.calendar.events().list(calendarId="primary").execute()["kind"] == "calendar#events"


def test_faults_apply_inside_batches(alex: Services, control: httpx.Client) -> None:
    message_ids = [m["id"] for m in alex.gmail.users().messages().list(userId="me", maxResults=2).execute()["messages"]]
    inject(control, "gmail.users.messages.get", "429", count=1)
    outcomes: dict[str, int] = {}
    batch = alex.gmail.new_batch_http_request(
        callback=lambda rid, response, error: outcomes.__setitem__(rid, error.status_code if error else 200)
    )
    for message_id in message_ids:
        batch.add(
            alex.gmail.users().messages().get(userId="me", id=message_id, format="minimal"), request_id=message_id
        )
    batch.execute()
    assert sorted(outcomes.values()) == [200, 429]


def test_injected_latency(alex: Services, control: httpx.Client) -> None:
    inject(control, "gmail.users.labels.list", "latency", latency_seconds=0.3)
    started = time.perf_counter()
    alex.gmail.users().labels().list(userId="me").execute()
    assert time.perf_counter() - started >= 0.3


def test_unknown_fault_kind_is_400(control: httpx.Client) -> None:
    answer = control.post("/faults", json={"method": "*", "kind": "418"})
    assert answer.status_code == 400
    assert "unknown fault" in answer.json()["error"]["message"]


def test_outside_changes_show_in_history(alex: Services, control: httpx.Client) -> None:
    start = alex.gmail.users().getProfile(userId="me").execute()["historyId"]
    added = control.post(
        f"/accounts/{ALEX}/messages",
        json={"from": "Priya <priya@acme.test>", "subject": "Contract signed", "text": "Done!", "labels": ["Vendors"]},
    )
    assert added.status_code == 200
    message_id = added.json()["id"]
    assert (
        control.patch(f"/accounts/{ALEX}/messages/{message_id}", json={"addLabelIds": ["STARRED"]}).status_code == 200
    )
    assert control.request("DELETE", f"/accounts/{ALEX}/messages/{message_id}").status_code == 204
    history = alex.gmail.users().history().list(userId="me", startHistoryId=start).execute()["history"]
    kinds = [key for record in history for key in record if key not in ("id", "messages")]
    assert kinds == ["messagesAdded", "labelsAdded", "messagesDeleted"]
    with pytest.raises(HttpError):
        alex.gmail.users().messages().get(userId="me", id=message_id).execute()


def test_control_validates_input(control: httpx.Client) -> None:
    assert control.post("/accounts/nobody@nowhere.test/messages", json={"from": "x@y.test"}).status_code == 404
    assert control.post(f"/accounts/{ALEX}/messages", json={"subject": "no sender"}).status_code == 400
    assert control.post("/tokens/revoke", json={"token": "not-a-token"}).status_code == 404


def test_control_api_is_off_by_default(tmp_path: Path) -> None:
    with own_sandbox(tmp_path) as running:
        answer = httpx.post(f"{running.base_url}/_control/faults", json={"kind": "500"})
        assert answer.status_code == 404


def test_quota_throttles_a_greedy_client(tmp_path: Path) -> None:
    with own_sandbox(tmp_path, quota=Quota(units_per_minute=22)) as running:
        store = running.sandbox.store
        gmail = build_service(
            "gmail", Credentials(issue_access_token(store, ALEX, "t", ALL_SCOPES, 60)), running.base_url
        )
        other = build_service(
            "gmail",
            Credentials(issue_access_token(store, "sarah@northwind.test", "t", ALL_SCOPES, 60)),
            running.base_url,
        )
        message_id = gmail.users().messages().list(userId="me", maxResults=1).execute()["messages"][0]["id"]  # 5 units
        for _ in range(3):  # 15 more
            gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()
        with pytest.raises(HttpError) as raised:  # 5 more would make 25 > 22
            gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()
        assert raised.value.status_code == 429
        assert int(raised.value.resp["retry-after"]) >= 1
        assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == ALEX  # 1 unit still fits
        assert other.users().getProfile(userId="me").execute()["emailAddress"] == "sarah@northwind.test"  # per user
