"""Gmail v1 through google-api-python-client."""

from __future__ import annotations

import base64
import uuid
from email.message import EmailMessage

import httpx
import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from tests.sandbox.conftest import ALEX, OMAR, SARAH, Services


def ids(gmail, q: str, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    answer = gmail.users().messages().list(userId="me", q=q, **kwargs).execute()
    return [m["id"] for m in answer.get("messages", [])]


def subjects(gmail, q: str) -> set[str]:  # type: ignore[no-untyped-def]
    found = set()
    for message_id in ids(gmail, q):
        message = (
            gmail.users()
            .messages()
            .get(userId="me", id=message_id, format="metadata", metadataHeaders=["Subject"])
            .execute()
        )
        found.add(message["payload"]["headers"][0]["value"])
    return found


def raw_message(to: str, subject: str, body: str, sender: str = ALEX) -> str:
    message = EmailMessage()
    message["To"] = to
    message["From"] = sender
    message["Subject"] = subject
    message.set_content(body)
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def body_text(part: dict) -> str:
    if part.get("body", {}).get("data"):
        return base64.urlsafe_b64decode(part["body"]["data"]).decode()
    return "".join(body_text(p) for p in part.get("parts", []))


def test_profile_and_labels(alex: Services) -> None:
    profile = alex.gmail.users().getProfile(userId="me").execute()
    assert profile["emailAddress"] == ALEX
    assert profile["messagesTotal"] >= 5
    labels = {label["name"]: label for label in alex.gmail.users().labels().list(userId="me").execute()["labels"]}
    assert labels["INBOX"]["type"] == "system"
    assert labels["Finance"]["type"] == "user"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from:sarah", {"Q4 Financial Review"}),
        ("from:sara", {"Lunch next week?"}),  # whole words: Sara is not Sarah
        ("subject:(financial review) -from:alex", {"Q4 Financial Review"}),
        ('"marketing spend"', {"Q4 Financial Review"}),
        ("label:finance", {"Q4 Financial Review"}),
        ("is:unread", {"Lunch next week?"}),
        ("has:attachment", {"Q4 Financial Review"}),
        ("filename:pdf", {"Q4 Financial Review"}),
        ("coffee", {"Five things to read this week"}),  # HTML-only body is searchable
        ("lunch OR coffee", {"Lunch next week?", "Five things to read this week"}),
        ("after:2026/03/06 before:2026/03/09", {"Five things to read this week"}),
        ("newer_than:7d from:receipts", set()),
        ("older_than:30d", {"Your receipt"}),
        ("to:sarah subject:review", {"Re: Q4 Financial Review"}),
        ("in:sent", {"Re: Q4 Financial Review"}),
        ("quote", set()),  # Omar's mail is not in Alex's mailbox
    ],
)
def test_search_syntax(alex: Services, query: str, expected: set[str]) -> None:
    found = subjects(alex.gmail, query)
    assert expected <= found
    if not expected:
        assert found == set()


def test_empty_list_has_no_messages_key_and_paging_works(alex: Services) -> None:
    empty = alex.gmail.users().messages().list(userId="me", q="zebra-crossing-nowhere").execute()
    assert "messages" not in empty and empty["resultSizeEstimate"] == 0
    first = alex.gmail.users().messages().list(userId="me", maxResults=2).execute()
    second = alex.gmail.users().messages().list(userId="me", maxResults=2, pageToken=first["nextPageToken"]).execute()
    assert len(first["messages"]) == 2
    assert not {m["id"] for m in first["messages"]} & {m["id"] for m in second["messages"]}


def test_message_formats_and_mime_structure(alex: Services) -> None:
    (message_id,) = ids(alex.gmail, 'subject:"Q4 Financial Review" has:attachment')
    full = alex.gmail.users().messages().get(userId="me", id=message_id).execute()
    payload = full["payload"]
    assert payload["mimeType"] == "multipart/mixed"
    alternative, attachment = payload["parts"]
    assert alternative["mimeType"] == "multipart/alternative"
    assert [p["mimeType"] for p in alternative["parts"]] == ["text/plain", "text/html"]
    assert "12% over plan" in body_text(alternative["parts"][0])
    assert attachment["filename"] == "q4-review.pdf"
    assert "data" not in attachment["body"]
    data = (
        alex.gmail.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=message_id, id=attachment["body"]["attachmentId"])
        .execute()
    )
    pdf = base64.urlsafe_b64decode(data["data"])
    assert pdf.startswith(b"%PDF-") and data["size"] == len(pdf)
    assert int(full["internalDate"]) > 0 and isinstance(full["internalDate"], str)

    minimal = alex.gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()
    assert "payload" not in minimal and minimal["labelIds"]
    raw = alex.gmail.users().messages().get(userId="me", id=message_id, format="raw").execute()
    assert b"Subject: Q4 Financial Review" in base64.urlsafe_b64decode(raw["raw"])
    metadata = (
        alex.gmail.users()
        .messages()
        .get(userId="me", id=message_id, format="metadata", metadataHeaders=["From"])
        .execute()
    )
    assert [h["name"] for h in metadata["payload"]["headers"]] == ["From"]


def test_html_only_message(alex: Services) -> None:
    (message_id,) = ids(alex.gmail, "from:brief.test")
    payload = alex.gmail.users().messages().get(userId="me", id=message_id).execute()["payload"]
    assert payload["mimeType"] == "text/html"
    assert "<i>coffee</i>" in body_text(payload)


def test_thread_holds_the_reply(alex: Services) -> None:
    (message_id,) = ids(alex.gmail, 'subject:"Q4 Financial Review" has:attachment')
    thread_id = alex.gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()["threadId"]
    thread = alex.gmail.users().threads().get(userId="me", id=thread_id, format="metadata").execute()
    assert len(thread["messages"]) == 2


def test_unknown_message_is_404_with_google_error_body(alex: Services) -> None:
    with pytest.raises(HttpError) as raised:
        alex.gmail.users().messages().get(userId="me", id="0000000000000000").execute()
    assert raised.value.status_code == 404
    assert raised.value.error_details[0]["reason"] == "notFound"


def test_send_delivers_to_sandbox_recipient_and_history_reports_it(alex: Services, sarah: Services) -> None:
    start = sarah.gmail.users().getProfile(userId="me").execute()["historyId"]
    subject = f"Offsite dinner {uuid.uuid4().hex[:6]}"
    sent = (
        alex.gmail.users()
        .messages()
        .send(
            userId="me",
            body={"raw": raw_message(f"Sarah <{SARAH}>, outsider@example.org", subject, "Table for 8 at 7pm.")},
        )
        .execute()
    )
    assert "SENT" in sent["labelIds"]
    (received,) = ids(sarah.gmail, f'subject:"{subject}"')
    message = sarah.gmail.users().messages().get(userId="me", id=received, format="minimal").execute()
    assert {"INBOX", "UNREAD"} <= set(message["labelIds"])
    history = (
        sarah.gmail.users().history().list(userId="me", startHistoryId=start, historyTypes=["messageAdded"]).execute()
    )
    added = [m["message"]["id"] for h in history["history"] for m in h.get("messagesAdded", [])]
    assert received in added
    assert int(history["historyId"]) > int(start)
    # Omar was not a recipient
    assert ids(alex.gmail, f'subject:"{subject}"') == [sent["id"]]


def test_history_records_label_changes_and_trash(alex: Services) -> None:
    start = alex.gmail.users().getProfile(userId="me").execute()["historyId"]
    (message_id,) = ids(alex.gmail, "from:sara")
    alex.gmail.users().messages().modify(userId="me", id=message_id, body={"removeLabelIds": ["UNREAD"]}).execute()
    trashed = alex.gmail.users().messages().trash(userId="me", id=message_id).execute()
    assert "TRASH" in trashed["labelIds"] and "INBOX" not in trashed["labelIds"]
    assert message_id not in ids(alex.gmail, "lunch")
    assert message_id in ids(alex.gmail, "lunch in:trash")
    history = alex.gmail.users().history().list(userId="me", startHistoryId=start).execute()
    removed = [label for h in history["history"] for r in h.get("labelsRemoved", []) for label in r["labelIds"]]
    added = [label for h in history["history"] for r in h.get("labelsAdded", []) for label in r["labelIds"]]
    assert "UNREAD" in removed and "TRASH" in added
    restored = alex.gmail.users().messages().untrash(userId="me", id=message_id).execute()
    assert "INBOX" in restored["labelIds"] and "TRASH" not in restored["labelIds"]
    after_untrash = alex.gmail.users().history().list(userId="me", startHistoryId=history["historyId"]).execute()
    assert "INBOX" in [
        label for h in after_untrash["history"] for r in h.get("labelsAdded", []) for label in r["labelIds"]
    ]
    quiet = alex.gmail.users().history().list(userId="me", startHistoryId=after_untrash["historyId"]).execute()
    assert "history" not in quiet


def test_history_too_old_is_404(alex: Services, control: httpx.Client) -> None:
    old = alex.gmail.users().getProfile(userId="me").execute()["historyId"]
    assert control.post("/expire", json={"service": "gmail", "account": ALEX}).status_code == 200
    with pytest.raises(HttpError) as raised:
        alex.gmail.users().history().list(userId="me", startHistoryId=old).execute()
    assert raised.value.status_code == 404
    fresh = alex.gmail.users().getProfile(userId="me").execute()["historyId"]
    assert "history" not in alex.gmail.users().history().list(userId="me", startHistoryId=fresh).execute()


def test_drafts_create_list_get_send(alex: Services, sarah: Services) -> None:
    subject = f"Draft agenda {uuid.uuid4().hex[:6]}"
    draft = (
        alex.gmail.users()
        .drafts()
        .create(userId="me", body={"message": {"raw": raw_message(SARAH, subject, "1. Budget lines")}})
        .execute()
    )
    assert "DRAFT" in draft["message"]["labelIds"]
    listed = alex.gmail.users().drafts().list(userId="me").execute()
    assert draft["id"] in [d["id"] for d in listed["drafts"]]
    got = alex.gmail.users().drafts().get(userId="me", id=draft["id"]).execute()
    assert "1. Budget lines" in body_text(got["message"]["payload"])
    assert ids(sarah.gmail, f'subject:"{subject}"') == []
    sent = alex.gmail.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert "SENT" in sent["labelIds"]
    assert len(ids(sarah.gmail, f'subject:"{subject}"')) == 1
    with pytest.raises(HttpError) as raised:
        alex.gmail.users().drafts().get(userId="me", id=draft["id"]).execute()
    assert raised.value.status_code == 404


def test_send_by_media_upload(alex: Services, sarah: Services) -> None:
    subject = f"Uploaded {uuid.uuid4().hex[:6]}"
    raw = base64.urlsafe_b64decode(raw_message(SARAH, subject, "sent as message/rfc822 media"))
    for resumable in (False, True):
        media = MediaInMemoryUpload(raw, mimetype="message/rfc822", resumable=resumable)
        sent = alex.gmail.users().messages().send(userId="me", body={}, media_body=media).execute()
        assert "SENT" in sent["labelIds"]
    assert len(ids(sarah.gmail, f'subject:"{subject}"')) == 2


def test_batch_get(alex: Services) -> None:
    message_ids = ids(alex.gmail, "", maxResults=3)
    results: dict[str, dict] = {}
    errors: dict[str, Exception] = {}

    def collect(request_id: str, response: dict, exception: Exception | None) -> None:
        if exception is not None:
            errors[request_id] = exception
        else:
            results[request_id] = response

    batch = alex.gmail.new_batch_http_request(callback=collect)
    for message_id in message_ids:
        batch.add(
            alex.gmail.users().messages().get(userId="me", id=message_id, format="minimal"), request_id=message_id
        )
    batch.add(alex.gmail.users().messages().get(userId="me", id="ffffffffffffffff"), request_id="missing")
    batch.execute()
    assert {r: v["id"] for r, v in results.items()} == {m: m for m in message_ids}
    assert isinstance(errors["missing"], HttpError) and errors["missing"].status_code == 404


def test_mailboxes_are_isolated(connect) -> None:  # type: ignore[no-untyped-def]
    omar = connect(OMAR)
    assert subjects(omar.gmail, "quote") == {"Private quote for Omar"}
    with pytest.raises(HttpError) as raised:
        omar.gmail.users().getProfile(userId=ALEX).execute()
    assert raised.value.status_code == 403


def test_threads_list_labels_and_batch_modify(alex: Services) -> None:
    threads = alex.gmail.users().threads().list(userId="me", q='subject:"Q4 Financial Review"').execute()["threads"]
    assert len(threads) == 1 and threads[0]["snippet"]
    created = alex.gmail.users().labels().create(userId="me", body={"name": "Receipts 2026"}).execute()
    assert created["type"] == "user"
    with pytest.raises(HttpError) as raised:
        alex.gmail.users().labels().create(userId="me", body={"name": "receipts 2026"}).execute()
    assert raised.value.status_code == 409
    targets = ids(alex.gmail, "from:receipts@cafe.test OR from:news@brief.test")
    alex.gmail.users().messages().batchModify(
        userId="me", body={"ids": targets, "addLabelIds": [created["id"]]}
    ).execute()
    assert set(ids(alex.gmail, "label:receipts-2026")) == set(targets)
    label = alex.gmail.users().labels().get(userId="me", id=created["id"]).execute()
    assert label["messagesTotal"] == len(targets) == 2
    assert subjects(alex.gmail, "category:promotions") == {"Five things to read this week"}
    assert "Five things to read this week" not in subjects(alex.gmail, "category:primary")


def test_bcc_stays_with_the_sender(alex: Services, connect) -> None:  # type: ignore[no-untyped-def]
    omar = connect(OMAR)
    (copy,) = ids(omar.gmail, 'subject:"Re: Q4 Financial Review"')
    headers = {
        h["name"]
        for h in omar.gmail.users()
        .messages()
        .get(userId="me", id=copy, format="metadata")
        .execute()["payload"]["headers"]
    }
    assert "Bcc" not in headers
    (sent,) = ids(alex.gmail, 'subject:"Re: Q4 Financial Review"')
    headers = {
        h["name"]: h["value"]
        for h in alex.gmail.users()
        .messages()
        .get(userId="me", id=sent, format="metadata")
        .execute()["payload"]["headers"]
    }
    assert OMAR in headers["Bcc"]


def test_mailing_lists_reach_their_members(alex: Services, connect) -> None:  # type: ignore[no-untyped-def]
    omar = connect(OMAR)
    subject = f"Team lunch {uuid.uuid4().hex[:6]}"
    alex.gmail.users().messages().send(
        userId="me", body={"raw": raw_message("team@northwind.test", subject, "Friday, 12:30.")}
    ).execute()
    assert len(ids(omar.gmail, f'subject:"{subject}"')) == 1
    # the sender is a member too: the message is both sent and in the inbox
    (own,) = ids(alex.gmail, f'subject:"{subject}"')
    assert {"SENT", "INBOX"} <= set(
        alex.gmail.users().messages().get(userId="me", id=own, format="minimal").execute()["labelIds"]
    )


def test_malformed_batch_is_a_400(base_url: str, alex: Services) -> None:
    headers = {"Authorization": f"Bearer {alex.credentials.token}", "Content-Type": "multipart/mixed; boundary=xyz"}
    garbage = httpx.post(
        f"{base_url}/batch",
        headers=headers,
        content=b"--xyz\r\nContent-Type: application/http\r\n\r\nnonsense\r\n--xyz--\r\n",
    )
    assert garbage.status_code == 400 and garbage.json()["error"]["status"] == "INVALID_ARGUMENT"
    no_boundary = httpx.post(f"{base_url}/batch", headers={**headers, "Content-Type": "multipart/mixed"}, content=b"x")
    assert no_boundary.status_code == 400
